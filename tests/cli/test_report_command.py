"""`cart837 fix --report-md/--report-html` and `cart837 report` re-rendering from the JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cart837.cli import main
from tests.report.conftest import run_batch
from tests.report.samples import SAMPLE_REPORT


def test_fix_writes_three_reports_and_report_re_renders_them_identically(tmp_path: Path) -> None:
    run = run_batch(tmp_path)
    assert run.exit_code == 2  # broken.837 fails alone; the reports are still written
    again_md, again_html = tmp_path / "again.md", tmp_path / "again.html"
    result = CliRunner().invoke(main, ["report", str(run.json_path), "--md", str(again_md), "--html", str(again_html)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == result.stderr == ""
    assert again_md.read_bytes() == run.md_path.read_bytes()
    assert again_html.read_bytes() == run.html_path.read_bytes()


def test_report_without_files_prints_markdown() -> None:
    result = CliRunner().invoke(main, ["report", str(SAMPLE_REPORT)])
    assert result.exit_code == 0
    assert result.stdout.startswith("# cart837 report\n") and "### Claim `PCN0001`" in result.stdout


def test_report_reads_standard_input() -> None:
    result = CliRunner().invoke(main, ["report", "-"], input=SAMPLE_REPORT.read_text(encoding="utf-8"))
    assert result.exit_code == 0 and "## Rules and sources" in result.stdout


def test_bad_json_is_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(bad), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    expected = "not JSON: Expecting property name enclosed in double quotes at line 1, column 2"
    assert result.stderr == f"cart837: error: {bad}: {expected}\n"
    assert not (tmp_path / "r.html").exists()


def test_invalid_report_is_exit_2_naming_the_place(tmp_path: Path) -> None:
    document = json.loads(SAMPLE_REPORT.read_text(encoding="utf-8"))
    document["files"][0]["findings"][0]["action"] = "rewrite"
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps(document), encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(invalid), "--md", str(tmp_path / "r.md")])
    assert result.exit_code == 2
    expected = "not a cart837 schema-2 report: files[0].findings[0].action:"
    assert result.stderr.startswith(f"cart837: error: {invalid}: {expected}")
    assert result.stderr.count("\n") == 1 and not (tmp_path / "r.md").exists()


def test_missing_report_is_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path / "none.json")])
    assert result.exit_code == 2
    assert result.stderr == f"cart837: error: {tmp_path / 'none.json'}: cannot read: No such file or directory\n"


def test_unwritable_report_path_is_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(SAMPLE_REPORT), "--md", str(blocker / "r.md")])
    assert result.exit_code == 2 and result.stderr.startswith("cart837: error: ") and "cannot write" in result.stderr
