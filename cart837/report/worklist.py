"""The work list: one row per claim that needs a person (an `error` or `review` finding).

Built per file as results arrive (the rows stay in memory: one small row per claim to work, not
per finding), written into the JSON report's `worklist`, on top of the people's reports and as
`--worklist FILE.csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cart837.atomic import AtomicFile
from cart837.ids import ClaimId, RuleId
from cart837.results import ClaimDollars, FileResult, money
from cart837.rules.base import Finding, Severity

CSV_COLUMNS = ("severity", "file", "claim", "payer", "first_dos", "rules", "what_to_do", "amount", "went_to")
# A cell a spreadsheet would run as a formula (CSV injection): a claim id may be any text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One claim of the work list."""

    file: str
    transaction: str
    claim: ClaimId
    payer: str
    first_date: str | None
    severity: Severity
    rules: tuple[RuleId, ...]
    steps: tuple[str, ...]  # "CART-010: check the chart …", one per rule, in rule order of the claim
    amount: Decimal
    held: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the row as the JSON report's `worklist[]` has it."""
        return {
            "file": self.file,
            "transaction": self.transaction,
            "claim": self.claim,
            "payer": self.payer,
            "first_date": self.first_date,
            "severity": self.severity.value,
            "rules": list(self.rules),
            "next_steps": list(self.steps),
            "amount": money(self.amount),
            "held": self.held,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkItem:
        """Build from a schema-valid `worklist[]` row."""
        return cls(
            data["file"],
            data["transaction"],
            data["claim"],
            data["payer"],
            data["first_date"],
            Severity(data["severity"]),
            tuple(data["rules"]),
            tuple(data["next_steps"]),
            Decimal(data["amount"]),
            data["held"],
        )


def work_items(result: FileResult) -> list[WorkItem]:
    """Return the file's claims that need a person, in input order (one pass over the findings)."""
    groups: dict[tuple[str, ClaimId, int | None], list[Finding]] = {}  # by position: a CLM01 may repeat
    amounts: dict[tuple[str, ClaimId, int | None], Decimal] = {}  # dollars involved: all the claim's findings
    current: tuple[str, ClaimId, int | None] | None = None
    counted = ClaimDollars()
    for finding in result.findings:  # a claim's findings are contiguous
        key = (finding.transaction, finding.claim, finding.claim_segment)
        if key != current:
            if current is not None and current in groups:
                amounts[current] = counted.total
            current, counted = key, ClaimDollars()
        counted.add(finding)
        if finding.severity is not Severity.INFO:
            groups.setdefault(key, []).append(finding)
    if current is not None and current in groups:
        amounts[current] = counted.total
    held = set(result.held)
    items: list[WorkItem] = []
    for (transaction, claim, segment), found in groups.items():
        steps: dict[str, str] = {}
        for finding in found:
            if finding.next_step and finding.rule not in steps:
                steps[finding.rule] = f"{finding.rule}: {finding.next_step}"
        first = min((f.first_date for f in found if f.first_date is not None), default=None)
        items.append(
            WorkItem(
                file=result.path,
                transaction=transaction,
                claim=claim,
                payer=found[0].payer,
                first_date=first.isoformat() if first else None,
                severity=min((f.severity for f in found), key=lambda s: s.rank),
                rules=tuple(dict.fromkeys(f.rule for f in found)),
                steps=tuple(steps.values()),
                amount=amounts[(transaction, claim, segment)],
                held=claim in held,
            )
        )
    return items


def ordered(items: Iterable[WorkItem]) -> list[WorkItem]:
    """Return the rows errors first, then reviews; input order within each."""
    return sorted(items, key=lambda item: item.severity.rank)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_text(items: Iterable[WorkItem], held_paths: Mapping[str, str] | None = None) -> str:
    """Return the work list as CSV a spreadsheet opens (with a BOM for Excel, CRLF line ends)."""
    held_paths = held_paths or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        went = held_paths.get(item.file, "held") if item.held else "outbound"
        cells = (
            item.severity.value,
            item.file,
            item.claim,
            item.payer,
            item.first_date or "",
            " ".join(item.rules),
            " | ".join(item.steps),
            money(item.amount),
            went,
        )
        writer.writerow(_cell(value) for value in cells)
    return "\ufeff" + buffer.getvalue()


def write_csv(path: Path, items: Iterable[WorkItem], held_paths: Mapping[str, str] | None = None) -> None:
    """Write the work list CSV atomically (the folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with AtomicFile(path) as output:
        output.open().write(csv_text(items, held_paths).encode("utf-8"))
