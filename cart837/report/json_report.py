"""The JSON report (schema 2 of DESIGN.md), written file by file so memory stays flat.

The work list (one row per claim that needs a person) is gathered as files arrive and written
at the end, with the totals, the rules and the configuration of the run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from cart837 import __version__, logs
from cart837.atomic import AtomicFile
from cart837.codes.tables import code_table_date
from cart837.config import Config
from cart837.report.worklist import WorkItem, ordered, work_items
from cart837.results import FileResult, Totals, money
from cart837.rules import all_rules
from cart837.rules.base import Finding
from cart837.rules.sources import references

SCHEMA_VERSION = 2


def run_date() -> str:
    """Return the run date, from SOURCE_DATE_EPOCH when set (reproducible golden files)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).date().isoformat()
    return date.today().isoformat()


def finding_dict(finding: Finding, patient: dict[str, str] | None = None) -> dict[str, Any]:
    """Return one finding as the report shows it."""
    out: dict[str, Any] = {
        "id": finding.id,
        "rule": finding.rule,
        "action": finding.action.value,
        "fixed": finding.fixed,
        "transaction": finding.transaction,
        "claim": finding.claim,
        "claim_segment": finding.claim_segment,
        "line": finding.line,
        "date": finding.date.isoformat() if finding.date else None,
        "before": finding.before,
        "after": finding.after,
        "message": finding.message,
        "citation": finding.citation,
        "severity": finding.severity.value,
        "next_step": finding.next_step,
        "amount": money(finding.amount) if finding.amount is not None else None,
        "input_line": finding.input_line,
        "output_line": finding.output_line,
        "removed": [{"line": number, "before": segment} for number, segment in finding.removed],
    }
    if patient is not None:
        out["patient"] = patient
    return out


def file_dict(result: FileResult) -> dict[str, Any]:
    """Return one file's entry of `files[]`."""
    return {**_file_head(result), "findings": list(_finding_dicts(result))}


def _finding_dicts(result: FileResult) -> Iterator[dict[str, Any]]:
    for finding in result.findings:
        yield finding_dict(finding, result.patients.get(finding.claim))


def _file_head(result: FileResult) -> dict[str, Any]:
    """Return one file's entry of `files[]` up to (without) its findings, which come last."""
    return {
        "path": result.path,
        "status": result.status.value,
        "error": result.error,
        "code": result.code,
        "reason": result.reason,
        "delimiters": result.delimiters,
        "sha256_in": result.sha256_in,
        "sha256_out": result.sha256_out,
        "claims": result.claims,
        "claims_changed": result.claims_changed,
        "held": list(result.held),
        "held_output": result.held_output,
        "decisions": list(result.decisions),
        **({"warnings": list(result.warnings)} if result.warnings else {}),
    }


def rules_dict() -> dict[str, Any]:
    """Return every rule's title, citation (sources resolved, RULES.md §1.2), severity and next steps."""
    return {
        r.id: {
            "title": r.title,
            "citation": r.citation,
            "references": [{"id": i, "text": t} for i, t in references(r.citation)],
            "severity": r.severity.value,
            "next_step": r.next_step,
            "fix_next_step": r.fix_next_step,
        }
        for r in all_rules()
    }


def _plain(value: object) -> object:
    """Return a configuration value as JSON has it (tuples as lists, mappings as objects)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, bool | int | float | str) or value is None else str(value)


def config_dict(config: Config | None, implicit: bool = False) -> dict[str, Any]:
    """Return how the run was configured: file (or "defaults"), every rule's mode, payer overrides."""
    config = config or Config()
    return {
        "source": config.source,
        "found": "implicitly"
        if implicit and config.source != "defaults"
        else "explicitly"
        if config.source != "defaults"
        else "defaults",
        "rules": {r.id: r.mode_under(config).value for r in all_rules()},
        "payers": _plain(config.payers),
        "code_table_date": code_table_date(),
    }


def report_document(results: list[FileResult], config: Config | None = None, implicit: bool = False) -> dict[str, Any]:
    """Return the whole report as one dict, as the streamed JSON file has it."""
    totals = Totals()
    items: list[WorkItem] = []
    for result in results:
        totals.add(result)
        items.extend(work_items(result))
    return {
        "schema": SCHEMA_VERSION,
        "tool": "cart837",
        "version": __version__,
        "run_date": run_date(),
        "files": [file_dict(r) for r in results],
        "totals": totals.as_dict(),
        "rules": rules_dict(),
        "config": config_dict(config, implicit),
        "worklist": [item.as_dict() for item in ordered(items)],
    }


@dataclass(slots=True)
class JsonReportWriter:
    """Stream `files[]` entries to a temp file; `close()` adds totals and renames it into place."""

    path: Path
    config: Config | None = None
    implicit: bool = False  # the configuration file was found, not named (--config)
    stream: IO[str] | None = None  # `--report -`: written there as it goes, no temp file
    totals: Totals = field(default_factory=Totals)
    worklist: list[WorkItem] = field(default_factory=list)
    _output: AtomicFile | None = None
    _handle: IO[str] | None = None
    _count: int = 0

    def __enter__(self) -> JsonReportWriter:
        if self.stream is not None:
            self._handle = self.stream
        else:
            self._output = AtomicFile(self.path)
            self._handle = self._output.open(text=True)
        head = {"schema": SCHEMA_VERSION, "tool": "cart837", "version": __version__, "run_date": run_date()}
        self._handle.write(json.dumps(head)[:-1] + ', "files": [\n')
        return self

    def add(self, result: FileResult) -> None:
        """Append one file's entry, its findings one by one (a 1M-claim file has ~340k of them).

        The bytes are those of json.dumps(file_dict(result)), without holding it all at once.
        """
        assert self._handle is not None
        self.totals.add(result)
        self.worklist.extend(work_items(result))
        head = json.dumps(_file_head(result))
        self._handle.write((",\n" if self._count else "") + head[:-1] + ', "findings": [')
        for number, finding in enumerate(_finding_dicts(result)):
            self._handle.write((", " if number else "") + json.dumps(finding))
        self._handle.write("]}")
        self._count += 1

    def __exit__(self, *exc: object) -> None:
        assert self._handle is not None
        if exc[0] is not None:
            if self._output is not None:
                self._output.abandon()
            return
        tail = {
            "totals": self.totals.as_dict(),
            "rules": rules_dict(),
            "config": config_dict(self.config, self.implicit),
            "worklist": [item.as_dict() for item in ordered(self.worklist)],
            **({"warnings": warnings} if (warnings := logs.run_warnings()) else {}),
        }
        self._handle.write("\n], " + json.dumps(tail)[1:] + "\n")
        if self._output is not None:
            self._output.commit()
        else:
            self._handle.flush()
