"""Small look-ups that several rules share: outpatient scope, product and administration lines."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from cart837.claims.model import ServiceLine
from cart837.codes.tables import Step
from cart837.rules.base import RuleContext


def outpatient_only(ctx: RuleContext) -> bool:
    """Return whether an outpatient-only rule applies: bill type configured outpatient and not 11x (CART-015)."""
    return ctx.outpatient and not ctx.inpatient


def administrations(ctx: RuleContext) -> list[ServiceLine]:
    """Return the claim's 0540T/38228 lines."""
    return ctx.lines_of_step(Step.ADMINISTRATION)


def products(ctx: RuleContext) -> list[ServiceLine]:
    """Return the claim's CAR-T product lines (RULES.md §2.4 and `extra_product_codes`)."""
    return [line for line in ctx.claim.lines if ctx.is_product(line)]


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
