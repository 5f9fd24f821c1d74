"""CART-021/022 are gates: they cannot be turned off and they hold back every fix on the claim."""

from __future__ import annotations

import pytest

from cart837.config import RuleMode
from cart837.errors import ConfigError
from cart837.rules import all_rules
from cart837.rules.sources import references
from tests.rules.harness import config_of


@pytest.mark.parametrize("rule_id", ["CART-021", "CART-022"])
def test_gate_cannot_be_turned_off(rule_id: str) -> None:
    with pytest.raises(ConfigError, match=rule_id):
        config_of({"rules": {rule_id: "off"}})
    with pytest.raises(ConfigError, match=rule_id):
        config_of({"payers": {"00301": {"rules": {rule_id: "off"}}}})


@pytest.mark.parametrize("rule_id", ["CART-021", "CART-022"])
def test_gate_is_a_flag_only_gate(rule_id: str) -> None:
    rule = next(r for r in all_rules() if r.id == rule_id)
    assert rule.gate
    assert rule.modes == frozenset({RuleMode.FLAG})
    assert references(rule.citation)[0][1].startswith("cart837 DESIGN.md")


def test_cart019_is_off_by_default_and_cannot_fix() -> None:
    rule = next(r for r in all_rules() if r.id == "CART-019")
    assert rule.default is RuleMode.OFF
    assert RuleMode.FIX not in rule.modes
