"""What a run produced: file statuses, per-file results and totals.

Plain data that `batch` fills and `report`/`summary` read (DESIGN.md, layers): it knows no files
and no rendering, so everything above the rules can depend on it without depending on `batch`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from cart837.ids import ClaimId, FindingId
from cart837.spill import SpillList

if TYPE_CHECKING:  # the rules (and every claim module) load only for commands that run them
    from cart837.rules.base import Finding


class RunMode(StrEnum):
    """What a run does with its results."""

    FIX = "fix"
    CHECK = "check"
    DIFF = "diff"


class FileStatus(StrEnum):
    """How one file ended."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_PROCESSED = "not_processed"  # the run was stopped (SIGINT/SIGTERM) before this file was done


@dataclass(slots=True)
class ClaimChange:
    """A changed claim's segments before and after, for `diff`."""

    claim: ClaimId
    segment_index: int
    before: list[str]
    after: list[str]
    removed: list[tuple[int, int]] = field(default_factory=list)  # `before` ranges of lines a collapse removed


@dataclass(slots=True)
class FileResult:
    """What happened to one file (DESIGN.md, Report contract `files[]`)."""

    path: str
    status: FileStatus
    error: str | None = None
    code: str | None = None  # the stable error or skip code (errors.Code), None when the file went through
    reason: str | None = None  # why a file was skipped or not processed
    duration: float | None = None  # seconds of work on the file
    acknowledgment: str | None = None  # pyx12's 999 for the input (fix --validate)
    delimiters: dict[str, str | None] | None = None
    sha256_in: str | None = None
    sha256_out: str | None = None
    claims: int = 0
    claims_changed: int = 0
    findings: SpillList[Finding] = field(default_factory=SpillList)  # on disk beyond the first few thousand
    patients: dict[str, dict[str, str]] = field(default_factory=dict)
    changes: list[ClaimChange] = field(default_factory=list)
    output: str | None = None
    warnings: list[str] = field(default_factory=list)
    held: list[ClaimId] = field(default_factory=list)  # claim ids written to --hold (CLM01, input order)
    held_output: str | None = None  # where they went
    decisions: list[FindingId] = field(default_factory=list)  # ids of the fixes not applied: rejected in review


@dataclass(slots=True)
class Totals:
    """Files by status and findings by kind: the report's `totals` and the summary line's counts."""

    files: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    not_processed: int = 0
    findings: int = 0
    fixed: int = 0
    flags: int = 0
    errors: int = 0  # findings by severity
    reviews: int = 0
    claims_to_work: int = 0  # claims with an error or review finding: the work list's rows
    claims_held: int = 0
    amount: Decimal = Decimal(0)  # dollars involved: the claims' (ClaimDollars), added up

    def add(self, result: FileResult) -> None:
        """Count one file (one pass over its findings, which may be spilled to disk)."""
        from cart837.rules.base import Severity

        self.files += 1
        setattr(self, result.status.value, getattr(self, result.status.value) + 1)
        fixed = total = errors = reviews = 0
        to_work: set[tuple[str, str, int | None]] = set()
        claim: tuple[str, str, int | None] | None = None
        counted = ClaimDollars()
        for finding in result.findings:  # a claim's findings are contiguous: one claim's dollars at a time
            total += 1
            fixed += finding.fixed
            if finding.severity is Severity.ERROR:
                errors += 1
            elif finding.severity is Severity.REVIEW:
                reviews += 1
            key = (finding.transaction, finding.claim, finding.claim_segment)  # CLM01 may repeat
            if finding.severity is not Severity.INFO:
                to_work.add(key)
            if key != claim:
                self.amount += counted.total
                claim, counted = key, ClaimDollars()
            counted.add(finding)
        self.amount += counted.total
        self.findings += total
        self.fixed += fixed
        self.flags += total - fixed
        self.errors += errors
        self.reviews += reviews
        self.claims_to_work += len(to_work)
        self.claims_held += len(result.held)

    @property
    def processed(self) -> int:
        """Files read to their end (changed or unchanged)."""
        return self.changed + self.unchanged

    def as_dict(self) -> dict[str, int | str]:
        """Return the counts by name, in report order; dollars as decimal strings ("81936.85").

        `not_processed` is there only when a stop left some files undone.
        """
        return {
            name: money(value) if isinstance(value, Decimal) else value
            for name in Totals.__slots__
            for value in (getattr(self, name),)
            if name != "not_processed" or value
        }


class Priced(Protocol):
    """What the dollars of a claim are counted from: a finding's line and amount."""

    @property
    def line(self) -> int | None: ...
    @property
    def amount(self) -> Decimal | None: ...


class ClaimDollars:
    """The dollars one claim's findings involve: the one definition every report and total uses.

    Each line counts once, with the largest amount any finding moves on it (a line two rules
    touch is not counted twice); a claim-level finding puts the whole claim (CLM02) at stake,
    which then is the claim's amount. A file's and a run's dollars add up their claims'.
    """

    __slots__ = ("lines", "whole")

    def __init__(self) -> None:
        self.lines: dict[int, Decimal] = {}
        self.whole = Decimal(0)

    def add(self, finding: Priced) -> None:
        """Count one finding of the claim."""
        amount = finding.amount or Decimal(0)
        if finding.line is None:
            self.whole = max(self.whole, amount)
        else:
            self.lines[finding.line] = max(self.lines.get(finding.line, Decimal(0)), amount)

    @property
    def total(self) -> Decimal:
        """Return the claim's dollars involved."""
        return self.whole if self.whole else sum(self.lines.values(), Decimal(0))


def claim_dollars(findings: Iterable[Priced]) -> Decimal:
    """Return the dollars involved of one claim's findings (ClaimDollars)."""
    counted = ClaimDollars()
    for finding in findings:
        counted.add(finding)
    return counted.total


class _OfClaim(Priced, Protocol):
    @property
    def transaction(self) -> str: ...
    @property
    def claim(self) -> str: ...
    @property
    def claim_segment(self) -> int | None: ...


def file_dollars(findings: Iterable[_OfClaim]) -> Decimal:
    """Return a file's dollars involved: its claims' added up (a claim's findings are contiguous)."""
    amount = Decimal(0)
    claim: tuple[str, str, int | None] | None = None
    counted = ClaimDollars()
    for finding in findings:
        key = (finding.transaction, finding.claim, finding.claim_segment)
        if key != claim:
            amount += counted.total
            claim, counted = key, ClaimDollars()
        counted.add(finding)
    return amount + counted.total


def money(amount: Decimal) -> str:
    """Return dollars as the report writes them: two decimals, no exponent ("81936.85")."""
    return f"{amount:.2f}"
