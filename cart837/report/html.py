"""The HTML report: one self-contained page built with lxml (inline CSS, no network).

lxml escapes every text and attribute value, so nothing from a claim file can become markup.
A Content-Security-Policy with the hashes of the one inline style and script keeps the page
from loading or running anything else; without scripts every finding is still shown, only
the filter bar stays hidden.

The page is for working through a batch: the work list first; sort by claim, date, rule or
dollars; search by claim id; only one rule or severity; clear. The filter lives in the URL's
fragment (`#rule=CART-005&q=C1&sort=amount`), so a filtered view can be bookmarked or sent, and
is printed on the page (a printout says what it shows). Printing gives one line per finding.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import cache
from importlib import resources

from lxml import etree
from lxml import html as lxml_html

from cart837.report.html_rules import config_section, rules_section
from cart837.report.html_tree import Element, header, sub
from cart837.report.markdown import run_line
from cart837.report.model import ClaimGroup, FileEntry, Report, Row, dollars, plural
from cart837.report.segments import Piece, compare
from cart837.rules.base import Severity

SEVERITIES = (Severity.ERROR, Severity.REVIEW, Severity.INFO)


@cache
def stylesheet() -> str:
    """Return the report's CSS (report.css, shipped in the package)."""
    return resources.files("cart837.report").joinpath("report.css").read_text(encoding="utf-8")


@cache
def script() -> str:
    """Return the report's filters, search, sort and URL-fragment code (report.js, shipped in the package).

    Written without "<" and "&": it is raw text inside the page's script element.
    """
    return resources.files("cart837.report").joinpath("report.js").read_text(encoding="utf-8")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render(report: Report) -> str:
    """Return the whole page as an HTML5 document."""
    page = etree.Element("html", lang="en")
    _head(page)
    body = sub(page, "body")
    main = sub(body, "main")
    sub(main, "h1", "cart837 report")
    sub(main, "p", run_line(report), cls="muted")
    if any(f.patient is not None for _, f in report.findings()):
        sub(main, "p", "This report contains patient identifiers (PHI): it was written with --show-phi.", cls="phi")
    anchors = _anchors(report)
    _worklist(main, report, anchors)
    _summary(main, report)
    _filters(main, report)
    for number, entry in enumerate(report.files):
        if entry.findings or entry.error:
            _file(main, number, entry, anchors)
    rules_section(main, report)
    config_section(main, report)
    footer = sub(main, "footer", "Rendered from a JSON report. Segments are as written; changed elements ")
    sub(footer, "mark", "are marked").tail = "."
    sub(body, "script", script())
    document: str = lxml_html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode", method="html")
    return document + "\n"


def _head(page: Element) -> None:
    head = sub(page, "head")
    sub(head, "meta", charset="utf-8")
    policy = f"default-src 'none'; style-src {_hash(stylesheet())}; script-src {_hash(script())}"
    sub(head, "meta", http_equiv="Content-Security-Policy", content=policy)
    sub(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    sub(head, "title", "cart837 report")
    sub(head, "style", stylesheet())


def _anchors(report: Report) -> dict[tuple[str, str, str], str]:
    """Return (file path, transaction, claim) -> the id of the claim's section."""
    out: dict[tuple[str, str, str], str] = {}
    for number, entry in enumerate(report.files):
        for index, group in enumerate(entry.by_claim()):
            out.setdefault((entry.path, group.transaction, group.claim), f"claim-{number}-{index}")
    return out


def _worklist(main: Element, report: Report, anchors: Mapping[tuple[str, str, str], str]) -> None:
    items = report.worklist
    sub(main, "h2", f"Work list: {plural(len(items), 'claim')} need a person", id="worklist-title")
    if not items:
        sub(main, "p", "No claim has an error or a finding to review.", cls="muted")
        return
    sub(
        main,
        "p",
        "Errors first (do not send as is), then claims to review. Click a claim to see its lines.",
        cls="meta",
    )
    numbers = {entry.path: str(number) for number, entry in enumerate(report.files)}
    table = sub(main, "table", cls="worklist", id="worklist")
    row = sub(sub(table, "thead"), "tr")
    for name, sort_key in (
        ("Severity", ""),
        ("File", ""),
        ("Claim", "claim"),
        ("Payer", ""),
        ("First DOS", "date"),
        ("Rules", "rule"),
        ("What to do", ""),
        ("Dollars involved", "amount"),
    ):
        cell = sub(row, "th", None if sort_key else name, cls="num" if name == "Dollars involved" else None)
        if sort_key:
            sub(cell, "button", name, type="button", data_sort=sort_key, title=f"sort by {name.lower()}")
    body = sub(table, "tbody")
    for order, item in enumerate(items):
        tr = sub(
            body,
            "tr",
            cls=f"sev-{item.severity.value}",
            data_claim=item.claim.lower(),
            data_date=item.first_date or "",
            data_rule=item.rules[0],
            data_rules=" ".join(item.rules),
            data_amount=str(item.amount),
            data_severity=item.severity.value,
            data_file=numbers.get(item.file, ""),
            data_order=str(order),
        )
        sub(
            sub(tr, "td"),
            "span",
            item.severity.value + (" · held" if item.held else ""),
            cls=f"sev {item.severity.value}",
        )
        sub(sub(tr, "td"), "code", item.file)
        anchor = anchors.get((item.file, item.transaction, item.claim))
        cell = sub(tr, "td")
        sub(sub(cell, "a", href=f"#{anchor}") if anchor else cell, "code", item.claim)
        sub(sub(tr, "td"), "code", item.payer)
        sub(tr, "td", item.first_date or "", cls="date")
        sub(tr, "td", " ".join(item.rules), cls="rule")
        steps = sub(tr, "td", cls="steps")
        for step in item.steps:
            sub(steps, "div", step)
        sub(tr, "td", dollars(item.amount), cls="num")


def _summary(main: Element, report: Report) -> None:
    sub(main, "h2", "Summary", id="summary")
    cards = sub(main, "div", cls="cards")
    severity = report.severity_counts()
    values = (
        ("files", str(report.totals["files"]), "files"),
        ("work", str(len(report.worklist)), "claims to work"),
        ("errors", str(severity[Severity.ERROR]), "errors"),
        ("reviews", str(severity[Severity.REVIEW]), "to review"),
        ("fixed", str(report.totals["fixed"]), "fixed"),
        ("flags", str(report.totals["flags"]), "flags"),
        ("changed", str(report.totals["changed"]), "files changed"),
        ("failed", str(report.totals["failed"]), "failed"),
        ("money", dollars(report.amount), "dollars involved"),
    )
    for key, shown, label in values:
        card = sub(cards, "div", cls=f"card {key}")
        sub(card, "span", shown, cls="n")
        sub(card, "span", label, cls="k")
    if not report.files:
        return
    table = sub(main, "table", cls="files")
    header(
        table,
        ("File", "Status", "Claims", "Claims changed", "Claims to work", "Fixed", "Flags", "Dollars involved"),
        numeric=(2, 3, 4, 5, 6, 7),
    )
    body = sub(table, "tbody")
    for number, entry in enumerate(report.files):
        row = sub(body, "tr")
        cell = sub(row, "td")
        if entry.findings or entry.error:
            cell = sub(cell, "a", href=f"#file-{number}")
        sub(cell, "code", entry.path)
        _status(sub(row, "td"), entry)
        for value in (entry.claims, entry.claims_changed, entry.claims_to_work, entry.fixed, entry.flags):
            sub(row, "td", str(value), cls="num")
        sub(row, "td", dollars(entry.amount), cls="num")


def _status(cell: Element, entry: FileEntry) -> None:
    sub(cell, "span", entry.status, cls=f"status {entry.status}")
    if entry.status != "failed" and entry.needs_attention:
        cell[-1].tail = " "
        sub(cell, "span", "needs attention", cls="status attention")


def _filters(main: Element, report: Report) -> None:
    """The filter bar, hidden until the script shows it (it does nothing without the script)."""
    if not report.findings():
        return
    nav = sub(main, "nav", id="filters", hidden="hidden")
    counts = report.rule_counts()
    rules = report.rules_used()
    select = sub(sub(nav, "label", "Rule "), "select", id="f-rule", aria_label="only this rule")
    sub(select, "option", "all rules", value="")
    for rule in rules:
        title = f"{rule.id} — {rule.title}" if rule.title else rule.id
        sub(select, "option", f"{title} ({sum(counts[rule.id])})", value=rule.id)
    for severity in SEVERITIES:
        sub(
            sub(nav, "label"), "input", type="checkbox", checked="checked", data_severity=severity.value
        ).tail = f" {severity.value}"
    sub(
        sub(nav, "label", "Claim "), "input", type="search", id="f-claim", placeholder="claim id", aria_label="claim id"
    )
    picker = sub(sub(nav, "label", "File "), "select", id="f-file", aria_label="file")
    sub(picker, "option", "all files", value="")
    for number, entry in enumerate(report.files):
        if entry.findings:
            sub(picker, "option", entry.path, value=str(number))
    order = sub(sub(nav, "label", "Sort "), "select", id="f-sort", aria_label="sort")
    for key, name in (
        ("", "input order"),
        ("claim", "claim"),
        ("date", "date"),
        ("rule", "rule"),
        ("amount", "dollars"),
    ):
        sub(order, "option", name, value=key)
    sub(nav, "button", "Clear", type="button", id="f-clear")
    sub(nav, "span", "", cls="muted", id="shown")
    sub(main, "p", "", id="active", cls="active")


def _file(main: Element, number: int, entry: FileEntry, anchors: Mapping[tuple[str, str, str], str]) -> None:
    attention = " attention" if entry.needs_attention else ""
    section = sub(main, "section", cls=f"file {entry.status}{attention}", id=f"file-{number}", data_file=str(number))
    heading = sub(section, "h2")
    sub(heading, "code", entry.path).tail = " "
    _status(heading, entry)
    meta = sub(section, "p", f"{plural(entry.claims, 'claim')}, {entry.claims_changed} changed", cls="meta")
    for label, digest in (("sha256 in", entry.sha256_in), ("sha256 out", entry.sha256_out)):
        if digest:
            sub(meta, "br").tail = f"{label} "
            sub(meta, "code", digest)
    if entry.held:
        where = entry.held_output or "the --hold folder"
        held = sub(
            section, "p", f"Held, not in the outbound file ({plural(len(entry.held), 'claim')}, written to ", cls="held"
        )
        sub(held, "code", where).tail = "): " + ", ".join(entry.held)
    if entry.decisions:
        rejected = sub(section, "p", "Rejected in review (not applied): ", cls="meta")
        for position, finding_id in enumerate(entry.decisions):
            sub(rejected, "code", finding_id).tail = ", " if position < len(entry.decisions) - 1 else ""
    if entry.error:
        sub(section, "p", entry.error, cls="error")
    held_ids = set(entry.held)
    for index, group in enumerate(entry.by_claim()):
        anchor = anchors.get((entry.path, group.transaction, group.claim), f"claim-{number}-{index}")
        _claim(section, anchor, index, group, entry.delimiters, group.claim in held_ids)


def _claim(
    section: Element, anchor: str, order: int, group: ClaimGroup, delimiters: Mapping[str, str | None], held: bool
) -> None:
    dates = sorted(f.date for f in group.findings if f.date)
    box = sub(
        section,
        "section",
        cls=f"claim sev-{group.severity.value}",
        id=anchor,
        data_rules=" ".join(group.rules),
        data_claim=group.claim.lower(),
        data_date=dates[0] if dates else "",
        data_rule=group.rules[0],
        data_amount=str(group.amount),
        data_order=str(order),
    )
    heading = sub(box, "h3", "Claim ")
    sub(heading, "code", group.claim).tail = f" · transaction {group.transaction} · {dollars(group.amount)} involved"
    if held:
        sub(heading, "span", "held, not sent", cls="status attention").tail = None
    if group.patient is not None:
        details = ", ".join(f"{key} {value}" for key, value in group.patient.items())
        sub(box, "p", f"Patient: {details}", cls="phi")
    table = sub(box, "table", cls="changes")
    columns = sub(table, "colgroup")
    for name in ("line", "line", "date", "rule", "sev", "action", "amount", "seg", "message"):
        sub(columns, "col", cls=name)
    header(table, ("LX in", "LX out", "Date", "Rule", "Severity", "Action", "Dollars", "Segment", "Message"), (6,))
    body = sub(table, "tbody")
    for row in group.rows(delimiters):
        _row(body, row, delimiters)


def _row(body: Element, row: Row, delimiters: Mapping[str, str | None]) -> None:
    finding = row.finding
    severity = finding.severity.value
    if row.removed_by is not None:
        tr = sub(body, "tr", cls=f"removed sev-{severity}", data_rule=finding.rule, data_severity=severity)
        sub(tr, "td", str(row.line), cls="line num")
        sub(tr, "td", "removed", cls="line num")
        sub(tr, "td", finding.date or "", cls="date")
        sub(sub(tr, "td", cls="rule"), "a", finding.rule, href=f"#rule-{finding.rule}", title=finding.citation)
        sub(sub(tr, "td"), "span", severity, cls=f"sev {severity}")
        sub(sub(tr, "td"), "span", "removed (collapse)", cls="badge removed")
        sub(tr, "td", dollars(row.amount), cls="num")
        cell = sub(tr, "td", cls="seg")
        if row.before:
            _segment_line(cell, "before", "−", "removed line", compare(row.before, None, delimiters)[0])
        sub(tr, "td", f"removed: collapsed into LX {row.removed_by} by {finding.rule}", cls="message")
        return
    kind = "fixed" if finding.fixed else "flag"
    tr = sub(
        body, "tr", cls=f"finding {kind} sev-{severity}", data_rule=finding.rule, data_kind=kind, data_severity=severity
    )
    if finding.id:
        tr.set("id", f"finding-{finding.id}")
    sub(tr, "td", str(row.line) if row.line is not None else "claim", cls="line num")
    out = str(row.output_line) if row.output_line is not None else ("" if row.line is None else "removed")
    sub(tr, "td", out, cls="line num")
    sub(tr, "td", finding.date or "", cls="date")
    rule_cell = sub(tr, "td", cls="rule")
    sub(rule_cell, "a", finding.rule, href=f"#rule-{finding.rule}", title=finding.citation)
    if finding.id:
        sub(rule_cell, "br")
        sub(rule_cell, "code", finding.id, cls="fid", title="finding id (--skip, --only, --decisions)")
    sub(sub(tr, "td"), "span", severity, cls=f"sev {severity}")
    sub(sub(tr, "td"), "span", f"{finding.action} (fixed)" if finding.fixed else "flag", cls=f"badge {kind}")
    sub(tr, "td", dollars(row.amount), cls="num")
    _segments(sub(tr, "td", cls="seg"), finding.before, finding.after, delimiters)
    sub(tr, "td", finding.message, cls="message")


def _segments(cell: Element, before: str | None, after: str | None, delimiters: Mapping[str, str | None]) -> None:
    """Show before and after, changed elements in <mark>; a flag shows its segment (or the claim)."""
    if before is None:
        sub(cell, "span", "the claim as a whole", cls="muted")
        return
    old, new = compare(before, after, delimiters)
    if after is None:
        _segment_line(cell, "flagged", "!", "flagged segment", old)
        return
    _segment_line(cell, "before", "−", "before", old)
    _segment_line(cell, "after", "+", "after", new)


def _segment_line(cell: Element, cls: str, sign: str, label: str, pieces: list[Piece]) -> None:
    line = sub(cell, "div", cls=cls)
    sub(line, "span", sign, cls="sign", title=label)
    text = sub(line, "code")
    last: Element | None = None
    for piece in pieces:
        if piece.changed:
            last = sub(text, "mark", piece.text)
        elif last is None:
            text.text = (text.text or "") + piece.text
        else:
            last.tail = (last.tail or "") + piece.text
