"""Small look-ups that several rules share: outpatient scope, product and administration lines."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from cart837.claims.model import ServiceLine
from cart837.codes.tables import NOC_CODES, Step
from cart837.rules.base import RuleContext


def outpatient_only(ctx: RuleContext) -> bool:
    """Return whether an outpatient-only rule applies: bill type configured outpatient and not 11x (CART-015)."""
    return ctx.outpatient and not ctx.inpatient


def administrations(ctx: RuleContext) -> list[ServiceLine]:
    """Return the claim's 0540T/38228 lines."""
    return ctx.lines_of_step(Step.ADMINISTRATION)


def products(ctx: RuleContext) -> list[ServiceLine]:
    """Return the claim's CAR-T product lines for pairing (RULES.md §2.4 and `extra_product_codes`).

    A NOC line (C9399, J3490, J3590, J9999) on revenue code 0891 counts as the product when the
    claim has a CAR-T step line (revision 2); it is never re-coded.
    """
    has_step = ctx.facts.has_step
    return [line for line in ctx.claim.lines if ctx.is_product(line) or (has_step and is_noc_product(line))]


def is_noc_product(line: ServiceLine) -> bool:
    """Return whether a line is a not-otherwise-classified drug on the CAR-T product revenue code 0891."""
    return line.code in NOC_CODES and line.revenue_code == NOC_PRODUCT_REVENUE_CODE


NOC_PRODUCT_REVENUE_CODE = "0891"  # RULES.md §2.4: "FDA approved cell therapy"


def dates_of(lines: Iterable[ServiceLine]) -> list[date]:
    """Return the distinct dates of service of `lines`, oldest first (lines without a DOS left out)."""
    return sorted({line.date for line in lines if line.date is not None})


def lx_list(lines: Iterable[ServiceLine]) -> str:
    """Return "LX 2, LX 5" for messages."""
    return ", ".join(f"LX {line.number}" for line in lines)


def describe(line: ServiceLine) -> str:
    """Return "LX 3 (Q2041, 2025-05-01)" for messages."""
    day = line.date.isoformat() if line.date else "no date of service"
    return f"LX {line.number} ({line.code}, {day})"


def has_unit_fields(line: ServiceLine) -> bool:
    """Return whether SV204 and SV205 are both there (the TR3 requires both; SV205 alone is a syntax error)."""
    return bool(line.unit_basis) and line.units is not None
