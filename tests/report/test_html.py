"""The HTML report: a work list first, every finding visible in line order, changes marked, text
escaped, and a page a person works in (filters, search, sort, print) under a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from cart837.report import html
from cart837.report.model import Report
from tests.report import browser
from tests.report.conftest import Run
from tests.report.samples import sample_report, sample_report_schema1

HOSTILE_CLAIM = "<script>alert(1)</script>&amp;|`x`"


def _page(text: str | None = None) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(text or html.render(Report.from_dict(sample_report())))


def _text(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_one_self_contained_page() -> None:
    text = html.render(Report.from_dict(sample_report()))
    page = _page(text)
    assert text.startswith("<!DOCTYPE html>")
    assert not page.xpath("//link | //img | //iframe | //*[@src]")
    assert len(page.xpath("//style")) == 1 and len(page.xpath("//script")) == 1
    assert not re.search(r"https?://", text)


def test_content_security_policy_allows_only_the_inline_style_and_script() -> None:
    page = _page()
    policy = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    for tag in ("style", "script"):
        body = page.xpath(f"//{tag}")[0].text
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy
    assert policy.startswith("default-src 'none'")


def test_summary_totals_and_file_table() -> None:
    page = _page()
    cards = {
        card.xpath("span[@class='k']")[0].text: card.xpath("span[@class='n']")[0].text
        for card in page.xpath("//div[@class='cards']/div")
    }
    assert cards == {
        "files": "5",
        "claims to work": "2",
        "errors": "2",
        "to review": "1",
        "fixed": "3",
        "flags": "3",
        "files changed": "1",
        "failed": "1",
        "dollars involved": "$12,809.89",
    }
    rows = [[_text(cell) for cell in row.xpath("td")] for row in page.xpath("//table[@class='files']/tbody/tr")]
    assert rows[2] == ["batch/clean.837", "unchanged", "12", "0", "0", "0", "0", "$0.00"]
    assert rows[0][:2] == ["batch/changed.837", "changed needs attention"]  # not a grey "changed"/"unchanged"
    assert rows[1][1] == "unchanged needs attention"


def test_work_list_comes_first_one_row_per_claim_with_what_to_do_and_dollars() -> None:
    page = _page()
    headings = [_text(h) for h in page.xpath("//main/h2")]
    assert headings[0] == "Work list: 2 claims need a person" and headings[1] == "Summary"
    rows = page.xpath("//table[@id='worklist']/tbody/tr")
    cells = [[_text(c) for c in row.xpath("td")] for row in rows]
    assert cells[0][:6] == ["error · held", "batch/changed.837", "PCN0002", "00301", "2025-06-10", "CART-007"]
    assert cells[0][6].startswith("CART-007: add or correct the CAR-T product line") and cells[0][7] == "$3,643.49"
    assert cells[1][2] == HOSTILE_CLAIM and cells[1][5] == "CART-021 CART-003" and cells[1][7] == "$1,000.00"
    link = rows[0].xpath("td[3]/a/@href")[0]
    assert page.xpath("//section[@id=$a]/h3/code/text()", a=link[1:]) == ["PCN0002"]
    assert [b.get("data-sort") for b in page.xpath("//table[@id='worklist']//th/button")] == [
        "claim",
        "date",
        "rule",
        "amount",
    ]


def test_rows_follow_input_lines_with_output_lines_and_removed_lines() -> None:
    page = _page()
    claim = page.xpath("//section[contains(@class, 'claim')][h3/code='PCN0001']")[0]
    heading = "Claim PCN0001 · transaction 0001 · $8,166.40 involved"  # LX 1 and LX 3, once each
    assert _text(claim.xpath("h3")[0]) == heading
    rows = [
        [_text(c.xpath("a")[0] if c.get("class") == "rule" else c) for c in row.xpath("td")][:7]
        for row in claim.xpath(".//tbody/tr")
    ]
    assert rows == [
        ["1", "1", "2025-07-03", "CART-002", "info", "collapse (fixed)", "$2,156.87"],
        ["2", "removed", "2025-07-03", "CART-002", "info", "removed (collapse)", "$2,156.87"],
        ["3", "2", "2025-07-29", "CART-003", "info", "units (fixed)", "$6,009.53"],
    ]
    removed = claim.xpath(".//tr[contains(@class, 'removed')]")[0]
    assert removed.xpath(".//code")[0].text_content() == "SV2*0871*HC:38225*2156.87*UN*1~"


def test_held_claims_say_where_they_went() -> None:
    page = _page()
    held = page.xpath("//section[@id='file-0']/p[@class='held']")[0]
    assert "held/batch/changed.837" in _text(held) and _text(held).endswith("PCN0002")
    claim = page.xpath("//section[contains(@class, 'claim')][h3/code='PCN0002']")[0]
    assert "held, not sent" in _text(claim.xpath("h3")[0])


def test_schema_1_report_still_renders_with_flags_to_review() -> None:
    page = _page(html.render(Report.from_dict(sample_report_schema1())))
    assert len(page.xpath("//tr[contains(@class, 'finding')]")) == 6
    assert len(page.xpath("//table[@id='worklist']/tbody/tr")) == 2
    assert "Run on 2025-08-01" in _text(page.xpath("//main/p")[0])


def test_every_finding_is_a_row_with_rule_claim_line_and_segments() -> None:
    page = _page()
    document = sample_report()
    rows = page.xpath("//tr[contains(@class, 'finding')]")
    assert len(rows) == sum(len(f["findings"]) for f in document["files"])
    for entry in document["files"]:
        for finding in entry["findings"]:
            claim = page.xpath("//section[contains(@class, 'claim')][h3/code[text()=$c]]", c=finding["claim"])
            assert len(claim) == 1
            row = claim[0].xpath(".//tr[contains(@class, 'finding')][@data-rule=$r]", r=finding["rule"])[0]
            cells = row.xpath("td")
            assert _text(cells[0]) == (str(finding["line"]) if finding["line"] else "claim")
            assert _text(cells[3]) == finding["rule"] + finding["id"]
            assert cells[3].xpath("a/@href") == [f"#rule-{finding['rule']}"]
            assert cells[3].xpath("code[@class='fid']/text()") == [finding["id"]]
            assert _text(cells[4]) == finding["severity"] == row.get("data-severity")
            codes = [c.text_content() for c in cells[7].xpath(".//code")]
            assert codes == [s for s in (finding["before"], finding["after"]) if s is not None]
            assert _text(cells[8]) == " ".join(finding["message"].split())


def test_changed_elements_are_marked_on_both_sides() -> None:
    page = _page()
    row = page.xpath("//tr[contains(@class, 'finding')][@data-rule='CART-006']")[0]
    assert [m.text for m in row.xpath(".//div[@class='before']//mark")] == ["0360"]
    assert [m.text for m in row.xpath(".//div[@class='after']//mark")] == ["0874"]
    flag = page.xpath("//tr[contains(@class, 'finding')][@data-rule='CART-007']")[0]
    assert not flag.xpath(".//mark") and flag.xpath(".//div[@class='flagged']")


def test_hostile_text_is_escaped_not_interpreted() -> None:
    text = html.render(Report.from_dict(sample_report()))
    page = _page(text)
    assert len(page.xpath("//script")) == 1 and not page.xpath("//b")
    assert page.xpath("//h3/code/text()").count(HOSTILE_CLAIM) == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;|`x`" in text
    assert "batch/&lt;script&gt;alert('x')&lt;/script&gt; &amp; co.837" in text


def test_rules_explained_with_title_citation_and_sources() -> None:
    page = _page()
    section = page.xpath("//section[@id='rule-CART-003']")[0]
    assert _text(section.xpath("h3")[0]) == "CART-003 — Administration is reported once per day, 1 unit"
    assert "1 fixed, 1 flagged. Citation: [REF-CODING]; [CPT-2025-CART]; [SE19009]" in _text(section)
    assert section.xpath("dl/dt/text()") == ["REF-CODING", "CPT-2025-CART", "SE19009"]
    assert section.xpath("dl/dd")[2].text.startswith("CMS MLN Matters Special Edition SE19009")
    links = section.xpath("ul[@class='where']/li/a/@href")
    assert links == ["#claim-0-0", "#claim-1-0"] and page.xpath("//section[@id='claim-1-0']")


def test_filters_cover_each_rule_and_file_with_findings() -> None:
    page = _page()
    nav = page.xpath("//nav[@id='filters']")[0]
    assert nav.get("hidden") is not None  # shown by the script only
    rules = nav.xpath(".//select[@id='f-rule']/option")
    assert [o.get("value") for o in rules] == ["", "CART-002", "CART-003", "CART-006", "CART-007", "CART-021"]
    assert rules[2].text == "CART-003 — Administration is reported once per day, 1 unit (2)"  # titles, not bare ids
    assert nav.xpath(".//input/@data-severity") == ["error", "review", "info"]
    assert nav.xpath(".//input[@type='search']/@id") == ["f-claim"] and nav.xpath(".//button[@id='f-clear']")
    files = nav.xpath(".//select[@id='f-file']/option/text()")
    assert files == ["all files", "batch/changed.837", "batch/<script>alert('x')</script> & co.837"]
    sorts = [o.get("value") for o in nav.xpath(".//select[@id='f-sort']/option")]
    assert sorts == ["", "claim", "date", "rule", "amount"]
    assert page.xpath("//p[@id='active']")  # the active filter, printed on a printout
    assert page.xpath("//table[@class='by-rule']//button[@data-only='CART-007']")


def test_print_view_is_compact_and_keeps_the_active_filter() -> None:
    css = html.stylesheet()
    printed = css[css.index("@media print") :]
    assert "p.active { display: block" in printed and ".seg" in printed and "text-overflow: ellipsis" in printed


def test_patient_shown_only_when_the_report_has_it() -> None:
    document = sample_report()
    assert "Patient:" not in html.render(Report.from_dict(document))
    document["files"][0]["findings"][0]["patient"] = {
        "member_id": "QXM1",
        "last_name": "QXLAST",
        "first_name": "QXFIRST",
        "birth_date": "19170305",
    }
    page = _page(html.render(Report.from_dict(document)))
    assert "QXLAST" in _text(page.xpath("//section[@id='claim-0-0']/p[@class='phi']")[0])
    assert "PHI" in _text(page.xpath("//main/p[@class='phi']")[0])


def test_real_run_html_shows_each_finding(batch_run: Run) -> None:
    page = _page(batch_run.html_path.read_text(encoding="utf-8"))
    findings = [f for entry in batch_run.document()["files"] for f in entry["findings"]]
    rows = page.xpath("//tr[contains(@class, 'finding')]")
    assert len(rows) == len(findings) >= 4
    assert page.xpath("//h3/code/text()")[:2] == ["CLAIM<script>&amp;1", "CLAIMDEP1"]
    units = page.xpath("//section[contains(@class, 'claim')][h3/code='CLAIMDEP1']//tr[@data-rule='CART-003']")[0]
    assert [m.text for m in units.xpath(".//mark")] == ["2", "1"]


def test_renders_in_chromium_with_every_finding_and_filters(tmp_path: Path) -> None:
    if browser.find() is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the HTML was checked by parsing only")
    page = tmp_path / "report.html"
    page.write_text(html.render(Report.from_dict(sample_report())), encoding="utf-8")
    dom = _page(browser.dump_dom(page))
    nav = dom.xpath("//nav[@id='filters']")[0]
    assert nav.get("hidden") is None, "the filter script did not run (blocked by the CSP hash?)"
    assert _text(dom.xpath("//span[@id='shown']")[0]) == "6 findings in 3 claims shown"
    assert _text(dom.xpath("//p[@id='active']")[0]) == "Filter: none (everything is shown)."
    assert len(dom.xpath("//tr[contains(@class, 'finding')]")) == 6
    assert len(dom.xpath("//script")) == 1
    shot = tmp_path / "report.png"
    browser.screenshot(page, shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def _visible(dom: lxml_html.HtmlElement, xpath: str) -> list[lxml_html.HtmlElement]:
    """Return the matches not hidden themselves nor inside a hidden element."""
    return [e for e in dom.xpath(xpath) if not e.xpath("ancestor-or-self::*[@hidden]")]


@pytest.mark.parametrize(
    ("fragment", "findings", "files", "active"),
    [
        ("rule=CART-007", [("PCN0002", "CART-007")], ["0"], "only CART-007"),
        (
            "hide=info",
            [("PCN0002", "CART-007"), (HOSTILE_CLAIM, "CART-021"), (HOSTILE_CLAIM, "CART-003")],
            ["0", "1"],
            "hiding info",
        ),
        ("q=pcn0001", [("PCN0001", "CART-002"), ("PCN0001", "CART-003")], ["0"], "claim ids containing"),
        ("rule=CART-021&q=pcn", [], [], "only CART-021"),
    ],
)
def test_filters_in_chromium_hide_rows_claims_and_emptied_files(
    tmp_path: Path, fragment: str, findings: list[tuple[str, str]], files: list[str], active: str
) -> None:
    """The filter state is read from the URL fragment, as a bookmark or a sent link gives it."""
    if browser.find() is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the HTML was checked by parsing only")
    page = tmp_path / "report.html"
    page.write_text(html.render(Report.from_dict(sample_report())), encoding="utf-8")
    dom = _page(browser.dump_dom(page, fragment))
    shown = [
        (row.xpath("ancestor::section[contains(@class, 'claim')]/h3/code")[0].text, row.get("data-rule"))
        for row in _visible(dom, "//tr[contains(@class, 'finding')]")
    ]
    assert shown == findings
    assert [s.get("data-file") for s in _visible(dom, "//section[contains(@class, 'file')]")] == files
    assert active in _text(dom.xpath("//p[@id='active']")[0])
    work = [row.get("data-claim") for row in _visible(dom, "//table[@id='worklist']/tbody/tr")]
    claims_to_work = [c for c in ("pcn0002", HOSTILE_CLAIM.lower()) if c in {c.lower() for c, _ in findings}]
    assert work == claims_to_work


def test_sort_by_dollars_in_chromium_orders_work_list_and_claims(tmp_path: Path) -> None:
    if browser.find() is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the HTML was checked by parsing only")
    page = tmp_path / "report.html"
    page.write_text(html.render(Report.from_dict(sample_report())), encoding="utf-8")
    dom = _page(browser.dump_dom(page, "sort=amount"))
    assert [r.get("data-amount") for r in dom.xpath("//table[@id='worklist']/tbody/tr")] == ["3643.49", "1000.00"]
    claims = [c.xpath("h3/code")[0].text for c in dom.xpath("//section[@id='file-0']/section")]
    assert claims == ["PCN0001", "PCN0002"]  # by the dollars involved their headings show: $8,166.40, $3,643.49
    dom = _page(browser.dump_dom(page, "sort=claim"))
    assert [c.xpath("h3/code")[0].text for c in dom.xpath("//section[@id='file-0']/section")] == ["PCN0001", "PCN0002"]


def test_a_200_claim_batch_prints_in_a_few_pages(tmp_path: Path) -> None:
    """The compact print view: one line per finding and per work-list row (issue 12: 71 pages before)."""
    if browser.find() is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the print view was not measured")
    from click.testing import CliRunner

    from cart837.cli import main
    from tests.support import generate

    source = generate(claims=200, seed=12, cart_share=0.5, all_scenarios=True)
    page = tmp_path / "r.html"
    CliRunner().invoke(main, ["check", str(source), "--report", str(page), "--report-md", str(tmp_path / "r.md")])
    rows = _page(page.read_text(encoding="utf-8")).xpath("//tr[contains(@class, 'finding')]")
    assert len(rows) >= 100
    assert browser.print_pdf(page, tmp_path / "r.pdf") <= 6
