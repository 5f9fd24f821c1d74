"""Configuration: every error names its file and key; discovery; payer overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from cart837.config import (
    BundledAdminAction,
    CollapseCharge,
    Config,
    RuleMode,
    XModifier,
    from_mapping,
)
from cart837.config_file import find_config, load_config
from cart837.errors import ConfigError
from tests.support import PUBLIC, cart837_command, error_lines, visible

KNOWN = {"CART-001": frozenset({RuleMode.FIX, RuleMode.FLAG, RuleMode.OFF}), "CART-021": frozenset({RuleMode.FLAG})}


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        # RULES.md §3 revision 2: entries are the first two digits of the bill type
        ({"outpatient_bill_types": ["131"]}, ["outpatient_bill_types = ['131']", "write '13'"]),
        ({"outpatient_bill_types": ["1"]}, ["outpatient_bill_types = ['1']", "write two digits"]),
        ({"split_dose_window_days": "21"}, ["split_dose_window_days = '21'", "whole number of days", "e.g. 21"]),
        ({"duplicate_product_window_days": -1}, ["duplicate_product_window_days = -1", "e.g. 30"]),
        ({"duplicate_product_window_days": True}, ["duplicate_product_window_days = True", "whole number"]),
        ({"supportive_drugs": ["j1100"]}, ["supportive_drugs = ['j1100']", "not a HCPCS/CPT code", '"J1100"']),
        ({"product_revenue_code": "891"}, ["product_revenue_code = '891'", 'four-digit revenue code, e.g. "0891']),
        # RULES.md §2.4 revision 2: NOC codes are never CAR-T products by code alone
        ({"extra_product_codes": ["C9399"]}, ["extra_product_codes = ['C9399']", "not-otherwise-classified", "remove"]),
        ({"codes": {"J9999": {"kind": "product"}}}, ["codes.J9999", "not-otherwise-classified", "remove it"]),
        ({"extra_product_codes": ["J3393"]}, ["extra_product_codes and non_car_t_products both list J3393", "remove"]),
        (
            {"payers": {"00301": {"extra_product_codes": ["Q2057"]}}},
            ["payers.00301: extra_product_codes and non_car_t_products both list Q2057"],
        ),
        # issue 11: values that broke the rules in silence
        ({"non_car_t_products": ["Q2041"]}, ["non_car_t_products = ['Q2041']", "Q2041 is a CAR-T product", "remove"]),
        (
            {"extra_product_codes": ["C9081"], "non_car_t_products": ["J3393", "C9081"]},
            ["extra_product_codes and non_car_t_products both list C9081"],
        ),
        (
            {"codes": {"C9081": {"kind": "product"}}, "non_car_t_products": ["C9081"]},
            ["non_car_t_products = ['C9081']", "C9081 is a CAR-T product"],
        ),
        (
            {"payers": {"00301": {"non_car_t_products": ["Q2055"]}}},
            ["payers.00301: non_car_t_products = ['Q2055']", "Q2055 is a CAR-T product"],
        ),
        ({"split_dose_products": ["J1100"]}, ["split_dose_products = ['J1100']", "J1100 is not a CAR-T", "Q2058"]),
        ({"split_dose_products": ["Q2057"]}, ["split_dose_products = ['Q2057']", "Q2057 is not a CAR-T product"]),
        (
            {"payers": {"00301": {"split_dose_products": ["Q2058", "J9999"]}}},
            ["payers.00301: split_dose_products = ['Q2058', 'J9999']", "J9999 is not a CAR-T product"],
        ),
        ({"medicare_filing_codes": []}, ["medicare_filing_codes = []", "CART-005 off", "['MA', 'MB']"]),
        ({"medicare_filing_codes": ["MA", "Medicare"]}, ["'Medicare' is not a claim filing indicator", '"MB"']),
        ({"medicare_filing_codes": ["mb"]}, ["medicare_filing_codes = ['mb']", "'mb' is not a claim filing"]),
        ({"payers": {"00301": {"medicare_filing_codes": []}}}, ["payers.00301.medicare_filing_codes = []", "CART-005"]),
        ({"outpatient_bill_types": []}, ["outpatient_bill_types = []", "empty list", "['13']"]),
        ({"outpatient_bill_types": ["13", "11"]}, ["outpatient_bill_types = ['13', '11']", "inpatient", 'remove "11"']),
        ({"supportive_drugs": []}, ["supportive_drugs = []", "CART-011/CART-012", "'J1100'"]),
        ({"unrelated_drugs": []}, ["unrelated_drugs = []", "CART-012", "'J0696'"]),
        ({"payers": {"P": {"lymphodepletion_drugs": []}}}, ["payers.P.lymphodepletion_drugs = []", "CART-014"]),
        ({"split_dose_window_days": 0}, ["split_dose_window_days = 0", "from 1 to 366", "e.g. 21"]),
        ({"payers": {"P": {"duplicate_product_window_days": 0}}}, ["payers.P.duplicate_product_window_days = 0"]),
        ({"duplicate_product_window_days": 367}, ["duplicate_product_window_days = 367", "from 1 to 366"]),
        ({"product_revenue_code": "0001"}, ["product_revenue_code = '0001'", "four-digit revenue code"]),
        ({"product_revenue_code": "08910"}, ["product_revenue_code = '08910'", '"0891"']),
        ({"x_modifier": "59"}, ["x_modifier = '59'", "use one of XE, XS, XP, XU"]),
        ({"payers": {"P": {"x_modifier": "xu"}}}, ["payers.P.x_modifier = 'xu'", "use one of"]),
        ({"inpatient_car_t_pcs": ["XW033C3", "XW0.33C"]}, ["'XW0.33C' is not an ICD-10-PCS code", '"XW033C3"']),
        ({"inpatient_car_t_pcs": ["XWO33C3"]}, ["'XWO33C3' is not an ICD-10-PCS code"]),
        # [codes] entries the rules would read wrongly
        ({"codes": {"q2058": {"kind": "product"}}}, ["codes.q2058: not a HCPCS/CPT code", '[codes."Q2058"]']),
        (
            {"codes": {"Q2058": {"valid_from": "2025-04-01", "valid_to": "2024-12-31"}}},
            ["codes.Q2058: valid_from = 2025-04-01 is after valid_to = 2024-12-31", "never valid"],
        ),
        ({"codes": {"0540T": {"revenue_code": "874"}}}, ["codes.0540T: revenue_code = '874'", "four-digit"]),
        ({"codes": {"0540T": {"crosswalk": "38299"}}}, ["codes.0540T: crosswalk = '38299' is not a known code"]),
        ({"codes": {"C9081": {"kind": "step"}}}, ['codes.C9081: kind = "step" needs step = one of collection']),
    ],
)
def test_bad_values_name_key_value_and_what_to_write(raw: dict[str, object], parts: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        from_mapping(raw, KNOWN, "here.toml")
    for part in parts:
        assert part in caught.value.message
    assert "\n" not in caught.value.one_line()


def test_good_values_still_load() -> None:
    raw = {
        "medicare_filing_codes": ["MB"],
        "outpatient_bill_types": ["13", "85"],
        "extra_product_codes": ["C9081"],
        "split_dose_products": ["Q2058", "C9081"],
        "non_car_t_products": ["J3393"],
        "inpatient_car_t_pcs": ["XW033C3"],
        "split_dose_window_days": 1,
        "duplicate_product_window_days": 366,
        "payers": {"00301": {"medicare_filing_codes": ["MA", "MB"], "split_dose_products": []}},
    }
    config = from_mapping(raw, KNOWN, "here.toml")
    assert config.split_dose_products == ("Q2058", "C9081")
    assert config.for_payer("00301").split_dose_products == ()


def test_closed_sets_load_as_enums() -> None:
    # issue 15 item 4: collapse_charge, bundled_admin_action and x_modifier are StrEnums, modes RuleMode
    raw = {"collapse_charge": "keep-first", "bundled_admin_action": "noncovered", "x_modifier": "XS"}
    config = from_mapping({**raw, "payers": {"P1": {"collapse_charge": "sum", "rules": {"CART-001": "flag"}}}}, KNOWN)
    assert config.collapse_charge is CollapseCharge.KEEP_FIRST
    assert config.bundled_admin_action is BundledAdminAction.NONCOVERED and config.x_modifier is XModifier.XS
    assert config.for_payer("P1").collapse_charge is CollapseCharge.SUM
    assert config.payer_rule_modes("P1") == {"CART-001": RuleMode.FLAG} and config.payer_rule_modes("P2") == {}
    assert Config().collapse_charge is CollapseCharge.SUM and Config().x_modifier is XModifier.XU


def test_revision_2_keys_load() -> None:
    raw = {"split_dose_window_days": 14, "duplicate_product_window_days": 45, "non_car_t_products": ["J3393"]}
    config = from_mapping(raw, KNOWN, "here.toml")
    assert (config.split_dose_window_days, config.duplicate_product_window_days) == (14, 45)
    assert config.code_table().kind("Q2057") is None  # listed no more: an unknown code again
    assert Config().non_car_t_products == ("J3391", "J3392", "J3393", "J3394", "Q2057")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"bogus": 1}, "unknown configuration key 'bogus'"),
        (
            {"medicare_filing_codes": "MB"},
            "medicare_filing_codes = 'MB': write a list of strings, e.g. medicare_filing_codes = ['MA', 'MB']",
        ),  # noqa: E501
        ({"prefer_x_modifiers": "yes"}, "prefer_x_modifiers = 'yes': write true or false"),
        ({"rules": {"CART-999": "fix"}}, "rules: unknown rule 'CART-999'"),
        ({"rules": {"CART-001": "maybe"}}, "rules.CART-001 = 'maybe': use fix, flag or off"),
        ({"rules": {"CART-021": "off"}}, "rules.CART-021 = 'off': this rule allows flag"),
        ({"rules": "off"}, "rules must be a table of rule id = mode"),
        ({"codes": []}, "codes must be a table of code tables"),
        ({"payers": {"00301": {"bogus": 1}}}, "unknown configuration key payers.00301.bogus"),
        ({"payers": {"00301": {"rules": {"CART-999": "off"}}}}, "payers.00301.rules: unknown rule 'CART-999'"),
        (
            {"payers": {"00301": {"x_modifier": 5}}},
            "payers.00301.x_modifier = 5: write a string, e.g. x_modifier = 'XU'",
        ),  # noqa: E501
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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('non_car_t_products = ["Q2041"]\n', "non_car_t_products = ['Q2041']: Q2041 is a CAR-T product code"),
        ('split_dose_products = ["J1100"]\n', "split_dose_products = ['J1100']: J1100 is not a CAR-T product code"),
        ("medicare_filing_codes = []\n", "medicare_filing_codes = []: an empty list switches CART-005 off"),
        ('[payers."00301"]\nsplit_dose_window_days = 0\n', "payers.00301.split_dose_window_days = 0: write a whole"),
    ],
)
def test_the_cli_refuses_a_bad_value_in_one_line_with_exit_2(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "cart837.toml"
    config.write_text(text)
    out = tmp_path / "out"
    done = cart837_command(["fix", str(PUBLIC / "stupidedi" / "ppo-repriced-claim.edi"), "-o", str(out)], cwd=tmp_path)
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert error_lines(stderr) == [line for line in stderr.splitlines() if line.strip()]
    assert len(error_lines(stderr)) == 1 and error_lines(stderr)[0].startswith(f"cart837: error: {config}: {message}")
    assert not visible(out)  # no partial output
