"""Load the code tables of RULES.md §2 and answer date-effective questions about codes."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

REVENUE_CODES_FROM = date(2019, 4, 1)  # NUBC 087X/089X ([NUBC-REV])
CART_REVENUE_CODES = frozenset({"0871", "0872", "0873", "0874", "0891", "0892"})
PRODUCT_REVENUE_CODES = frozenset({"0891", "0892"})
# RULES.md §2.4 (revision 2): not-otherwise-classified drug codes are never CAR-T products by code alone
NOC_CODES = frozenset({"C9399", "J3490", "J3590", "J9999"})
# RULES.md §2.4 (revision 2): other cell and gene therapies billed on 0891/0892, never CAR-T
NON_CAR_T_PRODUCTS = ("J3391", "J3392", "J3393", "J3394", "Q2057")


class CodeKind(StrEnum):
    """What a code is, for the rules."""

    STEP = "step"
    PRODUCT = "product"
    EM = "em"
    HYDRATION = "hydration"
    DRUG_ADMIN = "drug_admin"
    CHEMO_ADMIN = "chemo_admin"
    OTHER_THERAPY = "other_therapy"  # `non_car_t_products`: never CAR-T-relevant (revision 2)


class Step(StrEnum):
    """The four CAR-T steps of RULES.md §2.1."""

    COLLECTION = "collection"
    OUTBOUND_PREP = "outbound_prep"
    INBOUND_PREP = "inbound_prep"
    ADMINISTRATION = "administration"


class Confirmation(StrEnum):
    """How well RULES.md's sources back a value."""

    CONFIRMED = "C"
    PARTLY = "P"
    UNCONFIRMED = "U"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One code with its validity window and what the rules need to know of it."""

    code: str
    kind: CodeKind
    confirmation: Confirmation = Confirmation.UNCONFIRMED
    step: Step | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    crosswalk: str | None = None
    revenue_code: str | None = None
    revenue_confirmation: Confirmation | None = None
    fda_listing: date | None = None
    source: str = ""
    descriptor: str = ""

    def valid_on(self, day: date) -> bool:
        """Return whether the code may be billed for a service on `day`."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)


CODE_KEYS = frozenset(f.name for f in fields(CodeInfo)) - {"code"}


@dataclass(frozen=True, slots=True)
class CodeTable:
    """All known codes; look-ups by code and by kind."""

    codes: Mapping[str, CodeInfo]

    def get(self, code: str) -> CodeInfo | None:
        """Return the entry for `code`, or None."""
        return self.codes.get(code)

    def kind(self, code: str) -> CodeKind | None:
        """Return the kind of `code`, or None when unknown."""
        info = self.codes.get(code)
        return info.kind if info else None

    def step(self, code: str) -> Step | None:
        """Return the CAR-T step of `code`, or None."""
        info = self.codes.get(code)
        return info.step if info else None

    def of_kind(self, kind: CodeKind) -> frozenset[str]:
        """Return every code of `kind`."""
        return frozenset(c for c, info in self.codes.items() if info.kind is kind)

    def valid_on(self, code: str, day: date) -> bool | None:
        """Return whether `code` may be billed on `day`; None when the code is unknown."""
        info = self.codes.get(code)
        return info.valid_on(day) if info else None

    def code_for(self, code: str, day: date) -> str | None:
        """Return the code to bill on `day`: `code` itself, else its crosswalk (RULES.md §2.1), else None."""
        info = self.codes.get(code)
        if info is None:
            return None
        if info.valid_on(day):
            return code
        target = self.codes.get(info.crosswalk) if info.crosswalk else None
        return target.code if target and target.valid_on(day) else None


def parse_code_entry(code: str, raw: Mapping[str, object], base: CodeInfo | None = None) -> CodeInfo:
    """Build a CodeInfo from a TOML table, on top of `base` when overriding; ValueError on bad data."""
    unknown = set(raw) - CODE_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)} for code {code}")
    values: dict[str, object] = {} if base is None else {f.name: getattr(base, f.name) for f in fields(CodeInfo)}
    values["code"] = code
    for key, value in raw.items():
        values[key] = _convert(key, value, code)
    if "kind" not in values:
        raise ValueError(f"code {code} needs a kind ({', '.join(k.value for k in CodeKind)})")
    return CodeInfo(**values)  # type: ignore[arg-type]


def _convert(key: str, value: object, code: str) -> object:
    converters: dict[str, type] = {
        "kind": CodeKind,
        "step": Step,
        "confirmation": Confirmation,
        "revenue_confirmation": Confirmation,
    }
    if key in converters:
        try:
            return converters[key](value)
        except ValueError:
            raise ValueError(f"code {code}: {key} = {value!r} is not one of the allowed values") from None
    if key in ("valid_from", "valid_to", "fda_listing"):
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError(f"code {code}: {key} = {value!r} is not a date (YYYY-MM-DD)")
    if not isinstance(value, str):
        raise ValueError(f"code {code}: {key} must be text")
    return value


def default_codes() -> dict[str, CodeInfo]:
    """Return the bundled tables of RULES.md §2 (a new dict; the entries are frozen and shared)."""
    return dict(_bundled_codes())


@cache  # read and parsed once per process, not once per file, payer and engine
def _bundled_codes() -> Mapping[str, CodeInfo]:
    raw = _bundled()
    return MappingProxyType({code: parse_code_entry(code, entry) for code, entry in raw["codes"].items()})


@cache
def _bundled() -> dict[str, Any]:
    loaded: dict[str, Any] = tomllib.loads(
        resources.files("cart837.codes").joinpath("data/codes.toml").read_text("utf-8")
    )
    return loaded


def code_table_date() -> str:
    """Return when the bundled code tables were last checked against their sources (YYYY-MM-DD)."""
    return str(_bundled()["tables_date"])


def build_table(
    overrides: Mapping[str, Mapping[str, object]] | None = None,
    extra_products: tuple[str, ...] = (),
    non_car_t: tuple[str, ...] = NON_CAR_T_PRODUCTS,
) -> CodeTable:
    """Return the default tables with configured overrides, extra product and non-CAR-T codes applied."""
    codes = default_codes()
    for code in extra_products:
        codes.setdefault(code, CodeInfo(code, CodeKind.PRODUCT, source="configuration"))
    for code, raw in (overrides or {}).items():
        codes[code] = parse_code_entry(code, raw, codes.get(code))
    for code in non_car_t:  # last: a listed code is never a CAR-T product (RULES.md §2.4)
        codes[code] = CodeInfo(code, CodeKind.OTHER_THERAPY, source="non_car_t_products")
    return CodeTable(MappingProxyType(codes))
