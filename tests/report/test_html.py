"""The HTML report: one self-contained page, every finding visible, changes marked, text escaped."""

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
from tests.report.samples import sample_report

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
        card.xpath("span[@class='k']")[0].text: int(card.xpath("span[@class='n']")[0].text)
        for card in page.xpath("//div[@class='cards']/div")
    }
    assert cards == sample_report()["totals"]
    rows = [[_text(cell) for cell in row.xpath("td")] for row in page.xpath("//table[@class='files']/tbody/tr")]
    assert rows[2] == ["batch/clean.837", "unchanged", "12", "0", "0", "0"]


def test_every_finding_is_a_row_with_rule_claim_line_and_segments() -> None:
    page = _page()
    document = sample_report()
    rows = page.xpath("//tr[contains(@class, 'finding')]")
    assert len(rows) == sum(len(f["findings"]) for f in document["files"])
    for entry in document["files"]:
        for finding in entry["findings"]:
            claim = page.xpath("//section[@class='claim'][h3/code[text()=$c]]", c=finding["claim"])
            assert len(claim) == 1
            row = claim[0].xpath(".//tr[@data-rule=$r]", r=finding["rule"])[0]
            cells = row.xpath("td")
            assert _text(cells[0]) == (str(finding["line"]) if finding["line"] else "claim")
            assert _text(cells[2]) == finding["rule"] and cells[2].xpath("a/@href") == [f"#rule-{finding['rule']}"]
            codes = [c.text_content() for c in cells[4].xpath(".//code")]
            assert codes == [s for s in (finding["before"], finding["after"]) if s is not None]
            assert _text(cells[5]) == " ".join(finding["message"].split())


def test_changed_elements_are_marked_on_both_sides() -> None:
    page = _page()
    row = page.xpath("//tr[@data-rule='CART-006']")[0]
    assert [m.text for m in row.xpath(".//div[@class='before']//mark")] == ["0360"]
    assert [m.text for m in row.xpath(".//div[@class='after']//mark")] == ["0874"]
    flag = page.xpath("//tr[@data-rule='CART-007']")[0]
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
    assert nav.xpath(".//input/@data-rule") == ["CART-002", "CART-003", "CART-006", "CART-007", "CART-021"]
    files = nav.xpath(".//option/text()")
    assert files == ["all files", "batch/changed.837", "batch/<script>alert('x')</script> & co.837"]


def test_patient_shown_only_when_the_report_has_it() -> None:
    document = sample_report()
    assert "Patient:" not in html.render(Report.from_dict(document))
    document["files"][0]["findings"][0]["patient"] = {
        "member_id": "QXM1", "last_name": "QXLAST", "first_name": "QXFIRST", "birth_date": "19170305",
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
    units = page.xpath("//section[@class='claim'][h3/code='CLAIMDEP1']//tr[@data-rule='CART-003']")[0]
    assert [m.text for m in units.xpath(".//mark")] == ["2", "1"]


def test_renders_in_chromium_with_every_finding_and_filters(tmp_path: Path) -> None:
    if browser.find() is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the HTML was checked by parsing only")
    page = tmp_path / "report.html"
    page.write_text(html.render(Report.from_dict(sample_report())), encoding="utf-8")
    dom = _page(browser.dump_dom(page))
    nav = dom.xpath("//nav[@id='filters']")[0]
    assert nav.get("hidden") is None, "the filter script did not run (blocked by the CSP hash?)"
    assert _text(dom.xpath("//span[@id='shown']")[0]) == "6 shown"
    assert len(dom.xpath("//tr[contains(@class, 'finding')]")) == 6
    assert len(dom.xpath("//script")) == 1
    shot = tmp_path / "report.png"
    browser.screenshot(page, shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
