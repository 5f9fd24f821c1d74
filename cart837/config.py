"""Configuration: `cart837.toml` or `[tool.cart837]`, validated into a frozen Config.

Unknown keys and bad values are errors that name them (DESIGN.md, Configuration).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from types import MappingProxyType

from cart837.codes.tables import NOC_CODES, NON_CAR_T_PRODUCTS, CodeKind, CodeTable, Step, build_table
from cart837.errors import ConfigError, Location
from cart837.ids import RuleId


class RuleMode(StrEnum):
    """A rule's setting."""

    FIX = "fix"
    FLAG = "flag"
    OFF = "off"


class CollapseCharge(StrEnum):
    """What a collapse does with the removed lines' charges (RULES.md CART-002)."""

    SUM = "sum"
    KEEP_FIRST = "keep-first"


class BundledAdminAction(StrEnum):
    """What CART-011 does with a likely bundled hydration or drug administration line."""

    FLAG = "flag"
    NONCOVERED = "noncovered"


class XModifier(StrEnum):
    """The X{EPSU} modifiers a payer may prefer to 59 ([MOD-X])."""

    XE = "XE"
    XS = "XS"
    XP = "XP"
    XU = "XU"


# RULES.md §2.10: starting lists (configuration, not fact)
SUPPORTIVE_DRUGS = ("J1100", "J2930", "J1720", "J1200", "J2405", "J0131")
UNRELATED_DRUGS = (
    "J0696",
    "J3370",
    "J2543",
    "J2185",
    "J1956",
    "J0690",
    "J0692",
    "J0713",
    "J1335",
    "J0878",
    "J2020",
    "J1580",
    "J0290",
    "J2270",
    "J1170",
    "J3010",
    "J2175",
)
LYMPHODEPLETION_DRUGS = ("J9033", "J9034", "J9036", "J9056", "J9058", "J9059", "J9185", "J9070")


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting of RULES.md / DESIGN.md with its default."""

    outpatient_bill_types: tuple[str, ...] = ("13",)
    medicare_filing_codes: tuple[str, ...] = ("MA", "MB")
    collapse_charge: CollapseCharge = CollapseCharge.SUM
    supportive_drugs: tuple[str, ...] = SUPPORTIVE_DRUGS
    unrelated_drugs: tuple[str, ...] = UNRELATED_DRUGS
    extra_product_codes: tuple[str, ...] = ()
    split_dose_products: tuple[str, ...] = ("Q2058",)
    split_dose_window_days: int = 21  # CART-007 (g) across claims (revision 2)
    duplicate_product_window_days: int = 30  # CART-024 (revision 2)
    non_car_t_products: tuple[str, ...] = NON_CAR_T_PRODUCTS  # RULES.md §2.4 (revision 2)
    extra_em_codes: tuple[str, ...] = ()
    prefer_x_modifiers: bool = False
    x_modifier: XModifier = XModifier.XU
    bundled_admin_action: BundledAdminAction = BundledAdminAction.FLAG
    lymphodepletion_drugs: tuple[str, ...] = LYMPHODEPLETION_DRUGS
    product_revenue_code: str = "0891"
    inpatient_car_t_pcs: tuple[str, ...] = ()
    product_charge_includes_preinfusion: bool = False
    rules: Mapping[RuleId, RuleMode] = field(default_factory=lambda: MappingProxyType({}))
    codes: Mapping[str, Mapping[str, object]] = field(default_factory=lambda: MappingProxyType({}))
    payers: Mapping[str, Mapping[str, object]] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "defaults"

    def for_payer(self, payer_id: str) -> Config:
        """Return the configuration with the `[payers."ID"]` overrides for `payer_id` applied."""
        raw = self.payers.get(payer_id)
        if not raw:
            return self
        values = dict(raw)
        rules = dict(self.rules)
        payer_rules = values.pop("rules", {})
        assert isinstance(payer_rules, dict)  # checked by _payers when the file was loaded
        rules.update(payer_rules)
        return replace(self, rules=MappingProxyType(rules), **values)  # type: ignore[arg-type]

    def payer_rule_modes(self, payer_id: str) -> Mapping[RuleId, RuleMode]:
        """Return the rule modes `[payers."ID"].rules` sets for one payer (empty when none)."""
        modes = self.payers.get(payer_id, {}).get("rules", {})
        assert isinstance(modes, Mapping)  # checked by _payers when the file was loaded
        return MappingProxyType(dict(modes))

    def code_table(self) -> CodeTable:
        """Return the code tables with this configuration's overrides."""
        return build_table(self.codes, self.extra_product_codes, self.non_car_t_products)

    def __reduce__(self) -> tuple[Callable[[dict[str, object]], Config], tuple[dict[str, object]]]:
        """Pickle for worker processes and Dask: the read-only mapping views travel as dicts."""
        return (_config_from_state, ({f.name: _thaw(getattr(self, f.name)) for f in fields(self)},))


def _thaw(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    return value


def _config_from_state(state: dict[str, object]) -> Config:
    """Rebuild a pickled Config, its mappings read-only again as load_config makes them."""
    payers = state["payers"]
    assert isinstance(payers, dict)
    state["payers"] = MappingProxyType({payer: MappingProxyType(table) for payer, table in payers.items()})
    for name in ("rules", "codes"):
        state[name] = MappingProxyType(state[name])  # type: ignore[arg-type]
    return Config(**state)  # type: ignore[arg-type]


_SCALARS = {f.name for f in fields(Config)} - {"rules", "codes", "payers", "source"}
_HCPCS_LISTS = frozenset(
    {"supportive_drugs", "unrelated_drugs", "lymphodepletion_drugs", "extra_product_codes", "split_dose_products",
     "non_car_t_products", "extra_em_codes"}
)  # fmt: skip
_WINDOWS = frozenset({"split_dose_window_days", "duplicate_product_window_days"})
MAX_WINDOW_DAYS = 366
# X12 005010 SBR09 claim filing indicator codes (837I TR3 loop 2000B)
SBR09_CODES = frozenset(
    {"11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM", "LM", "MA", "MB", "MC",
     "OF", "TV", "VA", "WC", "ZZ"}
)  # fmt: skip
# an empty list would switch these rules off (or a fix on) without a word: say how to do that on purpose
_NOT_EMPTY = MappingProxyType(
    {
        "medicare_filing_codes": "CART-005",
        "outpatient_bill_types": "the outpatient rules",
        "supportive_drugs": "CART-011/CART-012",
        "unrelated_drugs": "CART-012",
        "lymphodepletion_drugs": "CART-014",
    }
)
# ICD-10-PCS: seven characters, digits and letters other than I and O
_PCS = re.compile(r"[0-9A-HJ-NP-Z]{7}")


def _check_value(key: str, value: object, where: str, at: Location) -> object:
    """Return the checked value; a bad one is a ConfigError naming the key, the value and what to write."""
    default = getattr(Config(), key)
    name = f"{where}{key} = {value!r}"
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name}: write a list of strings, e.g. {key} = {list(default[:2])!r}", at)
        _check_list(key, value, name, at)
        return tuple(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: write true or false", at)
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WINDOW_DAYS:
            raise ConfigError(f"{name}: write a whole number of days from 1 to {MAX_WINDOW_DAYS}, e.g. {default}", at)
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{name}: write a string, e.g. {key} = {str(default)!r}", at)
    if isinstance(default, StrEnum):  # a closed set (CART-012 never puts 59 and an X modifier together)
        choices = [member.value for member in type(default)]
        if value not in choices:
            raise ConfigError(f"{name}: use one of {', '.join(choices)}", at)
        return type(default)(value)
    if key == "product_revenue_code" and not (len(value) == 4 and value.isdigit() and value not in ("0000", "0001")):
        raise ConfigError(f'{name}: write a four-digit revenue code, e.g. "0891"', at)
    return value


def _check_list(key: str, value: list[str], name: str, at: Location) -> None:
    """Check the entries of a list setting (RULES.md §3 and §2.4, revision 2)."""
    if not value and key in _NOT_EMPTY:
        default = list(getattr(Config(), key)[:2])
        raise ConfigError(
            f"{name}: an empty list switches {_NOT_EMPTY[key]} off without a word; write e.g. {key} = {default!r} "
            f'(to turn a rule off, write rules."CART-0NN" = "off")',
            at,
        )
    if key == "medicare_filing_codes":
        for entry in value:
            if entry not in SBR09_CODES:
                raise ConfigError(
                    f"{name}: {entry!r} is not a claim filing indicator code (SBR09, two letters or digits); "
                    'Medicare fee-for-service is "MA" (Part A) and "MB" (Part B), e.g. ["MA", "MB"]',
                    at,
                )
    if key == "inpatient_car_t_pcs":
        for entry in value:
            if not _PCS.fullmatch(entry):
                raise ConfigError(
                    f"{name}: {entry!r} is not an ICD-10-PCS code; write seven letters or digits without dots "
                    '(no I or O), e.g. "XW033C3"',
                    at,
                )
    if key == "outpatient_bill_types":
        if "11" in value:
            raise ConfigError(
                f'{name}: 11x is the inpatient bill type (CART-015), never outpatient; remove "11" (e.g. ["13"])',
                at,
            )
        for entry in value:
            if not (len(entry) == 2 and entry.isdigit()):
                hint = f"write {entry[:2]!r}" if len(entry) > 2 and entry[:2].isdigit() else "write two digits"
                raise ConfigError(
                    f'{name}: {entry!r} is not the first two digits of a bill type; {hint} (e.g. "13" for 13x)', at
                )
    if key in _HCPCS_LISTS:
        for entry in value:
            if not (len(entry) == 5 and entry.isalnum() and entry == entry.upper()):
                hint = 'write five characters, e.g. "J1100"'
                raise ConfigError(f"{name}: {entry!r} is not a HCPCS/CPT code; {hint}", at)
    if key == "extra_product_codes":
        noc = sorted(set(value) & NOC_CODES)
        if noc:
            raise ConfigError(
                f"{name}: {', '.join(noc)} is a not-otherwise-classified code, never a CAR-T product by code alone "
                "(every unrelated NOC drug would become one); remove it: a NOC line on revenue code 0891 of a claim "
                "with a CAR-T step line already counts as the product (RULES.md §2.4)",
                at,
            )


def _check_together(config: Config, where: str, at: Location) -> None:
    """Check settings that contradict each other."""
    both = sorted(set(config.extra_product_codes) & set(config.non_car_t_products))
    if both:
        raise ConfigError(
            f"{where}extra_product_codes and non_car_t_products both list {', '.join(both)}: "
            "remove it from one of them (a code is a CAR-T product or not)",
            at,
        )
    products = build_table(config.codes, config.extra_product_codes, non_car_t=()).of_kind(CodeKind.PRODUCT)
    listed = list(config.non_car_t_products)
    both = sorted(products & set(listed))
    if both:
        raise ConfigError(
            f"{where}non_car_t_products = {listed!r}: {', '.join(both)} is a CAR-T product code (RULES.md §2.4); "
            "remove it from non_car_t_products (a code is a CAR-T product or not)",
            at,
        )
    split = list(config.split_dose_products)
    built_in = ", ".join(sorted(build_table(non_car_t=()).of_kind(CodeKind.PRODUCT)))
    not_products = [code for code in split if code not in products]
    if not_products:
        raise ConfigError(
            f"{where}split_dose_products = {split!r}: {', '.join(not_products)} is not a CAR-T product code; "
            f"list only product codes (built in: {built_in}) "
            "or add it to extra_product_codes too",
            at,
        )


def _rule_modes(
    raw: object, where: str, known: Mapping[RuleId, frozenset[RuleMode]], at: Location
) -> dict[RuleId, RuleMode]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}rules must be a table of rule id = mode", at)
    modes: dict[RuleId, RuleMode] = {}
    for name, mode in raw.items():
        if name not in known:
            raise ConfigError(f"{where}rules: unknown rule {name!r}", at)
        rule_id = RuleId(name)
        try:
            parsed = RuleMode(mode)
        except ValueError:
            raise ConfigError(f"{where}rules.{rule_id} = {mode!r}: use fix, flag or off", at) from None
        if parsed not in known[rule_id]:
            allowed = ", ".join(sorted(known[rule_id]))
            raise ConfigError(f"{where}rules.{rule_id} = {mode!r}: this rule allows {allowed}", at)
        modes[rule_id] = parsed
    return modes


def from_mapping(
    raw: Mapping[str, object], known_rules: Mapping[RuleId, frozenset[RuleMode]], source: str = "-"
) -> Config:
    """Validate a parsed TOML table into a Config; errors name `source`."""
    at = Location(source)
    values: dict[str, object] = {"source": source}
    for key, value in raw.items():
        if key == "rules":
            values["rules"] = MappingProxyType(_rule_modes(value, "", known_rules, at))
        elif key == "codes":
            values["codes"] = MappingProxyType(_codes(value, at))
        elif key == "payers":
            values["payers"] = MappingProxyType(_payers(value, known_rules, at))
        elif key in _SCALARS:
            values[key] = _check_value(key, value, "", at)
        else:
            raise ConfigError(f"unknown configuration key {key!r}", at)
    config = Config(**values)  # type: ignore[arg-type]
    _check_together(config, "", at)
    for payer in config.payers:
        _check_together(config.for_payer(payer), f"payers.{payer}: ", at)
    return config


def _codes(raw: object, at: Location) -> dict[str, Mapping[str, object]]:
    if not isinstance(raw, dict):
        raise ConfigError("codes must be a table of code tables", at)
    try:
        table = build_table(raw, non_car_t=())
    except ValueError as error:
        raise ConfigError(f"codes: {error}", at) from None
    for code in raw:
        _check_code(code, table, at)
    noc = sorted(code for code in raw if code in NOC_CODES and table.kind(code) is CodeKind.PRODUCT)
    if noc:
        raise ConfigError(
            f'codes.{noc[0]}: kind = "product" on a not-otherwise-classified code would make every unrelated NOC '
            "drug a CAR-T product; remove it (RULES.md §2.4)",
            at,
        )
    return dict(raw)


def _check_code(code: str, table: CodeTable, at: Location) -> None:
    """Refuse a code entry the rules would read wrongly in silence (issue 11)."""
    info = table.get(code)
    assert info is not None  # build_table added every configured code
    if not (len(code) == 5 and code.isalnum() and code == code.upper()):
        hint = 'write five upper-case characters, e.g. [codes."Q2058"]'
        raise ConfigError(f"codes.{code}: not a HCPCS/CPT code; {hint}", at)
    if info.valid_from and info.valid_to and info.valid_from > info.valid_to:
        raise ConfigError(
            f"codes.{code}: valid_from = {info.valid_from} is after valid_to = {info.valid_to}, so the code is never "
            "valid; write valid_from on or before valid_to",
            at,
        )
    if info.revenue_code is not None and not (len(info.revenue_code) == 4 and info.revenue_code.isdigit()):
        raise ConfigError(
            f'codes.{code}: revenue_code = {info.revenue_code!r}: write a four-digit revenue code, e.g. "0891"', at
        )
    if info.crosswalk is not None and table.get(info.crosswalk) is None:
        raise ConfigError(
            f'codes.{code}: crosswalk = {info.crosswalk!r} is not a known code; add [codes."{info.crosswalk}"] '
            'with its kind, or write a code of the tables (e.g. "38228")',
            at,
        )
    if info.kind is CodeKind.STEP and info.step is None:
        steps = ", ".join(step.value for step in Step)
        raise ConfigError(f'codes.{code}: kind = "step" needs step = one of {steps}', at)


def _payers(raw: object, known: Mapping[RuleId, frozenset[RuleMode]], at: Location) -> dict[str, Mapping[str, object]]:
    if not isinstance(raw, dict):
        raise ConfigError("payers must be a table of payer-id tables", at)
    out: dict[str, Mapping[str, object]] = {}
    for payer, table in raw.items():
        where = f"payers.{payer}."
        if not isinstance(table, dict):
            raise ConfigError(f"{where[:-1]} must be a table", at)
        checked: dict[str, object] = {}
        for key, value in table.items():
            if key == "rules":
                checked["rules"] = _rule_modes(value, where, known, at)
            elif key in _SCALARS:
                checked[key] = _check_value(key, value, where, at)
            else:
                raise ConfigError(f"unknown configuration key {where}{key}", at)
        out[str(payer)] = MappingProxyType(checked)
    return out
