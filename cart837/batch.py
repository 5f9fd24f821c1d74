"""Run a batch: find inputs, build the episode index (pass 1), fix each file (pass 2).

Each file fails alone; outputs are written atomically (temp file + rename).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from cart837 import logs, stop
from cart837.atomic import AtomicFile, sync_folder
from cart837.claims.model import Claim
from cart837.claims.reader import read_claim
from cart837.claims.scan_record import Identity, Recorder, ScanRecord, codes_of
from cart837.claims.stream import CHUNK_SIZE, ClaimBytes, FileStream, Interest, TransactionEnd
from cart837.claims.summary import read_summary
from cart837.claims.writer import write_events
from cart837.codes.tables import CART_REVENUE_CODES, CodeKind
from cart837.config import Config
from cart837.decisions import Decisions, FileReview
from cart837.episodes import EpisodeIndex, is_cart_relevant
from cart837.errors import Cart837Error, Code, DecisionsError, InvariantError, Location
from cart837.ids import ClaimId, PayerId
from cart837.inputs import InputFile
from cart837.results import ClaimChange, FileResult, FileStatus, RunMode
from cart837.rules.base import Action, Finding, Severity
from cart837.rules.engine import Engine
from cart837.rules.ids import ClaimScope
from cart837.spill import SpillList
from cart837.x12.segment import split_segments

log = logs.get_logger()


class OutputGate(Protocol):
    """Judge a fixed file before it replaces anything (`fix --validate`); raise Cart837Error to refuse it."""

    def __call__(self, source: Path, produced: Path | None, display: str, rules: tuple[str, ...]) -> list[str]:
        """Return warnings; `produced` is None when the output is the input unchanged."""
        ...


def spool_stdin(source: BinaryIO) -> Path:
    """Copy standard input to a temporary file so both passes can read it."""
    with tempfile.NamedTemporaryFile(prefix="cart837-stdin-", suffix=".837", delete=False) as handle:
        shutil.copyfileobj(source, handle, 1 << 20)
    return Path(handle.name)


def interest_for(config: Config, member_ids: Container[str] = frozenset()) -> Interest:
    """Return which claims are worth building: CAR-T codes, and (pass 2) CAR-T patients."""
    codes = config.code_table()
    procedure_codes = codes.of_kind(CodeKind.STEP) | codes.of_kind(CodeKind.PRODUCT)
    pcs = set(config.inpatient_car_t_pcs)  # CART-015: an 11x claim may show CAR-T only in its HI
    for payer in config.payers:
        payer_config = config.for_payer(payer)
        procedure_codes |= payer_config.code_table().of_kind(CodeKind.PRODUCT)
        pcs.update(payer_config.inpatient_car_t_pcs)
    return Interest(CART_REVENUE_CODES, frozenset(procedure_codes), member_ids, frozenset(pcs))


def index_file(number: int, item: InputFile, config: Config) -> EpisodeIndex | Cart837Error:
    """Pass 1 for one file: its CAR-T claims' episode lines, or why the file cannot be read.

    A file enters the index only once it has been read to its end: a file refused half-way
    contributes nothing, so it cannot add cross-claim flags to the files that pass. The
    per-file index is compact (not the claims), so a huge file costs little memory here.
    """
    index = EpisodeIndex()
    try:
        with item.path.open("rb") as source:
            interest, identity = interest_for(config), _identity(source)
            recorder = Recorder(ScanRecord(identity, codes_of(interest), CHUNK_SIZE))
            stream = FileStream(source, item.display, interest, passthrough=False, recorder=recorder)
            index_events(stream, number, config, index)
            if _identity(source) == identity:  # else pass 2 reads the file as if new
                index.scans[number] = recorder.record
    except Cart837Error as error:
        return error.with_file(item.display)
    except OSError as error:
        return Cart837Error(f"cannot read: {error.strerror or error}", Location(item.display), Code.READ)
    except Exception:  # noqa: BLE001 - a bug: the file fails alone, -v shows the traceback
        log.exception("internal_error", file=item.display)
        return Cart837Error("internal error, rerun with -v for the traceback", Location(item.display), Code.INTERNAL)
    return index


def _identity(source: BinaryIO) -> Identity:
    """Return an open file's size and modification time: pass 2 trusts pass 1's record only if they hold."""
    status = os.fstat(source.fileno())
    return status.st_size, status.st_mtime_ns


def index_events(stream: FileStream, number: int, config: Config, index: EpisodeIndex) -> None:
    """Add the CAR-T claims of a pass-1 stream (a file, or a part of one) to `index`."""
    engine = Engine(config)

    def relevant(payer_id: PayerId, revenue_code: str, code: str) -> bool:
        return is_cart_relevant(code, revenue_code, engine.settings(payer_id)[1])

    for event in stream.events():
        if isinstance(event, ClaimBytes):
            summary = read_summary(event, stream.file, relevant)
            index.add_summary(summary, (number, event.offset), engine.settings(summary.payer_id)[1])


# Fills a FileResult for one file and writes its output bytes to the sink: Batch._run, or a split file's join
FileRun = Callable[[int, InputFile, "FileResult", BinaryIO | None], None]


@dataclass(slots=True)
class Batch:
    """One run's settings and shared state: configuration, rules, episode index."""

    config: Config
    engine: Engine
    index: EpisodeIndex
    mode: RunMode = RunMode.FIX
    outdir: Path | None = None
    in_place: bool = False
    show_phi: bool = False
    keep_changes: bool = False
    gate: OutputGate | None = None
    hold: Path | None = None  # fix --hold DIR: claims with a finding at least `hold_on` go there
    hold_on: Severity = Severity.ERROR
    decisions: Decisions = field(default_factory=Decisions)
    stopped: Callable[[], bool] | None = None  # a stop asked from another thread (a Dask task): checked per chunk
    interest: Interest = field(init=False)
    _held: set[int] = field(default_factory=set, init=False)  # the current file's held claims: CLM offsets out

    def __post_init__(self) -> None:
        self.interest = interest_for(self.config, self.index.member_ids)

    def target(self, item: InputFile) -> Path | None:
        """Return where a fixed file goes, or None when nothing is written (check, diff, stdout)."""
        if self.mode is not RunMode.FIX:
            return None
        if self.in_place:
            return item.path.resolve()  # through a symlink: fix the file, keep the link
        if self.outdir is not None:
            return self.outdir / item.relative
        return None

    def process(
        self, number: int, item: InputFile, stdout: BinaryIO | None = None, run: FileRun | None = None
    ) -> FileResult:
        """Fix one file; on any error the file fails alone and no output is left behind.

        A stop (SIGINT/SIGTERM, or `stopped` at an input chunk) raises stop.Stopped out of here after
        removing the temp file. `run` makes the output (default: both passes' second half over the whole file, `_run`).
        """
        started = time.perf_counter()
        log.info("file_started", file=item.display)
        result = FileResult(item.display, FileStatus.UNCHANGED)
        self._held = set()
        target = self.target(item)
        output: AtomicFile | None = None
        try:
            with stop.interruptible():
                if target is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    output = AtomicFile(target, durable=self.in_place)
                elif stdout is not None:
                    output = AtomicFile(Path(tempfile.gettempdir()) / "cart837-stdout")
                (run or self._run)(number, item, result, cast(BinaryIO, output.open()) if output else None)
                if output is not None:
                    output.close()
                    self._finish_output(item, result, output, stdout)
        except Cart837Error as error:
            _fail(result, error.with_file(item.display).one_line(), error.code)
        except OSError as error:
            _fail(result, *_os_failure(item, target, output, error))
        except Exception:  # noqa: BLE001 - a bug: the file fails alone, -v shows the traceback
            log.exception("internal_error", file=item.display)
            _fail(result, f"{item.display}: internal error, rerun with -v for the traceback", Code.INTERNAL)
        finally:
            if output is not None:
                output.abandon()  # a no-op once committed
        result.duration = time.perf_counter() - started
        return result

    def _run(self, number: int, item: InputFile, result: FileResult, sink: BinaryIO | None) -> None:
        digest_out = hashlib.sha256()
        with item.path.open("rb") as source:
            known = self.index.scans.get(number)
            if known is not None and not known.fits(_identity(source), self.interest, CHUNK_SIZE):
                known = None
            # Finding ids hash the input's sha256 (DESIGN.md, Finding ids): it is needed before the first claim.
            result.sha256_in = known.sha256 if known is not None else file_sha256(item.path)
            review = self.decisions.for_file(result.sha256_in)
            reader = source if self.stopped is None else stop.CheckedReader(source, self.stopped)
            stream = FileStream(reader, item.display, self.interest, known=known)
            for data in self._output(number, item, stream, result, review):
                digest_out.update(data)
                if sink is not None:
                    sink.write(data)
        unmatched = review.unmatched()
        if unmatched and self.decisions.strict:
            raise DecisionsError(f"unknown finding id {unmatched[0]}: no finding of this file has it")
        result.decisions = review.skipped
        result.claims = stream.claims
        result.delimiters = stream.delimiters[0].as_text() if stream.delimiters else None
        result.sha256_out = digest_out.hexdigest()
        result.status = FileStatus.CHANGED if result.claims_changed else FileStatus.UNCHANGED

    def _output(
        self,
        number: int,
        item: InputFile,
        stream: FileStream,
        result: FileResult,
        review: FileReview,
        occurrences: dict[tuple[str, str, str, int, str], int] | None = None,
    ) -> Iterator[bytes]:
        written = 0  # bytes yielded so far: where the claim `fix` is asked about starts in the output
        holding = self.hold is not None and self.mode is RunMode.FIX
        hold_rank = self.hold_on.rank
        occurrences = {} if occurrences is None else occurrences  # a split file's part reports its keys

        def fix(event: ClaimBytes) -> Claim | None:
            claim = read_claim(event, item.display)
            position = event.segment_index - event.transaction_start + 1
            key = (event.interchange, event.group, event.transaction, position, claim.id)
            occurrences[key] = occurrences.get(key, 0) + 1
            scope = ClaimScope(
                result.sha256_in or "",
                event.interchange,
                event.group,
                event.transaction,
                claim.id,
                position,
                occurrences[key],
            )
            view = self.index.view(claim.patient.key, (number, event.offset))
            outcome = self.engine.run(claim, view, scope, None if self.decisions.empty else review)
            findings = outcome.findings
            if holding and any(f.severity.rank <= hold_rank for f in findings):
                result.held.append(claim.id)
                self._held.add(written)  # not an ordinal: claims no rule reads never reach fix()
                findings = tuple(_not_applied(f) for f in findings)  # held claims go out as they came in
                outcome = replace(outcome, claim=claim, findings=findings, changed=False)
            result.findings.extend(findings)
            if self.show_phi and outcome.findings:
                result.patients[claim.id] = claim.patient.identifiers()
            if not outcome.changed:
                return None
            result.claims_changed += 1
            if self.keep_changes:
                result.changes.append(_change(claim, outcome.claim, event.segment_index))
            log.info("claim_fixed", file=item.display, claim=claim.id, findings=len(outcome.findings))
            return outcome.claim

        def recounted(event: TransactionEnd, trailer: bytes) -> None:
            if self.keep_changes:
                result.changes.append(_trailer_change(event, trailer))

        for data in write_events(stream.events(), fix, recounted):
            yield data
            written += len(data)

    def _finish_output(self, item: InputFile, result: FileResult, output: AtomicFile, stdout: BinaryIO | None) -> None:
        temp = output.temp
        if result.held and self.hold is not None and not _hold_split(self, item, result, temp):
            if self.in_place:  # the input is the outbound file: it must not go out with held claims in it
                _remove_input(item.path)
                result.warnings.append(
                    f"{item.display}: every claim is held: the file was removed; its claims are in {result.held_output}"
                )
            else:
                result.warnings.append(f"{item.display}: every claim is held: no outbound file written")
            return
        if self.gate is not None:
            changed = result.status is FileStatus.CHANGED
            rules = tuple(dict.fromkeys(f.rule for f in result.findings if f.fixed))
            judge = getattr(self.gate, "judge", None)  # a gate that also returns the input's 999
            if judge is None:
                result.warnings.extend(self.gate(item.path, temp if changed else None, item.display, rules))
            else:
                verdict = judge(item.path, temp if changed else None, item.display, rules)
                result.warnings.extend(verdict.warnings)
                result.acknowledgment = verdict.acknowledgment or None
                if verdict.refusal is not None:
                    raise verdict.refusal
        if stdout is not None:
            with temp.open("rb") as produced:
                shutil.copyfileobj(produced, stdout, 1 << 20)
            stdout.flush()
            return
        if self.in_place and result.status is FileStatus.UNCHANGED and not result.held:
            return
        output.commit()
        result.output = str(output.target)


def _recheck(path: Path, display: str) -> None:
    """Re-read a whole file's envelopes and counts: the --hold split builds new envelopes."""
    try:
        with path.open("rb") as produced:
            for _ in FileStream(produced, display, Interest(), passthrough=False, count_claims=False).events():
                pass
    except Cart837Error as error:
        raise InvariantError(f"output failed its own envelope check: {error.message}", error.location) from None


def _hold_split(batch: Batch, item: InputFile, result: FileResult, temp: Path) -> bool:
    """Move the held claims of the produced file `temp` to `--hold DIR`; False when none is left to send."""
    from cart837.claims.hold import split  # only runs with --hold load it

    assert batch.hold is not None
    held_target = batch.hold / item.relative
    held_target.parent.mkdir(parents=True, exist_ok=True)
    # --in-place may remove the input once everything is held: the held copy must be on disk first
    with AtomicFile(held_target, durable=batch.in_place) as held_file, AtomicFile(temp) as outbound_file:
        with temp.open("rb") as produced:
            outbound, held = cast(BinaryIO, outbound_file.open()), cast(BinaryIO, held_file.open())
            sent, kept = split(produced, outbound, held, frozenset(batch._held))
        if sent + kept != result.claims or kept != len(result.held):  # nothing may be lost in the split
            raise InvariantError(
                f"the --hold split wrote {sent} + {kept} claims of {result.claims} ({len(result.held)} to hold)",
                Location(item.display),
            )
        held_file.close()
        _recheck(held_file.temp, f"{item.display} (held)")
        outbound_file.close()
        if sent:
            _recheck(outbound_file.temp, item.display)
    result.held_output = str(held_target)
    digest = hashlib.sha256()
    with temp.open("rb") as produced:
        for chunk in iter(lambda: produced.read(1 << 20), b""):
            digest.update(chunk)
    result.sha256_out = digest.hexdigest()
    return sent > 0


def _remove_input(path: Path) -> None:
    """Remove an --in-place input whose every claim was held (the file behind a link, then the link)."""
    target = path.resolve()
    target.unlink()
    if path.is_symlink():
        path.unlink()
    sync_folder(target.parent)


def _not_applied(finding: Finding) -> Finding:
    """A held claim's finding: the claim is written as read, so its lines keep their input LX and a
    fix is reported as what it would do, not as done."""
    if not finding.fixed:
        return replace(finding, output_line=finding.line)
    message = f"not changed (claim held: {finding.severity.value}); the fix would be: {finding.message}"
    return replace(
        finding, action=Action.FLAG, fixed=False, after=None, message=message, output_line=finding.line, removed=()
    )


def file_sha256(path: Path) -> str:
    """Return the sha256 of a file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _os_failure(item: InputFile, target: Path | None, output: AtomicFile | None, error: OSError) -> tuple[str, Code]:
    """Name what an OSError is about: the input (E-READ), or the output that was not written (E-WRITE)."""
    why = error.strerror or str(error)
    if error.filename is not None and Path(error.filename) == item.path:
        return f"{item.display}: cannot read: {why}", Code.READ
    if isinstance(error, BrokenPipeError):  # only stdout is a pipe: `cart837 fix FILE | head`
        return f"{item.display}: cannot write to stdout: the reading process closed the pipe", Code.WRITE
    written = target or (output.target if output is not None and output.target.name != "cart837-stdout" else None)
    if written is not None:
        return f"{item.display}: cannot write {written}: {why}", Code.WRITE
    if output is not None:
        return f"{item.display}: cannot write the output (temp folder {output.target.parent}): {why}", Code.WRITE
    return f"{item.display}: cannot read: {why}", Code.READ


def _fail(result: FileResult, message: str, code: Code) -> None:
    result.status = FileStatus.FAILED
    result.error = message
    result.code = code.value
    result.findings = SpillList()
    result.changes = []
    result.claims_changed = 0
    result.sha256_out = None
    result.decisions = []


def _trailer_change(event: TransactionEnd, trailer: bytes) -> ClaimChange:
    """Return the SE01 recount as a change (no claim id) so `diff` shows every changed byte."""
    before, after = (next(split_segments(raw, event.delimiters)).text() for raw in (event.raw, trailer))
    return ClaimChange(ClaimId(""), event.segment_index, [before], [after])


def _change(before: Claim, after: Claim, segment_index: int) -> ClaimChange:
    kept = {line.number for line in after.lines}
    removed: list[tuple[int, int]] = []
    position = len(before.header)
    for line in before.lines:
        if line.number not in kept:  # a collapse removed it: `diff` pairs it with nothing
            removed.append((position, position + len(line.segments)))
        position += len(line.segments)
    return ClaimChange(
        before.id, segment_index, [s.text() for s in before.segments()], [s.text() for s in after.segments()], removed
    )
