"""The Markdown report: the work list first, then the summary, per file and per claim a table of
changes in input line order, dollars by rule, the configuration, and the rules with their sources.

Every value from a claim file goes into a code span or is escaped, so a claim id such as
`<script>` is shown, never interpreted (GitHub and most renderers pass raw HTML through).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from cart837.report.model import ClaimGroup, FileEntry, Report, Row, RuleEntry, dollars, plural
from cart837.report.segments import changes
from cart837.report.worklist import WorkItem
from cart837.rules.base import Severity

# Only inline syntax needs escaping: values never start a line (they follow a prefix or a `|`).
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_BACKTICKS = re.compile(r"`+")
PHI_NOTE = "This report contains patient identifiers (PHI): it was written with --show-phi."


def text(value: str) -> str:
    """Escape plain text for a Markdown table cell: punctuation, `&`, and line breaks."""
    value = value.replace("&", "&amp;")
    return " ".join(_SPECIAL.sub(r"\\\1", value).split())


def code(value: str) -> str:
    """Return `value` as a code span that survives any backticks and pipes inside it."""
    value = " ".join(value.split()).replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], right: frozenset[int] = frozenset()) -> list[str]:
    rule = tuple("---:" if i in right else "---" for i in range(len(header)))
    return ["| " + " | ".join(cells) + " |" for cells in (header, rule, *rows)]


def render(report: Report) -> str:
    """Return the whole Markdown report."""
    return "\n".join(_document(report)) + "\n"


def run_line(report: Report) -> str:
    """Return the line saying when and how the run was made (never "as of": not a code-set date)."""
    line = f"Run on {report.run_date} with cart837 {report.version}."
    if report.config is not None:
        line += f" Configuration: {report.config.describe()}; code tables checked {report.config.code_table_date}."
    return line


def _document(report: Report) -> Iterator[str]:
    yield "# cart837 report"
    yield ""
    yield text(run_line(report))
    if any(f.patient is not None for _, f in report.findings()):
        yield ""
        yield f"**{PHI_NOTE}**"
    yield from _worklist(report)
    yield from _summary(report)
    for entry in report.files:
        if entry.findings or entry.error:
            yield from _file(entry)
    yield from _config(report)
    yield from _rules(report.rules_explained(), report)


def _worklist(report: Report) -> Iterator[str]:
    items = report.worklist
    yield ""
    yield f"## Work list: {plural(len(items), 'claim')} need a person"
    yield ""
    if not items:
        yield "No claim has an error or a finding to review."
        return
    yield "Errors first (do not send as is), then claims to review; each row says what to do."
    yield ""
    header = ("Severity", "File", "Claim", "Payer", "First DOS", "Rules", "What to do", "Dollars involved")
    yield from _table(header, [_work_row(item) for item in items], frozenset({7}))


def _work_row(item: WorkItem) -> tuple[str, ...]:
    severity = f"**{item.severity.value}**" + (" (held)" if item.held else "")
    return (
        severity,
        code(item.file),
        code(item.claim),
        code(item.payer) if item.payer else "",
        item.first_date or "",
        ", ".join(item.rules),
        "<br>".join(text(step) for step in item.steps),
        dollars(item.amount),
    )


def _summary(report: Report) -> Iterator[str]:
    totals = report.totals
    severity = report.severity_counts()
    yield ""
    yield "## Summary"
    yield ""
    header = (
        "Files",
        "Changed",
        "Unchanged",
        "Skipped",
        "Failed",
        "Claims to work",
        "Errors",
        "Reviews",
        "Fixed",
        "Flags",
        "Dollars involved",
    )
    row = (
        str(totals["files"]),
        str(totals["changed"]),
        str(totals["unchanged"]),
        str(totals["skipped"]),
        str(totals["failed"]),
        str(len(report.worklist)),
        str(severity[Severity.ERROR]),
        str(severity[Severity.REVIEW]),
        str(totals["fixed"]),
        str(totals["flags"]),
        dollars(report.amount),
    )
    yield from _table(header, [row], frozenset(range(len(header))))
    if not report.files:
        return
    yield ""
    rows = [
        (
            code(f.path),
            f.label,
            str(f.claims),
            str(f.claims_changed),
            str(f.claims_to_work),
            str(f.fixed),
            str(f.flags),
            dollars(f.amount),
            code(f.held_output) if f.held_output else "",
        )
        for f in report.files
    ]
    file_header = (
        "File",
        "Status",
        "Claims",
        "Claims changed",
        "Claims to work",
        "Fixed",
        "Flags",
        "Dollars involved",
        "Held to",
    )
    yield from _table(file_header, rows, frozenset({2, 3, 4, 5, 6, 7}))


def _file(entry: FileEntry) -> Iterator[str]:
    yield ""
    yield f"## File {code(entry.path)}"
    yield ""
    yield f"Status: **{entry.label}**; {plural(entry.claims, 'claim')}, {entry.claims_changed} changed.  "
    if entry.sha256_in:
        yield f"sha256 in: {code(entry.sha256_in)}  "
    if entry.sha256_out:
        yield f"sha256 out: {code(entry.sha256_out)}  "
    if entry.held:
        where = code(entry.held_output) if entry.held_output else "the --hold folder"
        yield f"Held (not in the outbound file, written to {where}): {', '.join(code(c) for c in entry.held)}  "
    if entry.decisions:
        yield f"Rejected in review (not applied): {', '.join(code(i) for i in entry.decisions)}  "
    if entry.error:
        yield f"Error: {text(entry.error)}"
    held = set(entry.held)
    for group in entry.by_claim():
        yield from _claim(group, entry.delimiters, group.claim in held)


def _claim(group: ClaimGroup, delimiters: Mapping[str, str | None], held: bool) -> Iterator[str]:
    yield ""
    where = "held, not sent" if held else "outbound"
    involved = f"{dollars(group.amount)} involved"
    yield f"### Claim {code(group.claim)} (transaction {code(group.transaction)}; {where}; {involved})"
    if group.patient is not None:
        yield ""
        yield "Patient: " + ", ".join(f"{text(key)} {code(value)}" for key, value in group.patient.items())
    yield ""
    with_ids = any(f.id for f in group.findings)
    header = ("Id",) * with_ids + (
        "LX in",
        "LX out",
        "Date",
        "Rule",
        "Severity",
        "Action",
        "Dollars",
        "Change",
        "Before",
        "After",
        "Message",
    )
    rows = [
        (code(row.finding.id or "") if row.removed_by is None else "",) * with_ids + _row(row, delimiters)
        for row in group.rows(delimiters)
    ]
    yield from _table(header, rows, frozenset(i + with_ids for i in (0, 1, 6)))


def _row(row: Row, delimiters: Mapping[str, str | None]) -> tuple[str, ...]:
    finding = row.finding
    if row.removed_by is not None:
        return (
            str(row.line),
            "removed",
            finding.date or "",
            f"[{finding.rule}](#{finding.rule.lower()})",
            finding.severity.value,
            "removed (collapse)",
            dollars(row.amount),
            "",
            code(row.before) if row.before else "",
            "",
            text(f"removed: collapsed into LX {row.removed_by} by {finding.rule}"),
        )
    action = f"{finding.action} (fixed)" if finding.fixed else "flag"
    changed = "<br>".join(
        f"{c.name}: {code(c.before) if c.before else '(empty)'} → {code(c.after) if c.after else '(empty)'}"
        for c in changes(finding.before, finding.after, delimiters)
    )
    line = str(row.line) if row.line is not None else "claim"
    out = str(row.output_line) if row.output_line is not None else ("" if row.line is None else "removed")
    return (
        line,
        out,
        finding.date or "",
        f"[{finding.rule}](#{finding.rule.lower()})",
        finding.severity.value,
        action,
        dollars(row.amount),
        changed,
        code(finding.before) if finding.before else "",
        code(finding.after) if finding.after else "",
        text(finding.message),
    )


def _config(report: Report) -> Iterator[str]:
    config = report.config
    if config is None:
        return
    yield ""
    yield "## Configuration"
    yield ""
    yield f"Configuration: {text(config.describe())}. Code tables checked {config.code_table_date}."
    yield ""
    rows = [(rule_id, mode) for rule_id, mode in config.rules.items()]
    yield from _table(("Rule", "Mode"), rows)
    if config.payers:
        yield ""
        yield "Payer overrides:"
        for payer, values in config.payers.items():
            settings = "; ".join(f"{text(str(k))} = {code(str(v))}" for k, v in values.items())
            yield f"- {code(payer)}: {settings}"


def _rules(rules: list[RuleEntry], report: Report) -> Iterator[str]:
    if not rules:
        return
    counts = report.rule_counts()
    amounts = report.rule_amounts()
    yield ""
    yield "## Dollars by rule"
    yield ""
    rows = [
        (
            f"[{r.id}](#{r.id.lower()})",
            text(r.title),
            str(counts.get(r.id, (0, 0))[0]),
            str(counts.get(r.id, (0, 0))[1]),
            dollars(amounts.get(r.id)),
        )
        for r in rules
    ]
    yield from _table(("Rule", "Title", "Fixed", "Flagged", "Dollars"), rows, frozenset({2, 3, 4}))
    yield ""
    yield "## Rules and sources"
    for rule in rules:
        fixed, flagged = counts.get(rule.id, (0, 0))
        yield ""
        yield f"### {rule.id}"
        yield ""
        if rule.title:
            yield f"**{text(rule.title)}**  "
        yield f"{fixed} fixed, {flagged} flagged. Citation: {text(rule.citation)}  "
        if rule.severity:
            yield f"Severity of its flags: {rule.severity}. Next step: {text(rule.next_step)}  "
        if rule.references:
            yield ""
        for source, source_text in rule.references:
            yield f"- **{text(source)}**: {text(source_text)}"
