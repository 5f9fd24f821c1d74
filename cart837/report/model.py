"""The report as the Markdown and HTML renderers read it: typed, grouped per file and per claim.

Both people's reports are rendered from a schema-1 JSON document (the one `--report` writes or
`cart837 report` reads), so they can never say something the JSON does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cart837.rules.sources import references

DEFAULT_DELIMITERS = {"element": "*", "component": ":", "repetition": "^", "segment": "~"}
TOTAL_KEYS = ("files", "changed", "unchanged", "skipped", "failed", "findings", "fixed", "flags")


def plural(count: int, noun: str) -> str:
    """Return e.g. `1 claim`, `2 claims`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True, slots=True)
class FindingEntry:
    """One finding of `files[].findings[]`."""

    rule: str
    action: str
    fixed: bool
    transaction: str
    claim: str
    line: int | None
    date: str | None
    before: str | None
    after: str | None
    message: str
    citation: str
    patient: Mapping[str, str] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FindingEntry:
        """Build from a schema-valid finding object."""
        patient = data.get("patient")
        return cls(
            rule=data["rule"], action=data["action"], fixed=data["fixed"], transaction=data["transaction"],
            claim=data["claim"], line=data["line"], date=data["date"], before=data["before"],
            after=data["after"], message=data["message"], citation=data["citation"],
            patient=dict(patient) if patient is not None else None,
        )


@dataclass(frozen=True, slots=True)
class ClaimGroup:
    """The findings of one claim, in report order."""

    claim: str
    transaction: str
    findings: tuple[FindingEntry, ...]

    @property
    def patient(self) -> Mapping[str, str] | None:
        """Return the patient identifiers (only present with --show-phi)."""
        return next((f.patient for f in self.findings if f.patient is not None), None)

    @property
    def rules(self) -> tuple[str, ...]:
        """Return the rule ids of the claim's findings, without repeats."""
        return tuple(dict.fromkeys(f.rule for f in self.findings))


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One entry of `files[]`."""

    path: str
    status: str
    error: str | None
    delimiters: Mapping[str, str | None]
    sha256_in: str | None
    sha256_out: str | None
    claims: int
    claims_changed: int
    findings: tuple[FindingEntry, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileEntry:
        """Build from a schema-valid file object."""
        return cls(
            path=data["path"], status=data["status"], error=data["error"],
            delimiters=dict(data["delimiters"] or DEFAULT_DELIMITERS),
            sha256_in=data["sha256_in"], sha256_out=data["sha256_out"], claims=data["claims"],
            claims_changed=data["claims_changed"],
            findings=tuple(FindingEntry.from_dict(f) for f in data["findings"]),
        )

    @property
    def fixed(self) -> int:
        """Return how many findings were fixed."""
        return sum(1 for f in self.findings if f.fixed)

    @property
    def flags(self) -> int:
        """Return how many findings are flags."""
        return len(self.findings) - self.fixed

    def by_claim(self) -> list[ClaimGroup]:
        """Group the findings per (transaction, claim), in order of first appearance."""
        groups: dict[tuple[str, str], list[FindingEntry]] = {}
        for finding in self.findings:
            groups.setdefault((finding.transaction, finding.claim), []).append(finding)
        return [ClaimGroup(claim, transaction, tuple(found)) for (transaction, claim), found in groups.items()]


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """A rule as the report explains it: title, citation and the full text of each source."""

    id: str
    title: str
    citation: str
    references: tuple[tuple[str, str], ...]

    @classmethod
    def from_dict(cls, rule_id: str, data: Mapping[str, Any]) -> RuleEntry:
        """Build from an entry of the report's `rules` object."""
        refs = tuple((r["id"], r["text"]) for r in data["references"])
        return cls(rule_id, data["title"], data["citation"], refs)

    @classmethod
    def unlisted(cls, rule_id: str, citation: str) -> RuleEntry:
        """Describe a rule a finding names but `rules` lacks, from the finding's citation."""
        return cls(rule_id, "", citation, tuple(references(citation)))


@dataclass(frozen=True, slots=True)
class Report:
    """A whole schema-1 report."""

    version: str
    as_of: str
    files: tuple[FileEntry, ...]
    totals: Mapping[str, int]
    rules: Mapping[str, RuleEntry]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Build from a schema-valid document (validate it first: `schema.validate`)."""
        return cls(
            version=data["version"],
            as_of=data["as_of"],
            files=tuple(FileEntry.from_dict(f) for f in data["files"]),
            totals={key: data["totals"][key] for key in TOTAL_KEYS},
            rules={rule_id: RuleEntry.from_dict(rule_id, r) for rule_id, r in data["rules"].items()},
        )

    def findings(self) -> list[tuple[int, FindingEntry]]:
        """Return every finding with the index of its file."""
        return [(number, f) for number, entry in enumerate(self.files) for f in entry.findings]

    def rules_used(self) -> list[RuleEntry]:
        """Return the rules that have findings, in the run order of `rules` (unlisted ones last)."""
        used: dict[str, str] = {}
        for _, finding in self.findings():
            used.setdefault(finding.rule, finding.citation)
        listed = [rule for rule_id, rule in self.rules.items() if rule_id in used]
        unlisted = [RuleEntry.unlisted(r, c) for r, c in sorted(used.items()) if r not in self.rules]
        return listed + unlisted

    def rule_counts(self) -> dict[str, tuple[int, int]]:
        """Return rule id -> (fixed, flagged) counts."""
        counts: dict[str, tuple[int, int]] = {}
        for _, finding in self.findings():
            fixed, flagged = counts.get(finding.rule, (0, 0))
            counts[finding.rule] = (fixed + finding.fixed, flagged + (not finding.fixed))
        return counts
