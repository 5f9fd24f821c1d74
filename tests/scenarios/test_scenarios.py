"""Whole-episode scenarios (STYLE.md §4): each `fixtures/scenarios/<case>/` runs through the real CLI.

A case holds `input.837`, the reviewed `expected.837` and `expected-findings.json` (a list of
{"rule", "claim", "line", "action", "fixed"}; findings compare as a multiset, never by message,
DESIGN.md).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cart837.cli import main

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
CASES = sorted(p.name for p in SCENARIOS.iterdir() if (p / "input.837").is_file())
FindingKey = tuple[str, str, int | None, str, bool]


def _expected(case: str) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads((SCENARIOS / case / "expected-findings.json").read_text("utf-8"))
    return findings


def _key(finding: dict[str, Any]) -> FindingKey:
    return (finding["rule"], finding["claim"], finding["line"], finding["action"], finding["fixed"])


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


def _fix(source: Path, out: Path) -> tuple[bytes, list[dict[str, Any]]]:
    """Run `cart837 fix SOURCE -o OUT --report`; return the output bytes and the report's findings."""
    report = out / "report.json"
    code, stderr = _cli("fix", str(source), "-o", str(out / "fixed"), "--report", str(report), "-q")
    assert code == 0, stderr
    files = json.loads(report.read_text("utf-8"))["files"]
    assert [f["status"] for f in files] != ["failed"], files
    findings: list[dict[str, Any]] = files[0]["findings"]
    return (out / "fixed" / source.name).read_bytes(), findings


def _segments(data: bytes) -> list[str]:
    """Split after the ISA's segment terminator (and any line break), for a readable diff."""
    terminator = re.escape(data[105:106])
    return [m.decode("latin-1") for m in re.findall(rb"[^" + terminator + rb"]*" + terminator + rb"[\r\n]*", data)]


def test_there_are_scenarios() -> None:
    assert len(CASES) >= 12, CASES


@pytest.mark.parametrize("case", CASES)
def test_fix_gives_expected_bytes_and_findings(case: str, tmp_path: Path) -> None:
    folder = SCENARIOS / case
    output, findings = _fix(folder / "input.837", tmp_path)
    expected = (folder / "expected.837").read_bytes()
    assert _segments(output) == _segments(expected)
    assert output == expected  # line endings and whatever follows the terminators, too
    assert Counter(_key(f) for f in findings) == Counter(_key(f) for f in _expected(case))


@pytest.mark.parametrize("case", CASES)
def test_check_says_whether_input_needs_a_change(case: str) -> None:
    folder = SCENARIOS / case
    needs_change = any(f["fixed"] for f in _expected(case))
    assert needs_change == ((folder / "input.837").read_bytes() != (folder / "expected.837").read_bytes())
    code, stderr = _cli("check", str(folder / "input.837"))
    assert code == (1 if needs_change else 0), stderr
    code, stderr = _cli("check", str(folder / "expected.837"))
    assert code == 0, stderr


@pytest.mark.parametrize("case", CASES)
def test_fixing_expected_again_changes_nothing(case: str, tmp_path: Path) -> None:
    expected = SCENARIOS / case / "expected.837"
    output, findings = _fix(expected, tmp_path)
    assert output == expected.read_bytes()
    assert [f for f in findings if f["fixed"]] == []


def test_inputs_and_expected_outputs_are_ig_valid() -> None:
    """Every scenario is a valid 005010X223A2 file (pyx12), before and after the fix."""
    files = [str(SCENARIOS / case / name) for case in CASES for name in ("input.837", "expected.837")]
    code, stderr = _cli("validate", *files)
    assert code == 0, stderr
