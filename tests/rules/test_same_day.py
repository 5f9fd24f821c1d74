"""Messages of the same-day rules: CART-010 quotes the caveat, CART-013 is pointed to."""

from __future__ import annotations

from pathlib import Path

import pytest

from cart837.errors import ConfigError
from cart837.rules.base import REGISTRY
from tests.rules.harness import Patient, config_of, run_fix, wrap

DAY = """
CLM*M1*905300***13:A:1**A*Y*Y
DTP*434*D8*20250501
LX*1
SV2*0874*HC:38228*4000.00*UN*1
LX*2
SV2*0891*HC:Q2041*900000.00*UN*1
LX*3
SV2*0510*HC:G0463*400.00*UN*1
LX*4
SV2*0260*HC:96360*300.00*UN*1
LX*5
SV2*0260*HC:96365*600.00*UN*1
"""
DAY_WITH_ANTIBIOTIC = DAY.replace("905300", "905330") + "LX*6\nSV2*0636*HC:J0696*30.00*UN*1\n"


def _messages(tmp_path: Path, claim: str, config: dict[str, object] | None = None) -> dict[str, str]:
    _, result = run_fix(wrap([(Patient(), claim)]), tmp_path, config_of(config))
    return {f"{f.rule}@{f.line}": f.message for f in result.findings}


def test_cart010_quotes_the_reference_caveat(tmp_path: Path) -> None:
    message = _messages(tmp_path, DAY)["CART-010@3"]
    assert "added modifier 25" in message
    assert '"management of uncomplicated adverse events (e.g., nausea, urticaria) during the infusion' in message
    assert "care provided after the administration is complete" in message


def test_cart013_reason_is_said_once_in_the_rule(tmp_path: Path) -> None:
    """Issue 12: the findings point to CART-013; its reason is in the rule, not on every finding."""
    messages = _messages(tmp_path, DAY_WITH_ANTIBIOTIC)
    for key in ("CART-010@3", "CART-011@4", "CART-012@5"):
        assert "see CART-013" in messages[key], key
        assert "monitoring and managing adverse events" not in messages[key], key
    assert not any(key.startswith("CART-013") for key in messages)
    assert "monitoring and managing adverse events" in REGISTRY["CART-013"].next_step


def test_cart013_off_drops_its_reason(tmp_path: Path) -> None:
    messages = _messages(tmp_path, DAY, {"rules": {"CART-013": "off"}})
    assert "CART-013" not in messages["CART-010@3"]
    assert "CART-013" not in messages["CART-011@4"]


def test_rules_option_without_cart013_drops_its_reason(tmp_path: Path) -> None:
    # issue 11: `--rules CART-010` used to append CART-013's text; revision 2: only while CART-013 is on
    _, result = run_fix(wrap([(Patient(), DAY)]), tmp_path / "a", config_of(None), only=frozenset({"CART-010"}))
    assert [f.rule for f in result.findings] == ["CART-010"]
    assert "added modifier 25" in result.findings[0].message and "CART-013" not in result.findings[0].message
    on = frozenset({"CART-010", "CART-013"})
    _, both = run_fix(wrap([(Patient(), DAY)]), tmp_path / "b", config_of(None), only=on)
    assert "see CART-013" in both.findings[0].message


def test_cart011_message_says_likely_bundled(tmp_path: Path) -> None:
    message = _messages(tmp_path, DAY)["CART-011@5"]
    assert "likely bundled into CAR-T administration (incidental hydration / concurrent supportive drug)" in message
    assert "not deleted, not marked non-covered" in message


def test_cart012_message_names_drug_and_modifier(tmp_path: Path) -> None:
    message = _messages(tmp_path, DAY_WITH_ANTIBIOTIC)["CART-012@5"]
    assert "J0696" in message and "added modifier 59" in message


def test_x_modifier_must_be_an_x_modifier() -> None:
    with pytest.raises(ConfigError, match="x_modifier"):
        config_of({"x_modifier": "59"})
    with pytest.raises(ConfigError, match="x_modifier"):
        config_of({"payers": {"00590": {"x_modifier": "25"}}})
