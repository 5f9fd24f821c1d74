"""One big file across many workers: cut at ISA/ST boundaries, both passes per part, joined in order.

`--jobs N` (and Dask) run a file of at least `--split-size` bytes as parts (README, Many files):

1. `plan` finds the cuts with a few C-speed searches over a memory map (no segment loop): each
   interchange's ISA and IEA, then, near each target offset, the next interchange start or ST.
   A part starting at an ST carries what is open there: the interchange's delimiters and ISA13,
   the group's GS06/GS08.
2. Pass 1 runs per part (`index_part`). A part cannot know how many groups or transactions came
   before it, so the GE01/IEA01 of an envelope opened before the part is recorded, not checked;
   `fold` then checks those counts in order, checks that each part starts in the state the one
   before it ended in, and gives pass 2 the exact start of every part (segment number, counts).
   Any part failing, or anything `fold` finds, makes the parent read the file whole, once, as
   the single-process run does: the error (or index) is that run's, byte for byte.
3. The per-part indexes merge in order (the same merge as per-file indexes).
4. Pass 2 runs per part (`fix_part`) with the exact start, writing a hidden temp file beside
   the output; the parent (`joiner`) copies them in order into the one output (AtomicFile: temp,
   fsync for --in-place, rename), merges the results, and judges the whole output (--hold,
   --validate) as for an unsplit file. Finding ids need the file's sha256: a pool task hashes
   the file during pass 1.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import tempfile
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Protocol

from cart837 import logs, stop
from cart837.atomic import AtomicFile, adopt_temp, discard_temp
from cart837.batch import Batch, FileRun, index_events, interest_for
from cart837.claims.stream import FileStream, Resume
from cart837.config import Config
from cart837.episodes import EpisodeIndex
from cart837.errors import Cart837Error, Code, DecisionsError, Location
from cart837.inputs import InputFile
from cart837.results import FileResult, FileStatus
from cart837.x12.delimiters import BOM, ISA_LENGTH, WHITESPACE, Delimiters, read_isa
from cart837.x12.envelope import GS_CONTROL, GS_VERSION, ISA_CONTROL, TRAILER_COUNT, EnvelopeChecker, is_count

log = logs.get_logger()

SPLIT_SIZE = 64 << 20  # files of at least this many bytes are split when --jobs > 1 (--split-size)
PARTS_PER_JOB = 4  # more parts than workers: a slow part does not hold the others up
SMALLEST_PART = 1 << 16  # and never parts below split_size / 16 (or 64 KiB): each costs a task


@dataclass(frozen=True, slots=True)
class Part:
    """A byte range of one file that starts at an ISA or an ST (and what is open at an ST)."""

    start: int
    end: int
    lead: int = 0  # bytes before `start` the reader also reads: the terminator of the segment before an ST
    delimiters: Delimiters | None = None  # the open interchange's (None: the part starts at an ISA)
    interchange: str | None = None  # its ISA13
    group: str | None = None  # the open group's GS06
    group_version: str = ""  # its GS08


# -- 1. where to cut ----------------------------------------------------------------------


def plan(path: Path, jobs: int, split_size: int) -> list[Part] | None:
    """Return the parts to run `path` as, or None to run it whole (small, or not cut cleanly)."""
    if jobs <= 1 or split_size <= 0:
        return None
    try:
        size = path.stat().st_size
        if size < split_size:
            return None
        count = min(PARTS_PER_JOB * jobs, size // max(split_size // 16, SMALLEST_PART))
        if count < 2:
            return None
        with path.open("rb") as source, mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _cut(data, size, count)
    except (OSError, ValueError, Cart837Error):
        return None  # the whole-file run says what is wrong, as it would without --jobs


@dataclass(frozen=True, slots=True)
class _Interchange:
    start: int
    iea: int  # where its IEA starts
    delimiters: Delimiters
    control: str  # ISA13


def _cut(data: mmap.mmap, size: int, count: int) -> list[Part] | None:
    interchanges = _interchanges(data, size)
    if interchanges is None:
        return None
    starts = [i.start for i in interchanges]
    parts: list[Part] = []
    previous = Part(0, 0)
    for number in range(1, count):
        target = number * size // count
        if target <= previous.start:
            continue
        which = bisect_right(starts, target) - 1
        if which < 0:
            continue
        cut = _st_part(data, interchanges[which], target)
        if which + 1 < len(interchanges) and (cut is None or interchanges[which + 1].start <= cut.start):
            cut = Part(interchanges[which + 1].start, 0)
        if cut is None or cut.start <= previous.start:
            continue
        parts.append(_ending(previous, cut.start))
        previous = cut
    parts.append(_ending(previous, size))
    return parts if len(parts) > 1 else None


def _ending(part: Part, end: int) -> Part:
    return replace(part, end=end)


def _interchanges(data: mmap.mmap, size: int) -> list[_Interchange] | None:
    """Return each interchange's ISA and IEA offsets, or None when the file is not a clean sequence of them."""
    position = len(BOM) if data[: len(BOM)] == BOM else 0
    position = _skip_whitespace(data, position, size)
    found: list[_Interchange] = []
    while position < size:
        if data[position : position + 3] != b"ISA":
            return None
        isa = bytes(data[position : position + ISA_LENGTH])
        delimiters = read_isa(isa, 0)
        elements = isa[: ISA_LENGTH - 1].decode("latin-1").split(delimiters.element.decode("latin-1"))
        control = elements[ISA_CONTROL].strip() if len(elements) > ISA_CONTROL else ""
        iea = _find_segment(data, b"IEA", delimiters, position + ISA_LENGTH, size)
        if iea is None:
            return None
        end = data.find(delimiters.segment, iea)
        if end < 0:
            return None
        found.append(_Interchange(position, iea, delimiters, control))
        position = _skip_whitespace(data, end + 1, size)
    return found


def _skip_whitespace(data: mmap.mmap, position: int, size: int) -> int:
    while position < size and data[position] in WHITESPACE:
        position += 1
    return position


def _segment_start(data: mmap.mmap, index: int, term: int) -> int | None:
    """Return where the terminator before a segment starting at `index` is, or None if none is (not a segment)."""
    back = index - 1
    while back >= 0 and data[back] in WHITESPACE and data[back] != term:
        back -= 1
    return back if back >= 0 and data[back] == term else None


def _find_segment(data: mmap.mmap, tag: bytes, delimiters: Delimiters, start: int, end: int) -> int | None:
    """Return where the first `tag` segment from `start` (before `end`) starts."""
    needle, term = tag + delimiters.element, delimiters.segment[0]
    index = start
    while (index := data.find(needle, index, end)) >= 0:
        if _segment_start(data, index, term) is not None:
            return index
        index += 1
    return None


def _st_part(data: mmap.mmap, interchange: _Interchange, target: int) -> Part | None:
    """Return a part starting at the first ST from `target` in this interchange, with its open group."""
    delimiters = interchange.delimiters
    term, separator = delimiters.segment[0], delimiters.element.decode("latin-1")
    st = _find_segment(data, b"ST", delimiters, max(target, interchange.start + ISA_LENGTH), interchange.iea)
    if st is None:
        return None
    before = _segment_start(data, st, term)
    gs = data.rfind(b"GS" + delimiters.element, interchange.start, st)
    while gs >= 0 and _segment_start(data, gs, term) is None:
        gs = data.rfind(b"GS" + delimiters.element, interchange.start, gs)
    if before is None or gs < 0:
        return None
    elements = bytes(data[gs : data.find(delimiters.segment, gs)]).decode("latin-1").split(separator)
    group = elements[GS_CONTROL].strip() if len(elements) > GS_CONTROL else ""
    version = elements[GS_VERSION].strip() if len(elements) > GS_VERSION else ""
    return Part(st, 0, st - before, delimiters, interchange.control, group, version)


# -- 2. pass 1 per part, and the fold -------------------------------------------------------


class _Range:
    """Read at most `size` bytes of a file from where it was positioned."""

    def __init__(self, source: BinaryIO, size: int) -> None:
        self.source, self.left = source, size

    def read(self, size: int = -1, /) -> bytes:
        wanted = self.left if size < 0 else min(size, self.left)
        data = self.source.read(wanted)
        self.left -= len(data)
        return data


@dataclass(slots=True)
class _PartChecker(EnvelopeChecker):
    """Pass 1 over a part: the counts of a group or interchange opened before the part are unknown here.

    Their GE01/IEA01 are recorded (with what this part counted) for `fold` to check in order.
    """

    inherited_group: bool = False
    inherited_interchange: bool = False
    deferred: list[tuple[str, str, int]] = field(default_factory=list)  # (GE|IEA, declared, counted here)

    def ge(self, elements: list[str], offset: int, ordinal: int) -> None:
        if self.inherited_group and self.transaction is None and self.group is not None:
            declared = elements[TRAILER_COUNT].strip() if len(elements) > TRAILER_COUNT else ""
            self.deferred.append(("GE", declared, self.transactions_in_group))
            if is_count(declared):
                self.transactions_in_group = int(declared)  # checked by fold()
            self.inherited_group = False
        super(_PartChecker, self).ge(elements, offset, ordinal)  # noqa: UP008 - slots dataclass: no bare super()

    def iea(self, elements: list[str], offset: int, ordinal: int) -> None:
        if self.inherited_interchange and self.group is None and self.interchange is not None:
            declared = elements[TRAILER_COUNT].strip() if len(elements) > TRAILER_COUNT else ""
            self.deferred.append(("IEA", declared, self.groups_in_interchange))
            if is_count(declared):
                self.groups_in_interchange = int(declared)  # checked by fold()
            self.inherited_interchange = False
        super(_PartChecker, self).iea(elements, offset, ordinal)  # noqa: UP008


@dataclass(slots=True)
class PartIndex:
    """What pass 1 over one part found: its index, and the envelope state it ended in."""

    index: EpisodeIndex
    segments: int  # segment terminators in the part
    delimiters: Delimiters | None  # the last interchange's
    interchange: str | None
    group: str | None
    group_version: str
    transaction: str | None
    groups: int  # groups in the open interchange (counted from the part's start if inherited)
    transactions: int  # transactions in the open group (likewise)
    inherited_interchange: bool
    inherited_group: bool
    deferred: list[tuple[str, str, int]]


def index_part(number: int, item: InputFile, config: Config, part: Part, last: bool) -> PartIndex | Cart837Error:
    """Pass 1 over one part; any error means only "read this file whole" (its location is not the file's)."""
    checker = _PartChecker(item.display)
    if part.delimiters is not None:
        checker.interchange, checker.group, checker.group_version = part.interchange, part.group, part.group_version
        checker.inherited_interchange = checker.inherited_group = True
    index = EpisodeIndex()
    try:
        with stop.interruptible(), item.path.open("rb") as source:
            source.seek(part.start - part.lead)
            resume = Resume(part.start, 0, part.delimiters, checker, last, part.lead)  # segment numbers: relative
            reader = _Range(source, part.end - part.start + part.lead)
            interest = interest_for(config)
            stream = FileStream(reader, item.display, interest, passthrough=False, count_claims=False, resume=resume)
            index_events(stream, number, config, index)
            segments = stream.segments_read()
    except Cart837Error as error:
        return error
    except Exception as error:  # noqa: BLE001 - the whole-file run reports it properly
        return Cart837Error(f"part failed: {type(error).__name__}", Location(item.display), Code.INTERNAL)
    return PartIndex(
        index,
        segments,
        stream.delimiters[-1] if stream.delimiters else part.delimiters,
        checker.interchange,
        checker.group,
        checker.group_version,
        checker.transaction,
        checker.groups_in_interchange,
        checker.transactions_in_group,
        checker.inherited_interchange,
        checker.inherited_group,
        checker.deferred,
    )


def fold(display: str, parts: Sequence[Part], found: Sequence[PartIndex | Cart837Error]) -> list[Resume] | None:
    """Check the parts against each other in order; return each part's exact start for pass 2.

    None when a part failed, a deferred GE01/IEA01 is wrong, or a part does not start in the
    state the previous one ended in: the file is then read whole.
    """
    resumes: list[Resume] = []
    segments = 0
    previous: PartIndex | None = None
    for number, (part, outcome) in enumerate(zip(parts, found, strict=True)):
        if isinstance(outcome, Cart837Error):
            return None
        groups = transactions = 0
        checker: EnvelopeChecker | None = None
        if part.delimiters is None:
            if previous is not None and previous.interchange is not None:
                return None
        else:
            if previous is None or previous.transaction is not None:
                return None
            ended = (previous.interchange, previous.group, previous.group_version, previous.delimiters)
            if ended != (part.interchange, part.group, part.group_version, part.delimiters):
                return None
            groups, transactions = previous.groups, previous.transactions
            checker = EnvelopeChecker(
                display,
                interchange=part.interchange,
                group=part.group,
                group_version=part.group_version,
                groups_in_interchange=groups,
                transactions_in_group=transactions,
            )
        for kind, declared, counted in outcome.deferred:
            expected = (transactions if kind == "GE" else groups) + counted
            if not is_count(declared) or int(declared) != expected:
                return None
        if outcome.inherited_group:
            outcome.transactions += transactions
        if outcome.inherited_interchange:
            outcome.groups += groups
        resumes.append(Resume(part.start, segments, part.delimiters, checker, number == len(parts) - 1, part.lead))
        segments += outcome.segments
        previous = outcome
    return resumes


def merged_index(found: Sequence[PartIndex | Cart837Error]) -> EpisodeIndex:
    """Merge the parts' indexes in order into the file's (as the per-file merge does)."""
    index = EpisodeIndex()
    for outcome in found:
        assert not isinstance(outcome, Cart837Error)
        index.merge(outcome.index)
    return index


@dataclass(frozen=True, slots=True)
class SplitFile:
    """A file pass 1 ran as parts: what pass 2 needs to run them."""

    parts: tuple[Part, ...]
    resumes: tuple[Resume, ...]
    sha256: str


# -- 4. pass 2 per part, and the join --------------------------------------------------------


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
                reader = _Range(source, part.end - part.start + part.lead)
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
        result.findings.extend(part.findings)
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
