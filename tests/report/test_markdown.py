"""The Markdown report: every finding in a per-claim table, values escaped, sources cited."""

from __future__ import annotations

import re

from cart837.report import markdown
from cart837.report.model import Report
from tests.report.conftest import Run
from tests.report.samples import sample_report


def _rendered() -> str:
    return markdown.render(Report.from_dict(sample_report()))


def test_summary_then_files_then_sources() -> None:
    text = _rendered()
    assert text.index("## Summary") < text.index("## File `batch/changed.837`") < text.index("## Rules and sources")
    assert "| 5 | 1 | 2 | 1 | 1 | 6 | 3 | 3 |" in text
    assert "Error: batch/broken.837: byte 1234, segment 17 (SE): SE01 says 25" in text
    assert "## File `batch/clean.837`" not in text  # clean files are in the summary table only
    assert "| `batch/clean.837` | unchanged | 12 | 0 | 0 | 0 |" in text


def test_every_finding_is_a_row_of_its_claims_table() -> None:
    text = _rendered()
    claim = text[text.index("### Claim `PCN0001`") : text.index("### Claim `PCN0002`")]
    assert (
        "| 3 | 2025-07-29 | [CART-003](#cart-003) | units (fixed) | SV205: `2` → `1` | "
        "`SV2*0874*HC:38228*6009.53*UN*2~` | `SV2*0874*HC:38228*6009.53*UN*1~` | "
        "administration billed with 2 units: set to 1 |"
    ) in claim
    rows = [line for line in text.splitlines() if re.match(r"\| (\d+|claim) \| [^|]* \| \[CART-", line)]
    assert len(rows) == sum(len(f["findings"]) for f in sample_report()["files"])


def test_claim_level_flag_and_odd_characters_stay_text() -> None:
    text = _rendered()
    assert "### Claim `` <script>alert(1)</script>&amp;\\|`x` `` (transaction `0002`)" in text
    assert "| claim |  | [CART-021](#cart-021) | flag |" in text
    assert "\\<b\\>left unchanged\\</b\\> &amp; flagged" in text
    assert "`SV2\\|0874\\|HC>38228\\|999.00\\|UN\\|2~`" in text
    outside_code = re.sub(r"(`+).*?\1", "", text)
    assert "<script>" not in outside_code and "<b>" not in outside_code


def test_each_rule_used_has_its_title_citation_and_source_texts() -> None:
    text = _rendered()
    section = text[text.index("### CART-007") : text.index("### CART-021")]
    assert "**An administration needs the product on the claim**" in section
    assert "0 fixed, 1 flagged. Citation: \\[SE19009\\]; \\[MM11216\\]" in section
    assert "- **MM11216**: MLN Matters MM11216, CR 11216" in section


def test_real_run_markdown_lists_each_finding(batch_run: Run) -> None:
    text = batch_run.md_path.read_text(encoding="utf-8")
    for entry in batch_run.document()["files"]:
        for finding in entry["findings"]:
            start = text.index(f"### Claim `{finding['claim']}`")
            section = text[start : text.find("\n### ", start + 1)]
            row = next(line for line in section.splitlines() if f"[{finding['rule']}]" in line)
            assert row.startswith(f"| {finding['line']} | {finding['date']} |")
            assert f"`{finding['before']}` | `{finding['after']}`" in row
    assert "### Claim `CLAIM<script>&amp;1`" in text
