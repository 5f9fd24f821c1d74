"""The Markdown report: summary, then per file and per claim a table of changes, then the sources.

Every value from a claim file goes into a code span or is escaped, so a claim id such as
`<script>` is shown, never interpreted (GitHub and most renderers pass raw HTML through).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from cart837.report.model import ClaimGroup, FileEntry, FindingEntry, Report, RuleEntry, plural
from cart837.report.segments import changes

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


def _document(report: Report) -> Iterator[str]:
    yield "# cart837 report"
    yield ""
    yield f"cart837 {text(report.version)}, as of {report.as_of}."
    if any(f.patient is not None for _, f in report.findings()):
        yield ""
        yield f"**{PHI_NOTE}**"
    yield from _summary(report)
    for entry in report.files:
        if entry.findings or entry.error:
            yield from _file(entry)
    yield from _rules(report.rules_used(), report.rule_counts())


def _summary(report: Report) -> Iterator[str]:
    totals = report.totals
    yield ""
    yield "## Summary"
    yield ""
    keys = ("files", "changed", "unchanged", "skipped", "failed", "findings", "fixed", "flags")
    yield from _table(tuple(k.capitalize() for k in keys), [tuple(str(totals[k]) for k in keys)], frozenset(range(8)))
    if not report.files:
        return
    yield ""
    rows = [
        (code(f.path), f.status, str(f.claims), str(f.claims_changed), str(f.fixed), str(f.flags))
        for f in report.files
    ]
    yield from _table(("File", "Status", "Claims", "Claims changed", "Fixed", "Flags"), rows, frozenset({2, 3, 4, 5}))


def _file(entry: FileEntry) -> Iterator[str]:
    yield ""
    yield f"## File {code(entry.path)}"
    yield ""
    yield f"Status: **{entry.status}**; {plural(entry.claims, 'claim')}, {entry.claims_changed} changed.  "
    if entry.sha256_in:
        yield f"sha256 in: {code(entry.sha256_in)}  "
    if entry.sha256_out:
        yield f"sha256 out: {code(entry.sha256_out)}  "
    if entry.error:
        yield f"Error: {text(entry.error)}"
    for group in entry.by_claim():
        yield from _claim(group, entry.delimiters)


def _claim(group: ClaimGroup, delimiters: Mapping[str, str | None]) -> Iterator[str]:
    yield ""
    yield f"### Claim {code(group.claim)} (transaction {code(group.transaction)})"
    if group.patient is not None:
        yield ""
        yield "Patient: " + ", ".join(f"{text(key)} {code(value)}" for key, value in group.patient.items())
    yield ""
    header = ("LX", "Date", "Rule", "Action", "Change", "Before", "After", "Message")
    yield from _table(header, [_row(f, delimiters) for f in group.findings], frozenset({0}))


def _row(finding: FindingEntry, delimiters: Mapping[str, str | None]) -> tuple[str, ...]:
    action = f"{finding.action} (fixed)" if finding.fixed else "flag"
    changed = "<br>".join(
        f"{c.name}: {code(c.before) if c.before else '(empty)'} → {code(c.after) if c.after else '(empty)'}"
        for c in changes(finding.before, finding.after, delimiters)
    )
    return (
        str(finding.line) if finding.line is not None else "claim",
        finding.date or "",
        f"[{finding.rule}](#{finding.rule.lower()})",
        action,
        changed,
        code(finding.before) if finding.before else "",
        code(finding.after) if finding.after else "",
        text(finding.message),
    )


def _rules(rules: list[RuleEntry], counts: Mapping[str, tuple[int, int]]) -> Iterator[str]:
    if not rules:
        return
    yield ""
    yield "## Rules and sources"
    for rule in rules:
        fixed, flagged = counts.get(rule.id, (0, 0))
        yield ""
        yield f"### {rule.id}"
        yield ""
        if rule.title:
            yield f"**{text(rule.title)}**  "
        yield f"{fixed} fixed, {flagged} flagged. Citation: {text(rule.citation)}"
        if rule.references:
            yield ""
        for source, source_text in rule.references:
            yield f"- **{text(source)}**: {text(source_text)}"
