"""What a run produced: file statuses, per-file results and totals.

Plain data that `batch` fills and `report`/`summary` read (DESIGN.md, layers): it knows no files
and no rendering, so everything above the rules can depend on it without depending on `batch`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cart837.rules.base import Finding
from cart837.spill import SpillList


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


@dataclass(slots=True)
class ClaimChange:
    """A changed claim's segments before and after, for `diff`."""

    claim: str
    segment_index: int
    before: list[str]
    after: list[str]


@dataclass(slots=True)
class FileResult:
    """What happened to one file (DESIGN.md, Report contract `files[]`)."""

    path: str
    status: FileStatus
    error: str | None = None
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



@dataclass(slots=True)
class Totals:
    """Files by status and findings by kind: the report's `totals` and the summary line's counts."""

    files: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    findings: int = 0
    fixed: int = 0
    flags: int = 0

    def add(self, result: FileResult) -> None:
        """Count one file (one pass over its findings, which may be spilled to disk)."""
        self.files += 1
        setattr(self, result.status.value, getattr(self, result.status.value) + 1)
        fixed = total = 0
        for finding in result.findings:
            total += 1
            fixed += finding.fixed
        self.findings += total
        self.fixed += fixed
        self.flags += total - fixed

    def as_dict(self) -> dict[str, int]:
        """Return the counts by name, in report order."""
        return {name: getattr(self, name) for name in Totals.__slots__}
