"""CART-003: administration is reported once per patient per day (0540T / 38228)."""

from __future__ import annotations

from cart837.codes.tables import CodeKind, Step
from cart837.config import RuleMode
from cart837.rules._collapse import collapse_daily
from cart837.rules.base import Proposal, RuleContext, Severity, rule


@rule(
    id="CART-003",
    needs=(CodeKind.STEP,),
    title="Administration is reported once per patient per day",
    citation="[REF-CODING]; [CPT-2025-CART]",
    default=RuleMode.FIX,
    config_keys=("collapse_charge",),
    severity=Severity.REVIEW,
    next_step=(
        "decide which claim keeps the administration line (FL 44, SV202) for that day and take it off the "
        "other (a replacement claim if it was sent); check the kept line's revenue code (FL 42) and modifiers"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Collapse same-day 0540T/38228 lines into one line of 1 unit; never across dates.

    Bad:  SV2*0874*HC:38228*4000*UN*2 on 2025-05-01 (two bags billed as two units).
    Good: SV2*0874*HC:38228*4000*UN*1; a split-dose product's day-10 line stays its own line.
    """
    return collapse_daily(ctx, Step.ADMINISTRATION, "administration")
