"""Configuration: every error names its file and key; discovery; payer overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from cart837.config import Config, RuleMode, find_config, from_mapping, load_config
from cart837.errors import ConfigError

KNOWN = {"CART-001": frozenset({RuleMode.FIX, RuleMode.FLAG, RuleMode.OFF}), "CART-021": frozenset({RuleMode.FLAG})}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"bogus": 1}, "unknown configuration key 'bogus'"),
        ({"medicare_filing_codes": "MB"}, "medicare_filing_codes must be a list of strings, not 'MB'"),
        ({"prefer_x_modifiers": "yes"}, "prefer_x_modifiers must be true or false, not 'yes'"),
        ({"collapse_charge": "half"}, "collapse_charge = 'half': use one of sum, keep-first"),
        ({"rules": {"CART-999": "fix"}}, "rules: unknown rule 'CART-999'"),
        ({"rules": {"CART-001": "maybe"}}, "rules.CART-001 = 'maybe': use fix, flag or off"),
        ({"rules": {"CART-021": "off"}}, "rules.CART-021 = 'off': this rule allows flag"),
        ({"rules": "off"}, "rules must be a table of rule id = mode"),
        ({"codes": []}, "codes must be a table of code tables"),
        ({"payers": {"00301": {"bogus": 1}}}, "unknown configuration key payers.00301.bogus"),
        ({"payers": {"00301": {"rules": {"CART-999": "off"}}}}, "payers.00301.rules: unknown rule 'CART-999'"),
        ({"payers": {"00301": {"x_modifier": 5}}}, "payers.00301.x_modifier must be a string, not 5"),
        ({"payers": {"00301": 1}}, "payers.00301 must be a table"),
    ],
)
def test_errors_name_the_source_and_the_key(raw: dict[str, object], message: str) -> None:
    assert from_mapping({}, KNOWN, "other.toml").source == "other.toml"  # an earlier load must not leak
    with pytest.raises(ConfigError) as caught:
        from_mapping(raw, KNOWN, "here.toml")
    assert caught.value.message == message
    assert caught.value.location.file == "here.toml"
    assert caught.value.one_line() == f"here.toml: {message}"


def test_values_and_payer_overrides() -> None:
    config = from_mapping(
        {
            "medicare_filing_codes": ["MB"],
            "rules": {"CART-001": "flag"},
            "payers": {"00301": {"product_revenue_code": "0636", "rules": {"CART-001": "off"}}},
        },
        KNOWN,
        "c.toml",
    )
    assert config.medicare_filing_codes == ("MB",)
    assert config.source == "c.toml"
    assert config.rules == {"CART-001": RuleMode.FLAG}
    payer = config.for_payer("00301")
    assert (payer.product_revenue_code, payer.rules["CART-001"]) == ("0636", RuleMode.OFF)
    assert config.for_payer("99999") is config
    assert Config().product_revenue_code == "0891"


def test_discovery_order(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) is None
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    assert load_config(None, KNOWN, cwd=deep) == Config()
    (tmp_path / "pyproject.toml").write_text('[tool.cart837]\nx_modifier = "XS"\n')
    assert find_config(deep) == (tmp_path / "pyproject.toml", True)
    assert load_config(None, KNOWN, cwd=deep).x_modifier == "XS"
    (tmp_path / "cart837.toml").write_text('x_modifier = "XE"\n')
    assert find_config(deep) == (tmp_path / "cart837.toml", False)
    assert load_config(None, KNOWN, cwd=deep).x_modifier == "XE"
    explicit = tmp_path / "pyproject.toml"
    assert load_config(explicit, KNOWN).x_modifier == "XS"  # --config pyproject.toml reads [tool.cart837]
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "missing.toml", KNOWN)


@pytest.mark.parametrize(
    "text",
    [
        '[tool.cart837]\nx_modifier = "XS\n',  # an unterminated string
        '[project]\nname = "x"\n[tool.cart837.rules]\n"CART-001" = \n',
        'tool.cart837.x_modifier = "XS"\n[project\n',
        '[tool."cart837"]\nx_modifier = "XS"\n\xff\n',
    ],
)
def test_a_broken_pyproject_that_holds_our_table_is_an_error_naming_it(tmp_path: Path, text: str) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(None, KNOWN, cwd=tmp_path)
    assert caught.value.one_line().startswith(f"{pyproject}: not valid TOML: ")


def test_a_broken_pyproject_of_another_tool_is_passed_over(tmp_path: Path) -> None:
    deep = tmp_path / "a"
    deep.mkdir()
    (deep / "pyproject.toml").write_text('[tool.other]\nx = "unterminated\n# tool.cart837 is named in a comment\n')
    (tmp_path / "pyproject.toml").write_text('[tool.cart837]\nx_modifier = "XS"\n')
    assert find_config(deep) == (tmp_path / "pyproject.toml", True)


def test_an_unreadable_configuration_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "cart837.toml"
    folder.mkdir()  # a folder where the file should be: reading it fails with an OSError
    with pytest.raises(ConfigError) as caught:
        load_config(folder, KNOWN)
    assert caught.value.one_line().startswith(f"{folder}: cannot read: ")
