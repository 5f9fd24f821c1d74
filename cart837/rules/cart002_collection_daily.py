"""CART-002: collection is reported once per patient per day (0537T / 38225)."""

from __future__ import annotations

from cart837.codes.tables import CodeKind, Step
from cart837.config import RuleMode
from cart837.rules._collapse import collapse_daily
from cart837.rules.base import Proposal, RuleContext, Severity, rule


@rule(
    id="CART-002",
    needs=(CodeKind.STEP,),
    title="Collection is reported once per patient per day",
    citation="[REF-CODING]; [CPT-2025-CART]",
    default=RuleMode.FIX,
    config_keys=("collapse_charge",),
    severity=Severity.REVIEW,
    next_step=(
        "decide which claim keeps the collection line (FL 44, SV202) for that day and take it off the other "
        "(a replacement claim if it was sent); check the kept line's revenue code (FL 42) and modifiers"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Collapse same-day 0537T/38225 lines into one line of 1 unit, charges summed.

    Bad:  LX 1 and LX 2 both SV2*0871*HC:38225 on 2025-03-04, 1 unit each.
    Good: one line, 1 unit, SV203 = sum of both, LX renumbered.
    """
    return collapse_daily(ctx, Step.COLLECTION, "collection")
