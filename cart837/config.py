"""Configuration: `cart837.toml` or `[tool.cart837]`, validated into a frozen Config.

Unknown keys and bad values are errors that name them (DESIGN.md, Configuration).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from cart837.codes.tables import CodeTable, build_table
from cart837.errors import ConfigError, Location


class RuleMode(StrEnum):
    """A rule's setting."""

    FIX = "fix"
    FLAG = "flag"
    OFF = "off"


# RULES.md §2.10: starting lists (configuration, not fact)
SUPPORTIVE_DRUGS = ("J1100", "J2930", "J1720", "J1200", "J2405", "J0131")
UNRELATED_DRUGS = (
    "J0696", "J3370", "J2543", "J2185", "J1956", "J0690", "J0692", "J0713", "J1335", "J0878", "J2020",
    "J1580", "J0290", "J2270", "J1170", "J3010", "J2175",
)
LYMPHODEPLETION_DRUGS = ("J9033", "J9034", "J9036", "J9056", "J9058", "J9059", "J9185", "J9070")


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting of RULES.md / DESIGN.md with its default."""

    outpatient_bill_types: tuple[str, ...] = ("13",)
    medicare_filing_codes: tuple[str, ...] = ("MA", "MB")
    collapse_charge: str = "sum"
    supportive_drugs: tuple[str, ...] = SUPPORTIVE_DRUGS
    unrelated_drugs: tuple[str, ...] = UNRELATED_DRUGS
    extra_product_codes: tuple[str, ...] = ()
    split_dose_products: tuple[str, ...] = ("Q2058",)
    extra_em_codes: tuple[str, ...] = ()
    prefer_x_modifiers: bool = False
    x_modifier: str = "XU"
    bundled_admin_action: str = "flag"
    lymphodepletion_drugs: tuple[str, ...] = LYMPHODEPLETION_DRUGS
    product_revenue_code: str = "0891"
    inpatient_car_t_pcs: tuple[str, ...] = ()
    product_charge_includes_preinfusion: bool = False
    rules: Mapping[str, RuleMode] = field(default_factory=lambda: MappingProxyType({}))
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

    def code_table(self) -> CodeTable:
        """Return the code tables with this configuration's overrides."""
        return build_table(self.codes, self.extra_product_codes)

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


_CHOICES = {
    "collapse_charge": ("sum", "keep-first"),
    "bundled_admin_action": ("flag", "noncovered"),
    "x_modifier": ("XE", "XS", "XP", "XU"),  # [MOD-X]; CART-012 never puts 59 and an X modifier together
}
_SCALARS = {f.name for f in fields(Config)} - {"rules", "codes", "payers", "source"}


def _check_value(key: str, value: object, where: str, at: Location) -> object:
    default = getattr(Config(), key)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}{key} must be a list of strings, not {value!r}", at)
        return tuple(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}{key} must be true or false, not {value!r}", at)
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}{key} must be a string, not {value!r}", at)
    if key in _CHOICES and value not in _CHOICES[key]:
        raise ConfigError(f"{where}{key} = {value!r}: use one of {', '.join(_CHOICES[key])}", at)
    return value


def _rule_modes(
    raw: object, where: str, known: Mapping[str, frozenset[RuleMode]], at: Location
) -> dict[str, RuleMode]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}rules must be a table of rule id = mode", at)
    modes: dict[str, RuleMode] = {}
    for rule_id, mode in raw.items():
        if rule_id not in known:
            raise ConfigError(f"{where}rules: unknown rule {rule_id!r}", at)
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
    raw: Mapping[str, object], known_rules: Mapping[str, frozenset[RuleMode]], source: str = "-"
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
    return Config(**values)  # type: ignore[arg-type]


def _codes(raw: object, at: Location) -> dict[str, Mapping[str, object]]:
    if not isinstance(raw, dict):
        raise ConfigError("codes must be a table of code tables", at)
    try:
        build_table(raw)
    except ValueError as error:
        raise ConfigError(f"codes: {error}", at) from None
    return dict(raw)


def _payers(
    raw: object, known: Mapping[str, frozenset[RuleMode]], at: Location
) -> dict[str, Mapping[str, object]]:
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


def find_config(start: Path) -> tuple[Path, bool] | None:
    """Find `cart837.toml` in `start` or its parents, else the nearest pyproject.toml with [tool.cart837]."""
    for folder in (start, *start.parents):
        if (folder / "cart837.toml").is_file():
            return folder / "cart837.toml", False
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _holds_our_table(pyproject):
            return pyproject, True
    return None


def _holds_our_table(pyproject: Path) -> bool:
    """Return whether a pyproject.toml has [tool.cart837]; a broken one that names it is an error."""
    raw = _read(pyproject)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        if _NAMES_OUR_TABLE.search(raw):
            raise ConfigError(f"not valid TOML: {error}", Location(str(pyproject))) from None
        return False  # someone else's broken file: it cannot configure cart837
    return "cart837" in data.get("tool", {})


# `[tool.cart837]`, `[tool.cart837.rules]` or a `tool.cart837.…` key, at the start of a line
_NAMES_OUR_TABLE = re.compile(rb"^[ \t]*\[?[ \t]*tool[ \t]*\.[ \t]*[\"']?cart837\b", re.MULTILINE)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("configuration file not found", Location(str(path))) from None
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror or error}", Location(str(path))) from None


def load_config(path: Path | None, known_rules: Mapping[str, frozenset[RuleMode]], cwd: Path | None = None) -> Config:
    """Load `--config FILE`, else the discovered file, else the defaults."""
    pyproject = False
    if path is None:
        found = find_config(cwd or Path.cwd())
        if found is None:
            return Config()
        path, pyproject = found
    try:
        data = tomllib.loads(_read(path).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"not valid TOML: {error}", Location(str(path))) from None
    if pyproject or path.name == "pyproject.toml":
        data = data.get("tool", {}).get("cart837", {})
    return from_mapping(data, known_rules, str(path))
