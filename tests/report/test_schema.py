"""Every report validates against the shipped schema 1, and the schema rejects what breaks it."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cart837.errors import ReportError
from cart837.report import schema
from tests.report.conftest import Run
from tests.report.samples import sample_report


def test_schema_ships_in_the_package_and_is_a_valid_json_schema() -> None:
    shipped = json.loads(resources.files("cart837.report").joinpath("schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(shipped)
    assert shipped["properties"]["schema"] == {"const": 1}


def test_real_batch_report_validates_and_adds_up(batch_run: Run) -> None:
    document = batch_run.document()
    jsonschema.validate(document, schema.schema())
    files, totals = document["files"], document["totals"]
    statuses = [f["status"] for f in files]
    assert sorted(statuses) == ["changed", "failed", "skipped", "unchanged"]
    for status in ("changed", "unchanged", "skipped", "failed"):
        assert totals[status] == statuses.count(status)
    findings = [f for entry in files for f in entry["findings"]]
    assert totals["files"] == len(files)
    assert totals["findings"] == len(findings) == totals["fixed"] + totals["flags"]
    assert {(f["rule"], f["claim"], f["line"], f["action"], f["fixed"]) for f in findings} >= {
        ("CART-002", "CLAIM<script>&amp;1", 1, "collapse", True),
        ("CART-003", "CLAIM<script>&amp;1", 3, "units", True),
        ("CART-002", "CLAIMDEP1", 1, "collapse", True),
        ("CART-003", "CLAIMDEP1", 3, "units", True),
    }
    assert set(document["rules"]) >= {"CART-002", "CART-003"}
    assert document["rules"]["CART-002"]["references"][0]["id"] == "REF-CODING"


def test_hand_written_sample_validates() -> None:
    schema.validate(sample_report())


def _broken(change: str) -> dict[str, Any]:
    document = sample_report()
    finding = document["files"][0]["findings"][1]
    if change == "unknown action":
        finding["action"] = "delete"
    elif change == "fixed without after":
        finding["after"] = None
    elif change == "flag marked fixed":
        document["files"][0]["findings"][3]["fixed"] = True
    elif change == "missing citation":
        del finding["citation"]
    elif change == "extra key":
        finding["severity"] = "high"
    elif change == "line zero":
        finding["line"] = 0
    elif change == "failed without error":
        document["files"][3]["error"] = None
    elif change == "bad sha256":
        document["files"][0]["sha256_in"] = "ABC"
    elif change == "schema 2":
        document["schema"] = 2
    return document


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ("unknown action", "files[0].findings[1].action"),
        ("fixed without after", "files[0].findings[1].after"),
        ("flag marked fixed", "files[0].findings[3]"),
        ("missing citation", "files[0].findings[1]"),
        ("extra key", "files[0].findings[1]"),
        ("line zero", "files[0].findings[1].line"),
        ("failed without error", "files[3].error"),
        ("bad sha256", "files[0].sha256_in"),
        ("schema 2", "schema"),
    ],
)
def test_schema_rejects_broken_reports_naming_the_place(change: str, where: str) -> None:
    with pytest.raises(ReportError) as raised:
        schema.validate(_broken(change), "r.json")
    message = raised.value.one_line()
    assert message.startswith(f"r.json: not a cart837 schema-1 report: {where}"), message
    assert "\n" not in message


def test_error_message_does_not_echo_values(tmp_path: Path) -> None:
    document = copy.deepcopy(sample_report())
    document["files"][0]["findings"][0]["patient"] = {
        "member_id": "QXM1", "last_name": 7, "first_name": "QXF", "birth_date": "19170305",
    }
    with pytest.raises(ReportError) as raised:
        schema.validate(document, "r.json")
    assert "last_name" in raised.value.message and "7 is" not in raised.value.message


def test_load_reports_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cannot read"):
        schema.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 1,', encoding="utf-8")
    with pytest.raises(ReportError, match=r"not JSON: .* at line 1, column 14"):
        schema.load(bad)
