"""Pass 2 over the parts of a split file in workers, and their join into the one output in the parent."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from cart837 import logs, stop
from cart837.atomic import AtomicFile, adopt_temp, discard_temp
from cart837.batch import Batch, FileRun
from cart837.claims.stream import FileStream, Readable, Resume
from cart837.errors import DecisionsError
from cart837.inputs import InputFile
from cart837.results import FileResult, FileStatus
from cart837.split.cuts import Part, PartReader
from cart837.split.pass1 import SplitFile

log = logs.get_logger()


@dataclass(slots=True)
class PartOutput:
    """What pass 2 over one part made: its output (a temp file handed to the parent) and its results."""

    result: FileResult
    temp: str
    size: int
    matched: frozenset[str]
    held: list[int]  # output offsets (in the part) of held claims
    transactions: frozenset[tuple[str, str, str]]  # (ISA13, GS06, ST02) of the claims it looked at


def fix_part(batch: Batch, number: int, item: InputFile, part: Part, resume: Resume, sha256: str) -> PartOutput:
    """Pass 2 over one part, in a worker: write its output to a temp file beside the file's output.

    Errors go up (the parent reports the first part's, as the whole-file run would); a stop or
    an error removes the temp file.
    """
    target = batch.target(item)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
    output = AtomicFile(target if target is not None else Path(tempfile.gettempdir()) / "cart837-part")
    try:
        with stop.interruptible():
            result = FileResult(item.display, FileStatus.UNCHANGED, sha256_in=sha256)
            review = batch.decisions.for_file(sha256)
            batch._held = set()
            occurrences: dict[tuple[str, str, str, int, str], int] = {}
            sink = output.open()
            size = 0
            with item.path.open("rb") as source:
                source.seek(part.start - part.lead)
                reader: Readable = PartReader(source, part.end - part.start + part.lead)
                if batch.stopped is not None:  # a Dask task: the client's stop is checked per chunk
                    reader = stop.CheckedReader(reader, batch.stopped)
                stream = FileStream(reader, item.display, batch.interest, resume=resume)
                for data in batch._output(number, item, stream, result, review, occurrences):
                    sink.write(data)
                    size += len(data)
            output.close()
    except BaseException:
        output.abandon()
        raise
    result.claims = stream.claims
    result.delimiters = stream.delimiters[0].as_text() if stream.delimiters else None
    result.decisions = review.skipped
    result.findings.by_reference()
    held = sorted(batch._held)
    transactions = frozenset(key[:3] for key in occurrences)
    return PartOutput(result, str(output.hand_over()), size, frozenset(review.matched), held, transactions)


class PartFuture(Protocol):
    """A pool's or Dask's future of a PartOutput."""

    def result(self) -> PartOutput:
        """Wait for the part; raise what it raised."""
        ...

    def done(self) -> bool:
        """Return whether the part has finished."""
        ...


def joiner(batch: Batch, split: SplitFile, futures: Sequence[PartFuture]) -> FileRun:
    """Return the run that joins a split file's parts into its output (for Batch.process)."""

    def run(number: int, item: InputFile, result: FileResult, sink: BinaryIO | None) -> None:
        outputs: list[PartOutput] = []
        try:
            for future in futures:
                output = future.result()  # the first part's error, as the whole-file run's
                adopt_temp(output.temp)
                outputs.append(output)
            if _repeated_transactions(outputs):
                log.info("split_file_rerun", file=item.display, why="a transaction control number repeats")
                for output in outputs:
                    discard_temp(output.temp)
                batch._run(number, item, result, sink)
                return
            _join(batch, split, item, result, sink, outputs)
        finally:
            for output in outputs:
                discard_temp(output.temp)
            discard(futures[len(outputs) :])

    return run


def _repeated_transactions(outputs: Sequence[PartOutput]) -> bool:
    """Whether two parts saw claims of one (ISA13, GS06, ST02): finding ids count repeats per transaction."""
    seen: set[tuple[str, str, str]] = set()
    for output in outputs:
        if not seen.isdisjoint(output.transactions):
            return True
        seen |= output.transactions
    return False


def _join(
    batch: Batch,
    split: SplitFile,
    item: InputFile,
    result: FileResult,
    sink: BinaryIO | None,
    outputs: list[PartOutput],
) -> None:
    result.sha256_in = split.sha256
    digest = hashlib.sha256()
    matched: set[str] = set()
    written = 0
    for output in outputs:
        part = output.result
        with open(output.temp, "rb") as produced:
            while block := produced.read(1 << 20):
                digest.update(block)
                if sink is not None:
                    sink.write(block)
        discard_temp(output.temp)
        result.findings.extend_list(part.findings)
        result.patients.update(part.patients)
        result.changes.extend(part.changes)
        result.held.extend(part.held)
        result.decisions.extend(part.decisions)
        result.warnings.extend(part.warnings)
        result.claims += part.claims
        result.claims_changed += part.claims_changed
        batch._held.update(offset + written for offset in output.held)
        matched |= output.matched
        written += output.size
    review = batch.decisions.for_file(split.sha256)
    unmatched = sorted(review.wanted - matched)
    if unmatched and batch.decisions.strict:
        raise DecisionsError(f"unknown finding id {unmatched[0]}: no finding of this file has it")
    result.delimiters = outputs[0].result.delimiters
    result.sha256_out = digest.hexdigest()
    result.status = FileStatus.CHANGED if result.claims_changed else FileStatus.UNCHANGED


def discard(futures: Sequence[PartFuture]) -> None:
    """Remove the outputs of parts nobody will join (a failed or stopped file): now, or when each ends."""
    for future in futures:
        callback: Callable[[PartFuture], None] = _remove_output
        add = getattr(future, "add_done_callback", None)
        if add is not None:
            add(callback)
        elif future.done():
            _remove_output(future)


def _remove_output(future: PartFuture) -> None:
    with contextlib.suppress(BaseException):  # a failed, cancelled or lost part left no output
        discard_temp(future.result().temp)
