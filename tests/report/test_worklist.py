"""Issue 12: severity and next step on every finding, the work list, dollars and the run's configuration."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cart837.cli import main
from cart837.report.worklist import WorkItem, csv_text
from cart837.rules import all_rules
from cart837.rules.base import Severity

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """The demo batch fixed with a JSON report; returns the report and stderr."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(main, ["fix", str(DEMO), "-o", str(out / "fixed"), "--report", str(out / "r.json")])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads((out / "r.json").read_text(encoding="utf-8"))
    return document, result.stderr


REPORT_OPTIONS = {".json": "--report", ".md": "--report-md", ".html": "--report-html", ".csv": "--worklist"}


def _fix_with_reports(source: Path, tmp_path: Path, *names: str) -> tuple[dict[str, Any], list[Path], str]:
    """`fix SOURCE -o out.837` writing each named report (the JSON one first); return it, the paths, stderr."""
    paths = [tmp_path / name for name in names]
    reports = [arg for path in paths for arg in (REPORT_OPTIONS[path.suffix], str(path))]
    result = CliRunner().invoke(main, ["fix", str(source), "-o", str(tmp_path / "out.837"), *reports])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(paths[0].read_text(encoding="utf-8"))
    return document, paths, result.stderr


def _findings(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for entry in document["files"]:
        for finding in entry["findings"]:
            yield entry["path"], finding


def test_every_rule_has_a_severity_and_a_next_step() -> None:
    for rule in all_rules():
        assert isinstance(rule.severity, Severity)
        assert len(rule.next_step) > 20, rule.id  # in billing words, not empty
    gates = {r.id: r.severity for r in all_rules() if r.gate}
    assert gates == {"CART-021": Severity.ERROR, "CART-022": Severity.ERROR}


def test_automatic_modifiers_are_review_and_flags_end_with_the_next_step(demo: tuple[dict[str, Any], str]) -> None:
    document, _ = demo
    findings = [f for _, f in _findings(document)]
    modifiers = [f for f in findings if f["action"] == "modifier"]
    assert modifiers and all(f["severity"] == "review" for f in modifiers)
    for finding in findings:
        assert finding["severity"] in ("error", "review", "info") and finding["next_step"]
        if not finding["fixed"]:
            assert finding["message"].endswith(f"Next step: {finding['next_step']}"), finding["message"]
    gated = [f for f in findings if f["rule"] in ("CART-021", "CART-022")]
    assert gated and all(f["severity"] == "error" for f in gated)


def test_work_list_is_every_claim_with_an_error_or_review_finding(demo: tuple[dict[str, Any], str]) -> None:
    document, stderr = demo
    expected: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for path, finding in _findings(document):
        if finding["severity"] != "info":
            expected.setdefault((path, finding["transaction"], finding["claim"]), []).append(finding)
    rows = document["worklist"]
    assert {(r["file"], r["transaction"], r["claim"]) for r in rows} == set(expected)
    assert len(rows) == len(expected) == document["totals"]["claims_to_work"] >= 3
    ranks = ["error", "review"]
    assert [ranks.index(r["severity"]) for r in rows] == sorted(ranks.index(r["severity"]) for r in rows)
    for row in rows:
        found = expected[(row["file"], row["transaction"], row["claim"])]
        assert row["rules"] == list(dict.fromkeys(f["rule"] for f in found))
        assert all(step.split(": ", 1)[0] in row["rules"] for step in row["next_steps"])
        assert row["payer"] and row["first_date"]
        where = (row["file"], row["transaction"], row["claim"])
        everything = [f for p, f in _findings(document) if (p, f["transaction"], f["claim"]) == where]
        assert Decimal(row["amount"]) == _claim_dollars(everything)  # the claim's dollars, as its heading says
    assert stderr.rstrip().endswith(f"; {len(rows)} claims need a person")


def _claim_dollars(findings: list[dict[str, Any]]) -> Decimal:
    """BEHAVIOUR.md, Dollars: each line once at its largest amount; a claim-level finding: CLM02."""
    claim_level = [Decimal(f["amount"]) for f in findings if f["line"] is None]
    per_line: dict[int, Decimal] = {}
    for f in findings:
        if f["line"] is not None:
            per_line[f["line"]] = max(per_line.get(f["line"], Decimal(0)), Decimal(f["amount"]))
    return max(claim_level) if claim_level and max(claim_level) else sum(per_line.values(), Decimal(0))


def _file_dollars(entry: dict[str, Any]) -> Decimal:
    claims: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for finding in entry["findings"]:  # a claim: ST02, CLM01 and where its CLM is (CLM01 may repeat)
        claims.setdefault((finding["transaction"], finding["claim"], finding["claim_segment"]), []).append(finding)
    return sum((_claim_dollars(found) for found in claims.values()), Decimal(0))


def test_dollars_add_up_per_run(demo: tuple[dict[str, Any], str]) -> None:
    """Issue 12 review: a line two rules touch counts once in the claim, the file and the run."""
    document, stderr = demo
    run = sum((_file_dollars(entry) for entry in document["files"]), Decimal(0))
    per_finding = sum((Decimal(f["amount"]) for _, f in _findings(document)), Decimal(0))
    assert run > 0 and per_finding > run  # some line of the demo is touched by two rules
    assert document["totals"]["amount"] == f"{run:.2f}"
    assert f"; ${run:,.2f} involved;" in stderr
    rules: dict[str, Decimal] = {}
    for _, f in _findings(document):  # per rule the totals stay per finding
        rules[f["rule"]] = rules.get(f["rule"], Decimal(0)) + Decimal(f["amount"])
    assert sum(rules.values(), Decimal(0)) == per_finding


def test_one_claim_has_one_dollar_figure_in_every_report(tmp_path: Path) -> None:
    """The crosswalk demo claim: heading $5,300 but file row $13,700 before (a line counted per rule)."""
    source = DEMO / "cart-catiii-2025-crosswalk.837"
    document, paths, stderr = _fix_with_reports(source, tmp_path, "r.json", "r.md", "r.html", "w.csv")
    (entry,) = document["files"]
    assert len({(f["transaction"], f["claim"]) for f in entry["findings"]}) == 1
    amount = _file_dollars(entry)
    shown = f"${amount:,.2f}"
    assert amount == Decimal("5300.00") and document["totals"]["amount"] == "5300.00"
    markdown = paths[1].read_text(encoding="utf-8")
    assert f"{shown} involved)" in markdown  # the claim heading
    assert "$13,700.00" not in markdown and "$13,700.00" not in paths[2].read_text(encoding="utf-8")
    file_rows = [line for line in markdown.splitlines() if line.startswith("| `") and ".837` |" in line]
    assert file_rows and all(shown in line for line in file_rows), file_rows
    html = paths[2].read_text(encoding="utf-8")
    assert html.count(shown) >= 3  # summary card, file row, claim heading
    rows = list(csv.DictReader(io.StringIO(paths[3].read_text(encoding="utf-8-sig"))))
    assert all(Decimal(row["amount"]) == amount for row in rows)
    assert f"; {shown} involved;" in stderr

    noncovered = [f for _, f in _findings(document) if f["action"] == "noncovered"]
    for finding in noncovered:  # what SV207 grew by
        elements = finding["before"].rstrip("~").split("*")
        before = Decimal(elements[7] or 0) if len(elements) > 7 else Decimal(0)
        after = Decimal(finding["after"].rstrip("~").split("*")[7])
        assert Decimal(finding["amount"]) == after - before


def test_found_configuration_is_said_on_stderr_and_in_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cart837.toml").write_text('[rules]\n"CART-010" = "off"\n"CART-012" = "flag"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", str(DEMO), "--report", "r.json"])
    found = tmp_path / "cart837.toml"
    assert f"cart837: using configuration {found} (found by lookup; --config FILE names another)" in result.stderr
    config = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["config"]
    assert (config["source"], config["found"]) == (str(found), "implicitly")
    assert config["rules"]["CART-010"] == "off" and config["rules"]["CART-012"] == "flag"
    assert config["code_table_date"] == "2026-12-05" and len(config["rules"]) == len(all_rules())
    named = CliRunner().invoke(main, ["check", str(DEMO), "--config", str(found), "--report", "r.json"])
    assert "using configuration" not in named.stderr
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["config"]["found"] == "explicitly"


def test_worklist_csv_opens_in_a_spreadsheet_and_defuses_formulas() -> None:
    item = WorkItem(
        "in/a.837",
        "0001",
        '=HYPERLINK("x")',
        "00301",
        "2025-01-02",
        Severity.ERROR,
        ("CART-021",),
        ("CART-021: correct the total charge",),
        Decimal("1000"),
        held=True,
    )
    text = csv_text([item], {"in/a.837": "held/a.837"})
    assert text.startswith("\ufeffseverity,file,claim,payer,first_dos,rules,what_to_do,amount,went_to\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1] == [
        "error",
        "in/a.837",
        '\'=HYPERLINK("x")',
        "00301",
        "2025-01-02",
        "CART-021",
        "CART-021: correct the total charge",
        "1000.00",
        "held/a.837",
    ]


def test_a_flag_says_when_a_later_rule_changed_its_line(tmp_path: Path) -> None:
    """CART-004 notes a prep line billed with 2 units; CART-006 and CART-005 then change that line."""
    from tests.rules.harness import Patient, config_of, run_fix, wrap

    claim = """
CLM*P1*4300***13:A:1**A*Y*Y
DTP*434*D8*20250501
LX*1
SV2*0360*HC:38226*4300.00*UN*2
"""
    _, result = run_fix(wrap([(Patient(), claim)]), tmp_path, config_of(None))
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["CART-006"].fixed and by_rule["CART-005"].fixed
    note = f"(since then CART-005 changed this line to {by_rule['CART-005'].after})"  # the last change
    assert "SV2*0872*HC:38226*4300.00*UN*2**4300.00~" in note
    message = by_rule["CART-004"].message
    assert note in message and message.index(note) < message.index("Next step: ")
    assert by_rule["CART-004"].severity is Severity.INFO and by_rule["CART-004"].output_line == 1


def test_cart013_reason_is_shown_once_in_its_rule_section(demo: tuple[dict[str, Any], str]) -> None:
    from cart837.report import html, markdown
    from cart837.report.model import Report

    document, _ = demo
    pointing = [f for _, f in _findings(document) if "see CART-013" in f["message"]]
    assert pointing and not [f for _, f in _findings(document) if f["rule"] == "CART-013"]
    report = Report.from_dict(document)
    text = markdown.render(report)
    assert text.count("monitoring and managing adverse events") == 1
    section = text[text.index("### CART-013") :]
    assert "Next step: on every same-day visit" in section.split("### CART-014")[0].replace("\n", " ")
    page = html.render(report)
    assert page.count("monitoring and managing adverse events") == 1 and 'id="rule-CART-013"' in page


REPEATED_CLM01 = """
CLM*R1*5000***13:A:{frequency}**A*Y*Y
DTP*434*D8*20250501
LX*1
SV2*0891*HC:Q2041*4000.00*UN*1
"""


def test_two_claims_sharing_a_clm01_are_two_claims_to_work(tmp_path: Path) -> None:
    """Issue 12 review: a replacement before its original (same CLM01, one transaction) counted as one claim."""
    from tests.rules.harness import Patient, wrap

    source = tmp_path / "repeated.837"
    replacement = REPEATED_CLM01.format(frequency=7) + "REF*F8*ORIGINAL1\n"
    source.write_bytes(wrap([(Patient(), replacement), (Patient(), REPEATED_CLM01.format(frequency=1))]))
    document, paths, stderr = _fix_with_reports(source, tmp_path, "r.json", "r.md", "w.csv")
    (entry,) = document["files"]
    errors = {(f["claim"], f["claim_segment"]) for f in entry["findings"] if f["severity"] == "error"}
    assert len(errors) == 2 and {claim for claim, _ in errors} == {"R1"}
    assert document["totals"]["claims_to_work"] == 2 and len(document["worklist"]) == 2
    assert stderr.rstrip().endswith("; 2 claims need a person")
    assert len(list(csv.DictReader(io.StringIO(paths[2].read_text(encoding="utf-8-sig"))))) == 2
    markdown = paths[1].read_text(encoding="utf-8")
    assert markdown.count("### Claim `R1`") == 2 and "## Work list: 2 claims need a person" in markdown
    assert f"${Decimal(document['totals']['amount']):,.2f} involved" in stderr
    assert Decimal(document["totals"]["amount"]) == 2 * Decimal("5000.00")  # each claim's CLM02 at stake
