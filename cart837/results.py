"""What a run produced: file statuses, per-file results and totals.

Plain data that `batch` fills and `report`/`summary` read (DESIGN.md, layers): it knows no files
and no rendering, so everything above the rules can depend on it without depending on `batch`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

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

    claim: str
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
    internal_error: bool = False
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
    held: list[str] = field(default_factory=list)  # claim ids written to --hold (CLM01, input order)
    held_output: str | None = None  # where they went
    decisions: list[str] = field(default_factory=list)  # ids of the fixes not applied: rejected in review


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
    amount_fixed: Decimal = Decimal(0)  # dollars the applied fixes moved
    amount_flagged: Decimal = Decimal(0)  # dollars on the findings that changed nothing

    def add(self, result: FileResult) -> None:
        """Count one file (one pass over its findings, which may be spilled to disk)."""
        from cart837.rules.base import Severity

        self.files += 1
        setattr(self, result.status.value, getattr(self, result.status.value) + 1)
        fixed = total = errors = reviews = 0
        to_work: set[tuple[str, str]] = set()
        for finding in result.findings:
            total += 1
            fixed += finding.fixed
            if finding.severity is Severity.ERROR:
                errors += 1
            elif finding.severity is Severity.REVIEW:
                reviews += 1
            if finding.severity is not Severity.INFO:
                to_work.add((finding.transaction, finding.claim))
            if finding.amount is not None:
                if finding.fixed:
                    self.amount_fixed += finding.amount
                else:
                    self.amount_flagged += finding.amount
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


def money(amount: Decimal) -> str:
    """Return dollars as the report writes them: two decimals, no exponent ("81936.85")."""
    return f"{amount:.2f}"
