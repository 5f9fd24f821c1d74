"""Every report validates against the shipped schema 2 (schema 1 still reads), and the schema rejects what breaks it."""

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
from tests.report.samples import sample_report, sample_report_schema1


def test_schema_ships_in_the_package_and_is_a_valid_json_schema() -> None:
    shipped = json.loads(resources.files("cart837.report").joinpath("schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(shipped)
    assert shipped["properties"]["schema"] == {"const": 2}
    first = json.loads(resources.files("cart837.report").joinpath("schema-1.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(first)
    assert first["properties"]["schema"] == {"const": 1}


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
    schema.validate(sample_report_schema1())


def test_real_batch_report_has_the_schema_2_fields(batch_run: Run) -> None:
    document = batch_run.document()
    assert document["schema"] == 2 and "as_of" not in document
    assert document["config"]["source"] == "defaults" and document["config"]["found"] == "defaults"
    assert document["config"]["rules"]["CART-009"] == "off" and document["config"]["rules"]["CART-005"] == "fix"
    collapse = next(f for e in document["files"] for f in e["findings"] if f["action"] == "collapse")
    assert collapse["severity"] == "info" and collapse["input_line"] == collapse["line"] == 1
    assert collapse["output_line"] == 1 and [r["line"] for r in collapse["removed"]] == [2]
    units = next(f for e in document["files"] for f in e["findings"] if f["action"] == "units")
    assert (units["input_line"], units["output_line"]) == (3, 2)  # LX 2 was removed by the collapse
    amounts = [f["amount"] for e in document["files"] for f in e["findings"]]
    assert all(a is not None and a.count(".") == 1 for a in amounts)


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
        finding["weight"] = "high"
    elif change == "bad severity":
        finding["severity"] = "high"
    elif change == "amount as a number":
        finding["amount"] = 12.5
    elif change == "work list without rules":
        document["worklist"][0]["rules"] = []
    elif change == "line zero":
        finding["line"] = 0
    elif change == "failed without error":
        document["files"][3]["error"] = None
    elif change == "bad sha256":
        document["files"][0]["sha256_in"] = "ABC"
    elif change == "schema 3":
        document["schema"] = 3
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
        ("bad severity", "files[0].findings[1].severity"),
        ("amount as a number", "files[0].findings[1].amount"),
        ("work list without rules", "worklist[0].rules"),
        ("schema 3", "schema"),
    ],
)
def test_schema_rejects_broken_reports_naming_the_place(change: str, where: str) -> None:
    with pytest.raises(ReportError) as raised:
        schema.validate(_broken(change), "r.json")
    message = raised.value.one_line()
    assert message.startswith(f"r.json: not a cart837 schema-2 report: {where}"), message
    assert "\n" not in message


def test_error_message_does_not_echo_values(tmp_path: Path) -> None:
    document = copy.deepcopy(sample_report())
    document["files"][0]["findings"][0]["patient"] = {
        "member_id": "QXM1",
        "last_name": 7,
        "first_name": "QXF",
        "birth_date": "19170305",
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
