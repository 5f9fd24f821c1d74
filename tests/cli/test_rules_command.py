"""`cart837 rules`: every rule with its modes, the settings it reads and its citation."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from click.testing import CliRunner

from cart837.cli import main
from cart837.config import Config
from cart837.rules import all_rules


def test_every_setting_a_rule_names_is_a_configuration_key() -> None:
    keys = {f.name for f in fields(Config)}
    named = {key for rule in all_rules() for key in rule.config_keys}
    assert named and named <= keys, sorted(named - keys)


def test_rules_lists_modes_settings_and_citation(tmp_path: Path) -> None:
    config = tmp_path / "cart837.toml"
    config.write_text('collapse_charge = "keep-first"\n[rules]\n"CART-002" = "flag"\n')
    result = CliRunner().invoke(main, ["rules", "--config", str(config)])
    assert result.exit_code == 0, result.output
    blocks = result.output.split("\nCART-")
    assert len(blocks) == len(all_rules())
    cart002 = next(block for block in blocks if block.startswith("002 "))
    assert cart002.splitlines()[1:] == [
        "          default: fix  configured: flag  flags: review",
        '          settings: collapse_charge = "keep-first"',
        "          citation: [REF-CODING]; [CPT-2025-CART]",
    ]
    cart021 = next(block for block in blocks if block.startswith("021 "))
    assert "settings:" not in cart021  # a rule that reads no setting says none
    # revision 2 settings are shown with their values
    cart024 = next(block for block in blocks if block.startswith("024 "))
    assert "duplicate_product_window_days = 30" in cart024
    assert 'non_car_t_products = ["J3391", "J3392", "J3393", "J3394", "Q2057"]' in cart024
    cart007 = next(block for block in blocks if block.startswith("007 "))
    assert "split_dose_window_days = 21" in cart007 and "codes (0 configured)" in cart007
