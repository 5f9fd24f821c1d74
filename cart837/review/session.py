"""One file under review: its runs (the library API), its decisions, its claims' findings on disk.

A run is `fix_file(..., skip=rejected)`: the page shows exactly what `cart837 fix FILE --decisions
decisions.json` writes. The claims with findings are indexed once per run; their findings are
pickled to a file in the session's private folder, so a page reads only the claims it shows
and a 100k-claim file costs the server a few small rows per claim, not its findings.
"""

from __future__ import annotations

import pickle
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from cart837.api import fix_file
from cart837.config import Config
from cart837.decisions import dump_decisions
from cart837.ids import ClaimId, FindingId, RuleId
from cart837.results import FileResult, FileStatus, Totals
from cart837.rules.base import Finding

REJECTED_PREFIX = "not applied: rejected in review"
SEVERITY_RANK = {"error": 3, "review": 2, "info": 1}


class RunState(StrEnum):
    """Where a session's latest run is."""

    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


def severity(finding: Finding) -> str:
    """Return a finding's severity (error, review, info: issue 12's field)."""
    return finding.severity.value


def amount(finding: Finding) -> Decimal:
    """Return the dollars a finding moves or puts at stake (issue 12's `amount`), 0 when it has none."""
    return abs(finding.amount) if finding.amount is not None else Decimal(0)


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """One claim with findings: what the work list sorts and pages, and where its findings are."""

    number: int  # position among the claims with findings, in file order (the claim's key in forms)
    claim: ClaimId
    transaction: str
    offset: int
    length: int
    fixes: int
    flags: int
    rejected: int
    severity: str
    dollars: Decimal
    rules: tuple[RuleId, ...]
    fix_ids: tuple[FindingId, ...]  # the fixes the claim has (applied or rejected): what claim-level decisions act on


@dataclass(slots=True)
class Session:
    """A file opened for review: input, decisions, the latest run and its claim index."""

    name: str
    source: Path
    folder: Path  # private: outputs, findings store, reports
    config: Config
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    rejected: set[FindingId] = field(default_factory=set)
    state: RunState = RunState.RUNNING
    error: str | None = None
    result: FileResult | None = None
    claims: list[ClaimRow] = field(default_factory=list)
    rule_fixes: dict[RuleId, list[FindingId]] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)
    runs: int = 0
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def output(self) -> Path:
        """Return where the corrected file of the latest run is."""
        return self.folder / "out" / self.name

    @property
    def input_size(self) -> int:
        """Return the input's size in bytes."""
        return self.source.stat().st_size

    def progress(self) -> tuple[str, int]:
        """Return the phase and the percentage of the output written so far (for the progress page)."""
        out = self.folder / "out"
        written = sum(p.stat().st_size for p in out.iterdir() if p.is_file()) if out.is_dir() else 0
        if written == 0:
            return "reading the file (pass 1: episodes)", 0
        return "fixing claims (pass 2)", min(99, written * 100 // max(1, self.input_size))

    def run(self) -> None:
        """Run the file with the current decisions and rebuild the claim index (in a worker thread)."""
        with self.lock:
            self.state, self.error, self.started = RunState.RUNNING, None, time.monotonic()
            out = self.folder / "out"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            try:
                result = fix_file(
                    self.source,
                    self.config,
                    output=self.output,
                    skip=sorted(self.rejected),
                    show_phi=True,
                    strict=False,
                )
            except Exception as error:  # noqa: BLE001 - a bad decision or a bug: the page says so, the server lives
                self._fail(f"{self.name}: {error}")
                return
            self.runs += 1
            if result.status is FileStatus.FAILED:
                self._fail((result.error or "failed").replace(str(self.source), self.name))
                return
            self._index(result)
            self.state = RunState.READY

    def _fail(self, message: str) -> None:
        self.error, self.state, self.result, self.claims = message, RunState.FAILED, None, []

    def _index(self, result: FileResult) -> None:
        """Group the findings per claim into the store; prune decisions no finding has any more."""
        store = self.folder / "findings.bin"
        claims: list[ClaimRow] = []
        rule_fixes: dict[RuleId, list[FindingId]] = {}
        seen: set[FindingId] = set()
        with store.open("wb") as handle:
            for number, group in enumerate(_claim_groups(result.findings)):
                offset = handle.tell()
                handle.write(pickle.dumps(group, pickle.HIGHEST_PROTOCOL))
                claims.append(_row(number, group, offset, handle.tell() - offset, self.rejected))
                for finding in group:
                    if finding.id in self.rejected:
                        seen.add(finding.id)
                    if _is_fix(finding, self.rejected):
                        rule_fixes.setdefault(finding.rule, []).append(finding.id)
        self.rejected &= seen  # a rejection can make a fix rejected earlier vanish: it no longer means anything
        totals = Totals()
        totals.add(result)
        self.result, self.claims, self.rule_fixes, self.totals = result, claims, rule_fixes, totals

    def findings_of(self, row: ClaimRow) -> list[Finding]:
        """Return one claim's findings from the store."""
        with (self.folder / "findings.bin").open("rb") as handle:
            handle.seek(row.offset)
            loaded: list[Finding] = pickle.loads(handle.read(row.length))
        return loaded

    def worklist(self) -> list[ClaimRow]:
        """Return the claims sorted as billers work: most severe first, then most dollars, then file order."""
        return sorted(self.claims, key=lambda r: (-SEVERITY_RANK[r.severity], -r.dollars, r.number))

    def decide(self, ids: Iterable[FindingId], reject: bool) -> None:
        """Reject (or accept again) the fixes with these ids."""
        if reject:
            self.rejected.update(ids)
        else:
            self.rejected.difference_update(ids)

    def decisions_text(self) -> str:
        """Return the decisions file (`cart837 fix FILE --decisions` replays it byte for byte)."""
        sha = self.result.sha256_in if self.result is not None else None
        return dump_decisions({sha: self.rejected} if sha else {})

    def report_result(self) -> FileResult:
        """Return the latest result as reports show it: the file's own name, and no PHI."""
        assert self.result is not None
        return replace(self.result, path=self.name, patients={}, output=None)


def _is_fix(finding: Finding, rejected: set[FindingId]) -> bool:
    """Return whether a finding is a fix: applied, or proposed and rejected in review."""
    return finding.fixed or (finding.id in rejected and finding.message.startswith(REJECTED_PREFIX))


def _claim_groups(findings: Iterable[Finding]) -> Iterator[list[Finding]]:
    """Yield each claim's findings (the engine reports a claim's findings together)."""
    group: list[Finding] = []
    for finding in findings:
        if group and (group[0].transaction, group[0].claim) != (finding.transaction, finding.claim):
            yield group
            group = []
        group.append(finding)
    if group:
        yield group


def _row(number: int, group: list[Finding], offset: int, length: int, rejected: set[FindingId]) -> ClaimRow:
    worst = max((severity(f) for f in group), key=SEVERITY_RANK.__getitem__)
    rejected_here = sum(1 for f in group if f.id in rejected)
    lines: dict[int | None, Decimal] = {}
    for finding in group:
        lines[finding.line] = max(lines.get(finding.line, Decimal(0)), amount(finding))
    return ClaimRow(
        number=number,
        claim=group[0].claim,
        transaction=group[0].transaction,
        offset=offset,
        length=length,
        fixes=sum(1 for f in group if f.fixed),
        flags=sum(1 for f in group if not f.fixed) - rejected_here,
        rejected=rejected_here,
        severity=worst,
        dollars=sum(lines.values(), Decimal(0)),
        rules=tuple(dict.fromkeys(f.rule for f in group)),
        fix_ids=tuple(f.id for f in group if _is_fix(f, rejected)),
    )
