"""The one runner of the per-rule TOML cases (STYLE.md §4)."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from cart837.rules import all_rules
from tests.rules.harness import Patient, config_of, line_charges, run_fix, wrap

CASES = Path(__file__).parent / "cases"


def _load() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(CASES.glob("CART-*.toml")):
        data = tomllib.loads(path.read_text("utf-8"))
        assert data["rule"] == path.stem, f"{path.name}: rule = {data['rule']!r}"
        for case in data["case"]:
            out.append((data["rule"], case))
    return out


ALL = _load()


def _claims(case: dict[str, Any], key: str) -> list[tuple[Patient, str]]:
    """A case is one claim (`input`) or several (`claims` = [{input, patient...}])."""
    if "claims" in case:
        out = []
        for claim in case["claims"]:
            patient = Patient(**claim.get("patient", case.get("patient", {})))
            out.append((patient, claim[key] if key in claim else claim["input"]))
        return out
    return [(Patient(**case.get("patient", {})), case[key])]


def _expected_findings(rule_id: str, case: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    return Counter(
        (f.get("rule", rule_id), f.get("claim"), f.get("line"), f["action"], f["fixed"])
        for f in case.get("findings", [])
    )


@pytest.mark.parametrize(("rule_id", "case"), ALL, ids=[f"{r}:{c['name']}" for r, c in ALL])
def test_case(rule_id: str, case: dict[str, Any], tmp_path: Path) -> None:
    config = config_of(case.get("config"))
    data = wrap(_claims(case, "input"))
    output, result = run_fix(data, tmp_path / "first", config)
    has_fixed = "fixed" in case or any("fixed" in c for c in case.get("claims", []))
    expected = wrap(_claims(case, "fixed")) if has_fixed else data
    assert output.decode("latin-1") == expected.decode("latin-1")
    if config.collapse_charge == "sum":
        assert line_charges(output) == line_charges(data)
    again, _ = run_fix(output, tmp_path / "second", config)
    assert again == output, "fixing the fixed output changed it again"
    wanted = _expected_findings(rule_id, case)
    rules_named = {key[0] for key in wanted} | {rule_id}
    by_claim = any(k[1] for k in wanted)
    found = [f for f in result.findings if f.rule in rules_named]
    got = Counter((f.rule, f.claim if by_claim else None, f.line, f.action.value, f.fixed) for f in found)
    assert got == wanted
    for expected in case.get("findings", []):
        if "message" in expected:
            _assert_message(rule_id, expected, found, by_claim)


def _assert_message(rule_id: str, expected: dict[str, Any], found: list[Any], by_claim: bool) -> None:
    """DESIGN.md: a message states the numbers it is about; the case lists substrings it must hold."""
    rule, claim, line = expected.get("rule", rule_id), expected.get("claim"), expected.get("line")
    key = (rule, claim, line, expected["action"], expected["fixed"])
    candidates = [
        f.message for f in found if (f.rule, f.claim if by_claim else None, f.line, f.action.value, f.fixed) == key
    ]
    parts = expected["message"]
    assert any(all(part in message for part in parts) for message in candidates), (parts, candidates)


# Rules that never emit a finding of their own, by design (each must still have a no-finding case):
NEVER_A_FINDING = frozenset(
    {
        "CART-013",  # adds its reason text to CART-010/011/012 findings, see cart013_adverse_events.py
    }
)


def test_every_rule_has_a_case_with_and_without_a_finding() -> None:
    with_finding = {rule for rule, case in ALL if any(f.get("rule", rule) == rule for f in case.get("findings", []))}
    without = {rule for rule, case in ALL if not any(f.get("rule", rule) == rule for f in case.get("findings", []))}
    for rule in all_rules():
        assert rule.id in with_finding or rule.id in NEVER_A_FINDING, f"{rule.id} has no case with a finding"
        assert rule.id not in with_finding or rule.id not in NEVER_A_FINDING, f"{rule.id} is exempt but has a finding"
        assert rule.id in without, f"{rule.id} has no case without a finding"


def test_every_rule_has_a_case_that_checks_its_message() -> None:
    checked = {rule for rule, case in ALL if any("message" in f for f in case.get("findings", []))}
    missing = sorted(rule.id for rule in all_rules() if rule.id not in checked)
    assert missing == [], f"rules without a case that checks a message: {missing}"


def test_every_rule_documents_itself() -> None:
    for rule in all_rules():
        assert rule.title and rule.citation.startswith("["), rule.id
        assert "Bad:" in rule.doc and "Good:" in rule.doc, f"{rule.id} docstring needs Bad:/Good: examples"
