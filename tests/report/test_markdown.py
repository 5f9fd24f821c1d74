"""The Markdown report: the work list first, every finding in a per-claim table in input line order
with dollars, values escaped, the configuration and the sources cited."""

from __future__ import annotations

import re

from cart837.report import markdown
from cart837.report.model import Report
from tests.report.conftest import Run
from tests.report.samples import sample_report, sample_report_schema1


def _rendered() -> str:
    return markdown.render(Report.from_dict(sample_report()))


def test_work_list_then_summary_then_files_then_sources() -> None:
    text = _rendered()
    order = [
        "## Work list: 2 claims need a person",
        "## Summary",
        "## File `batch/changed.837`",
        "## Configuration",
        "## Dollars by rule",
        "## Rules and sources",
    ]
    assert [text.index(heading) for heading in order] == sorted(text.index(heading) for heading in order)
    assert "| 5 | 1 | 2 | 1 | 1 | 2 | 2 | 1 | 3 | 3 | $12,809.89 |" in text
    assert "Error: batch/broken.837: byte 1234, segment 17 (SE): SE01 says 25" in text
    assert "## File `batch/clean.837`" not in text  # clean files are in the summary table only
    assert "| `batch/clean.837` | unchanged | 12 | 0 | 0 | 0 | 0 | $0.00 |  |" in text
    assert "| `batch/changed.837` | changed, needs attention | 4 | 2 | 1 | 3 | 1 | $11,809.89 |" in text


def test_work_list_rows_say_what_to_do_and_the_dollars() -> None:
    text = _rendered()
    assert (
        "| **error** (held) | `batch/changed.837` | `PCN0002` | `00301` | 2025-06-10 | CART-007 | "
        "CART-007: add or correct the CAR-T product line"
    ) in text
    assert text.count("| **error**") == 2 and "| $3,643.49 |" in text and "| $1,000.00 |" in text


def test_run_line_names_the_run_date_configuration_and_code_tables() -> None:
    text = _rendered()
    assert "as of" not in text
    assert (
        "Run on 2025-08-01 with cart837 0.1.0. Configuration: cart837.toml (found by lookup, not named with "
        "--config); code tables checked 2026-12-05."
    ) in text
    assert "| CART-006 | fix |" in text and "- `00301`: product\\_revenue\\_code = `0636`" in text


def test_schema_1_report_still_renders() -> None:
    text = markdown.render(Report.from_dict(sample_report_schema1()))
    assert "Run on 2025-08-01 with cart837 0.1.0." in text and "## Configuration" not in text
    assert "## Work list: 2 claims need a person" in text


def test_every_finding_is_a_row_of_its_claims_table() -> None:
    text = _rendered()
    claim = text[text.index("### Claim `PCN0001`") : text.index("### Claim `PCN0002`")]
    with_ids = [line for line in claim.splitlines() if line.startswith("| ") and "[CART-" in line]
    assert [line.split(" | ")[0] for line in with_ids] == ["| `aaaae44d061dcdc6`", "| ", "| `aaaab07db268859d`"]
    lines = ["| " + line.split(" | ", 1)[1] for line in with_ids]  # without the id column
    assert [line.split(" | ")[:2] for line in lines] == [["| 1", "1"], ["| 2", "removed"], ["| 3", "2"]]
    assert lines[2] == (
        "| 3 | 2 | 2025-07-29 | [CART-003](#cart-003) | info | units (fixed) | $6,009.53 | SV205: `2` → `1` | "
        "`SV2*0874*HC:38228*6009.53*UN*2~` | `SV2*0874*HC:38228*6009.53*UN*1~` | "
        "administration billed with 2 units: set to 1 |"
    )
    assert "| removed (collapse) | $2,156.87 |  | `SV2*0871*HC:38225*2156.87*UN*1~` |" in lines[1]
    row = re.compile(r"\| (`[0-9a-f]{16}`|) \| (\d+|claim) \| [^|]* \| [^|]* \| \[CART-")
    rows = [line for line in text.splitlines() if row.match(line)]
    removed = sum(len(f["removed"]) for e in sample_report()["files"] for f in e["findings"])
    assert len(rows) == sum(len(f["findings"]) for f in sample_report()["files"]) + removed


def test_claim_level_flag_and_odd_characters_stay_text() -> None:
    text = _rendered()
    heading = "### Claim `` <script>alert(1)</script>&amp;\\|`x` `` (transaction `0002`; outbound; $1,000.00 involved)"
    assert heading in text
    assert "| claim |  |  | [CART-021](#cart-021) | error | flag | $1,000.00 |" in text
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
            lines = f"{finding['line']} | {finding['output_line']} | {finding['date']}"
            assert row.startswith(f"| `{finding['id']}` | {lines} |")
            assert f"`{finding['before']}` | `{finding['after']}`" in row
    assert "### Claim `CLAIM<script>&amp;1`" in text
