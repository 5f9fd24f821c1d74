"""The report as the Markdown and HTML renderers read it: typed, grouped per file and per claim.

Both people's reports are rendered from a JSON document (the one `--report` writes or
`cart837 report` reads: schema 2, or schema 1 of the first release), so they can never say
something the JSON does not. What schema 1 lacks is derived: a fix is `info`, a flag `review`;
no dollars; the work list without payer ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from cart837.claims.fields import SV2_CHARGE
from cart837.ids import ClaimId, FindingId, RuleId
from cart837.report.segments import segment_elements
from cart837.report.worklist import WorkItem, ordered
from cart837.results import claim_dollars, money
from cart837.rules.base import Severity
from cart837.rules.sources import references

DEFAULT_DELIMITERS = {"element": "*", "component": ":", "repetition": "^", "segment": "~"}
TOTAL_KEYS = ("files", "changed", "unchanged", "skipped", "failed", "findings", "fixed", "flags")
ZERO = Decimal(0)
_POINTER = re.compile(r"see (CART-\d{3})")


def dollars(amount: Decimal | None) -> str:
    """Return e.g. `$81,936.85` ("" for no amount)."""
    return "" if amount is None else f"${amount:,.2f}"


def segment_charge(segment: str, delimiters: Mapping[str, str | None]) -> Decimal | None:
    """Return SV203 of an SV2 segment's text, or None."""
    elements = segment_elements(segment, delimiters)[0]
    try:
        charge = elements[SV2_CHARGE] if len(elements) > SV2_CHARGE else ""
        return Decimal(charge) if charge else None
    except InvalidOperation:
        return None


def plural(count: int, noun: str) -> str:
    """Return e.g. `1 claim`, `2 claims`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True, slots=True)
class FindingEntry:
    """One finding of `files[].findings[]`."""

    rule: RuleId
    action: str
    fixed: bool
    transaction: str
    claim: ClaimId
    line: int | None
    date: str | None
    before: str | None
    after: str | None
    message: str
    citation: str
    patient: Mapping[str, str] | None = None
    severity: Severity = Severity.INFO
    next_step: str = ""
    amount: Decimal | None = None
    output_line: int | None = None
    removed: tuple[tuple[int, str], ...] = ()
    claim_segment: int | None = None  # the CLM's segment number (two claims may share a CLM01)
    id: FindingId | None = None  # schema 2 (DESIGN.md, Finding ids); schema-1 reports have none

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FindingEntry:
        """Build from a schema-valid finding object (schema 1: severity from `fixed`, no dollars)."""
        patient = data.get("patient")
        severity = data.get("severity") or ("info" if data["fixed"] else "review")
        amount = data.get("amount")
        return cls(
            rule=data["rule"],
            action=data["action"],
            fixed=data["fixed"],
            transaction=data["transaction"],
            claim=data["claim"],
            line=data["line"],
            date=data["date"],
            before=data["before"],
            after=data["after"],
            message=data["message"],
            citation=data["citation"],
            patient=dict(patient) if patient is not None else None,
            severity=Severity(severity),
            next_step=data.get("next_step", ""),
            amount=Decimal(amount) if amount is not None else None,
            output_line=data.get("output_line"),
            removed=tuple((r["line"], r["before"]) for r in data.get("removed", ())),
            id=data.get("id"),
            claim_segment=data.get("claim_segment"),
        )

    @property
    def claim_key(self) -> tuple[str, ClaimId, int | None]:
        """Return what tells one claim from another: ST02, CLM01 and the CLM's position (CLM01 may repeat)."""
        return (self.transaction, self.claim, self.claim_segment)

    @property
    def needs_person(self) -> bool:
        """Return whether the finding is an error or needs review."""
        return self.severity is not Severity.INFO


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a claim's table: a finding, or a line a collapse removed (its own row)."""

    finding: FindingEntry
    line: int | None  # input LX
    output_line: int | None
    before: str | None
    after: str | None
    amount: Decimal | None
    removed_by: int | None = None  # the kept line's input LX, for a removed line

    @property
    def sort_key(self) -> tuple[int, int]:
        """Input LX order, claim-level rows first; a removed line right after its own LX."""
        return (self.line if self.line is not None else -1, 1 if self.removed_by is not None else 0)


@dataclass(frozen=True, slots=True)
class ClaimGroup:
    """The findings of one claim, in report order."""

    claim: ClaimId
    transaction: str
    findings: tuple[FindingEntry, ...]

    @property
    def patient(self) -> Mapping[str, str] | None:
        """Return the patient identifiers (only present with --show-phi)."""
        return next((f.patient for f in self.findings if f.patient is not None), None)

    @property
    def rules(self) -> tuple[RuleId, ...]:
        """Return the rule ids of the claim's findings, without repeats."""
        return tuple(dict.fromkeys(f.rule for f in self.findings))

    def rows(self, delimiters: Mapping[str, str | None]) -> list[Row]:
        """Return the rows in input LX order: each finding, and each line a collapse removed."""
        rows: list[Row] = []
        for finding in self.findings:
            rows.append(Row(finding, finding.line, finding.output_line, finding.before, finding.after, finding.amount))
            for number, segment in finding.removed:
                charge = segment_charge(segment, delimiters)
                rows.append(Row(finding, number, None, segment, None, charge, removed_by=finding.line))
        return sorted(rows, key=lambda row: row.sort_key)

    @property
    def amount(self) -> Decimal:
        """Return the dollars the claim's findings involve (results.ClaimDollars: each line once)."""
        return claim_dollars(self.findings)

    @property
    def severity(self) -> Severity:
        """Return the most urgent severity of the claim's findings."""
        return min((f.severity for f in self.findings), key=lambda s: s.rank)


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
    held: tuple[ClaimId, ...] = ()
    held_output: str | None = None
    decisions: tuple[FindingId, ...] = ()  # schema 2: ids of the fixes rejected in review

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileEntry:
        """Build from a schema-valid file object."""
        return cls(
            path=data["path"],
            status=data["status"],
            error=data["error"],
            delimiters=dict(data["delimiters"] or DEFAULT_DELIMITERS),
            sha256_in=data["sha256_in"],
            sha256_out=data["sha256_out"],
            claims=data["claims"],
            claims_changed=data["claims_changed"],
            findings=tuple(FindingEntry.from_dict(f) for f in data["findings"]),
            held=tuple(data.get("held", ())),
            held_output=data.get("held_output"),
            decisions=tuple(data.get("decisions", ())),
        )

    @property
    def needs_attention(self) -> bool:
        """Return whether a finding of the file is an error or needs review (or the file failed)."""
        return self.status == "failed" or any(f.needs_person for f in self.findings)

    @property
    def label(self) -> str:
        """Return the status a person reads: "needs attention" beats "unchanged"/"changed"."""
        if self.status != "failed" and self.needs_attention:
            return f"{self.status}, needs attention"
        return self.status

    @property
    def claims_to_work(self) -> int:
        """Return how many claims have an error or review finding."""
        return len({f.claim_key for f in self.findings if f.needs_person})

    @property
    def amount(self) -> Decimal:
        """Return the dollars involved: its claims' added up (a line two rules touch counts once)."""
        return sum((group.amount for group in self.by_claim()), ZERO)

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
        groups: dict[tuple[str, ClaimId, int | None], list[FindingEntry]] = {}
        for finding in self.findings:
            groups.setdefault(finding.claim_key, []).append(finding)
        return [ClaimGroup(claim, transaction, tuple(found)) for (transaction, claim, _), found in groups.items()]


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """A rule as the report explains it: title, citation and the full text of each source."""

    id: RuleId
    title: str
    citation: str
    references: tuple[tuple[str, str], ...]
    severity: str = ""
    next_step: str = ""
    fix_next_step: str = ""

    @classmethod
    def from_dict(cls, rule_id: RuleId, data: Mapping[str, Any]) -> RuleEntry:
        """Build from an entry of the report's `rules` object."""
        refs = tuple((r["id"], r["text"]) for r in data["references"])
        return cls(
            rule_id,
            data["title"],
            data["citation"],
            refs,
            data.get("severity", ""),
            data.get("next_step", ""),
            data.get("fix_next_step", ""),
        )

    @classmethod
    def unlisted(cls, rule_id: RuleId, citation: str) -> RuleEntry:
        """Describe a rule a finding names but `rules` lacks, from the finding's citation."""
        return cls(rule_id, "", citation, tuple(references(citation)))


@dataclass(frozen=True, slots=True)
class RunConfig:
    """How the run was configured (schema 2 `config`)."""

    source: str
    found: str
    rules: Mapping[str, str]
    payers: Mapping[str, Any]
    code_table_date: str

    def describe(self) -> str:
        """Return e.g. `cart837.toml (found in the working folder's tree)` or `defaults`."""
        if self.found == "implicitly":
            return f"{self.source} (found by lookup, not named with --config)"
        return self.source


@dataclass(frozen=True, slots=True)
class Report:
    """A whole report (schema 2, or schema 1 read with what it lacks derived)."""

    version: str
    run_date: str
    files: tuple[FileEntry, ...]
    totals: Mapping[str, int]
    rules: Mapping[RuleId, RuleEntry]
    schema: int = 2
    config: RunConfig | None = None
    worklist: tuple[WorkItem, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Build from a schema-valid document (validate it first: `schema.validate`)."""
        files = tuple(FileEntry.from_dict(f) for f in data["files"])
        config = data.get("config")
        worklist = (
            tuple(WorkItem.from_dict(item) for item in data["worklist"]) if "worklist" in data else _derived(files)
        )
        return cls(
            version=data["version"],
            run_date=data.get("run_date") or data["as_of"],
            files=files,
            totals={key: data["totals"][key] for key in TOTAL_KEYS},
            rules={rule_id: RuleEntry.from_dict(rule_id, r) for rule_id, r in data["rules"].items()},
            schema=data["schema"],
            config=RunConfig(
                config["source"], config["found"], config["rules"], config["payers"], config["code_table_date"]
            )
            if config
            else None,
            worklist=worklist,
        )

    @property
    def amount(self) -> Decimal:
        """Return the run's dollars involved: its files' added up (the JSON totals' `amount`)."""
        return sum((entry.amount for entry in self.files), ZERO)

    def rule_amounts(self) -> dict[str, Decimal]:
        """Return rule id -> the dollars of its findings (per finding: two rules on a line both count)."""
        out: dict[str, Decimal] = {}
        for _, finding in self.findings():
            if finding.amount is not None:
                out[finding.rule] = out.get(finding.rule, ZERO) + finding.amount
        return out

    def severity_counts(self) -> dict[Severity, int]:
        """Return findings per severity."""
        counts = dict.fromkeys(Severity, 0)
        for _, finding in self.findings():
            counts[finding.severity] += 1
        return counts

    def findings(self) -> list[tuple[int, FindingEntry]]:
        """Return every finding with the index of its file."""
        return [(number, f) for number, entry in enumerate(self.files) for f in entry.findings]

    def rules_used(self) -> list[RuleEntry]:
        """Return the rules that have findings, in the run order of `rules` (unlisted ones last)."""
        used: dict[RuleId, str] = {}
        for _, finding in self.findings():
            used.setdefault(finding.rule, finding.citation)
        listed = [rule for rule_id, rule in self.rules.items() if rule_id in used]
        unlisted = [RuleEntry.unlisted(r, c) for r, c in sorted(used.items()) if r not in self.rules]
        return listed + unlisted

    def rules_explained(self) -> list[RuleEntry]:
        """Return the rules with findings and the rules their messages point to ("see CART-013").

        CART-013 has no finding of its own: its reason is said once, in its rule section.
        """
        used = self.rules_used()
        named = {rule.id for rule in used}
        pointed = {m for _, f in self.findings() for m in _POINTER.findall(f.message)} - named
        extra = [rule for rule_id, rule in self.rules.items() if rule_id in pointed]
        order = list(self.rules)
        return sorted(used + extra, key=lambda r: order.index(r.id) if r.id in order else len(order))

    def rule_counts(self) -> dict[str, tuple[int, int]]:
        """Return rule id -> (fixed, flagged) counts."""
        counts: dict[str, tuple[int, int]] = {}
        for _, finding in self.findings():
            fixed, flagged = counts.get(finding.rule, (0, 0))
            counts[finding.rule] = (fixed + finding.fixed, flagged + (not finding.fixed))
        return counts


def _derived(files: tuple[FileEntry, ...]) -> tuple[WorkItem, ...]:
    """The work list of a schema-1 report: its flags need review; no payer ids, no dollars."""
    items: list[WorkItem] = []
    for entry in files:
        for group in entry.by_claim():
            found = [f for f in group.findings if f.needs_person]
            if not found:
                continue
            dates = sorted(f.date for f in found if f.date)
            items.append(
                WorkItem(
                    entry.path,
                    group.transaction,
                    group.claim,
                    "",
                    dates[0] if dates else None,
                    min((f.severity for f in found), key=lambda s: s.rank),
                    tuple(dict.fromkeys(f.rule for f in found)),
                    (),
                    ZERO,
                )
            )
    return tuple(ordered(items))


__all__ = ["Report", "FileEntry", "FindingEntry", "ClaimGroup", "Row", "RuleEntry", "RunConfig", "dollars", "money"]
