"""The HTML report: one self-contained page built with lxml (inline CSS, no network).

lxml escapes every text and attribute value, so nothing from a claim file can become markup.
A Content-Security-Policy with the hashes of the one inline style and script keeps the page
from loading or running anything else; without scripts every finding is still shown, only
the filter bar stays hidden.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import cache
from importlib import resources

from lxml import etree
from lxml import html as lxml_html

from cart837.report.model import ClaimGroup, FileEntry, FindingEntry, Report, RuleEntry, plural
from cart837.report.segments import Piece, compare

Element = etree._Element

# The filter bar: rules, fixes/flags, one file. Written without "<" and "&" (raw text in HTML).
SCRIPT = """
(function () {
  var nav = document.getElementById("filters");
  var boxes = Array.prototype.slice.call(nav.querySelectorAll("input"));
  var pick = nav.querySelector("select");
  var shown = document.getElementById("shown");
  function keep(row, file) {
    if (pick.value !== "" && pick.value !== file) { return false; }
    return boxes.every(function (box) {
      return box.checked || (box.dataset.rule !== row.dataset.rule && box.dataset.kind !== row.dataset.kind);
    });
  }
  function apply() {
    var total = 0;
    document.querySelectorAll("section.file").forEach(function (file) {
      var rows = 0;
      file.querySelectorAll("section.claim").forEach(function (claim) {
        var count = 0;
        claim.querySelectorAll("tr.finding").forEach(function (row) {
          row.hidden = !keep(row, file.dataset.file);
          count += row.hidden ? 0 : 1;
        });
        claim.hidden = count === 0;
        rows += count;
      });
      file.hidden = pick.value !== "" ? pick.value !== file.dataset.file : false;
      total += rows;
    });
    shown.textContent = total + " shown";
  }
  nav.addEventListener("change", apply);
  nav.hidden = false;
  apply();
})();
"""


@cache
def stylesheet() -> str:
    """Return the report's CSS (report.css, shipped in the package)."""
    return resources.files("cart837.report").joinpath("report.css").read_text(encoding="utf-8")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def sub(parent: Element, tag: str, text: str | None = None, cls: str | None = None, **attrs: str) -> Element:
    """Append a child element with optional text, class and attributes (`data_x` -> `data-x`)."""
    child = etree.SubElement(parent, tag)
    if cls:
        child.set("class", cls)
    for name, value in attrs.items():
        child.set(name.rstrip("_").replace("_", "-"), value)
    if text is not None:
        child.text = text
    return child


def render(report: Report) -> str:
    """Return the whole page as an HTML5 document."""
    page = etree.Element("html", lang="en")
    _head(page)
    body = sub(page, "body")
    main = sub(body, "main")
    sub(main, "h1", "cart837 report")
    sub(main, "p", f"cart837 {report.version}, as of {report.as_of}", cls="muted")
    if any(f.patient is not None for _, f in report.findings()):
        sub(main, "p", "This report contains patient identifiers (PHI): it was written with --show-phi.", cls="phi")
    _summary(main, report)
    _filters(main, report)
    for number, entry in enumerate(report.files):
        if entry.findings or entry.error:
            _file(main, number, entry)
    _rules(main, report)
    footer = sub(main, "footer", "Rendered from a schema-1 JSON report. Segments are as written; changed elements ")
    sub(footer, "mark", "are marked").tail = "."
    sub(body, "script", SCRIPT)
    document: str = lxml_html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode", method="html")
    return document + "\n"


def _head(page: Element) -> None:
    head = sub(page, "head")
    sub(head, "meta", charset="utf-8")
    policy = f"default-src 'none'; style-src {_hash(stylesheet())}; script-src {_hash(SCRIPT)}"
    sub(head, "meta", http_equiv="Content-Security-Policy", content=policy)
    sub(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    sub(head, "title", "cart837 report")
    sub(head, "style", stylesheet())


def _summary(main: Element, report: Report) -> None:
    sub(main, "h2", "Summary", id="summary")
    cards = sub(main, "div", cls="cards")
    for key in ("files", "changed", "unchanged", "skipped", "failed", "findings", "fixed", "flags"):
        card = sub(cards, "div", cls=f"card {key}")
        sub(card, "span", str(report.totals[key]), cls="n")
        sub(card, "span", key, cls="k")
    if not report.files:
        return
    table = sub(main, "table", cls="files")
    _header(table, ("File", "Status", "Claims", "Claims changed", "Fixed", "Flags"), numeric=(2, 3, 4, 5))
    body = sub(table, "tbody")
    for number, entry in enumerate(report.files):
        row = sub(body, "tr")
        cell = sub(row, "td")
        if entry.findings or entry.error:
            cell = sub(cell, "a", href=f"#file-{number}")
        sub(cell, "code", entry.path)
        sub(sub(row, "td"), "span", entry.status, cls=f"status {entry.status}")
        for value in (entry.claims, entry.claims_changed, entry.fixed, entry.flags):
            sub(row, "td", str(value), cls="num")


def _header(table: Element, names: tuple[str, ...], numeric: tuple[int, ...] = ()) -> None:
    row = sub(sub(table, "thead"), "tr")
    for index, name in enumerate(names):
        sub(row, "th", name, cls="num" if index in numeric else None)


def _filters(main: Element, report: Report) -> None:
    """The filter bar, hidden until the script shows it (it does nothing without the script)."""
    if not report.findings():
        return
    nav = sub(main, "nav", id="filters", hidden="hidden")
    sub(nav, "strong", "Filter:")
    counts = report.rule_counts()
    for rule in report.rules_used():
        label = sub(nav, "label")
        sub(label, "input", type="checkbox", checked="checked", data_rule=rule.id).tail = (
            f" {rule.id} ({sum(counts[rule.id])})"
        )
    for kind, name in (("fixed", "fixes"), ("flag", "flags")):
        sub(sub(nav, "label"), "input", type="checkbox", checked="checked", data_kind=kind).tail = f" {name}"
    select = sub(nav, "select", aria_label="file")
    sub(select, "option", "all files", value="")
    for number, entry in enumerate(report.files):
        if entry.findings:
            sub(select, "option", entry.path, value=str(number))
    sub(nav, "span", "", cls="muted", id="shown")


def _file(main: Element, number: int, entry: FileEntry) -> None:
    section = sub(main, "section", cls="file", id=f"file-{number}", data_file=str(number))
    heading = sub(section, "h2")
    sub(heading, "code", entry.path).tail = " "
    sub(heading, "span", entry.status, cls=f"status {entry.status}")
    meta = sub(section, "p", f"{plural(entry.claims, 'claim')}, {entry.claims_changed} changed", cls="meta")
    for label, digest in (("sha256 in", entry.sha256_in), ("sha256 out", entry.sha256_out)):
        if digest:
            sub(meta, "br").tail = f"{label} "
            sub(meta, "code", digest)
    if entry.error:
        sub(section, "p", entry.error, cls="error")
    for index, group in enumerate(entry.by_claim()):
        _claim(section, f"claim-{number}-{index}", group, entry.delimiters)


def _claim(section: Element, anchor: str, group: ClaimGroup, delimiters: Mapping[str, str | None]) -> None:
    box = sub(section, "section", cls="claim", id=anchor, data_rules=" ".join(group.rules))
    heading = sub(box, "h3", "Claim ")
    sub(heading, "code", group.claim).tail = f" · transaction {group.transaction}"
    if group.patient is not None:
        details = ", ".join(f"{key} {value}" for key, value in group.patient.items())
        sub(box, "p", f"Patient: {details}", cls="phi")
    table = sub(box, "table", cls="changes")
    columns = sub(table, "colgroup")
    for name in ("line", "date", "rule", "action", "seg", "message"):
        sub(columns, "col", cls=name)
    _header(table, ("LX", "Date", "Rule", "Action", "Segment", "Message"))
    body = sub(table, "tbody")
    for finding in group.findings:
        _finding_row(body, finding, delimiters)


def _finding_row(body: Element, finding: FindingEntry, delimiters: Mapping[str, str | None]) -> None:
    kind = "fixed" if finding.fixed else "flag"
    row = sub(body, "tr", cls=f"finding {kind}", data_rule=finding.rule, data_kind=kind)
    sub(row, "td", str(finding.line) if finding.line is not None else "claim", cls="line num")
    sub(row, "td", finding.date or "", cls="date")
    sub(sub(row, "td", cls="rule"), "a", finding.rule, href=f"#rule-{finding.rule}", title=finding.citation)
    sub(sub(row, "td"), "span", f"{finding.action} (fixed)" if finding.fixed else "flag", cls=f"badge {kind}")
    _segments(sub(row, "td", cls="seg"), finding, delimiters)
    sub(row, "td", finding.message, cls="message")


def _segments(cell: Element, finding: FindingEntry, delimiters: Mapping[str, str | None]) -> None:
    """Show before and after, changed elements in <mark>; a flag shows its segment (or the claim)."""
    if finding.before is None:
        sub(cell, "span", "the claim as a whole", cls="muted")
        return
    before, after = compare(finding.before, finding.after, delimiters)
    if finding.after is None:
        _segment_line(cell, "flagged", "!", "flagged segment", before)
        return
    _segment_line(cell, "before", "−", "before", before)
    _segment_line(cell, "after", "+", "after", after)


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


def _rules(main: Element, report: Report) -> None:
    rules = report.rules_used()
    if not rules:
        return
    sub(main, "h2", "Rules and sources", id="rules")
    counts = report.rule_counts()
    for rule in rules:
        _rule(main, rule, counts.get(rule.id, (0, 0)), report)


def _rule(main: Element, rule: RuleEntry, counts: tuple[int, int], report: Report) -> None:
    article = sub(main, "section", cls="rule", id=f"rule-{rule.id}")
    heading = sub(article, "h3", rule.id)
    if rule.title:
        heading.text = f"{rule.id} — {rule.title}"
    sub(article, "p", f"{counts[0]} fixed, {counts[1]} flagged. Citation: {rule.citation}")
    if rule.references:
        sources = sub(article, "dl")
        for source, text in rule.references:
            sub(sources, "dt", source)
            sub(sources, "dd", text)
    places = sub(article, "ul", cls="where")
    for number, entry in enumerate(report.files):
        for index, group in enumerate(entry.by_claim()):
            if rule.id in group.rules:
                item = sub(sub(places, "li"), "a", href=f"#claim-{number}-{index}")
                sub(item, "code", group.claim).tail = f" in {entry.path}"
