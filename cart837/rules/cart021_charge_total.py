"""CART-021 (gate): the input CLM02 must equal the sum of SV203, or the claim is left unchanged."""

from __future__ import annotations

from cart837.config import RuleMode
from cart837.rules._same_day import has_cart_line
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule


@rule(
    id="CART-021",
    title="Charge preservation and audit",
    citation="[DESIGN.md] (charge invariant; claim unchanged when CLM02 is off)",
    default=RuleMode.FLAG,
    can_fix=False,
    can_turn_off=False,
    gate=True,
    severity=Severity.ERROR,
    next_step=(
        "correct the total charge (FL 47 line 23, CLM02) or the line charges (FL 47, SV203) so they add up, "
        "then run cart837 again; do not send as is"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag a CAR-T claim whose CLM02 differs from the sum of its SV203; it then gets no fix.

    Bad:  CLM*C1*5000 with lines SV2*0874*HC:38228*4000 and SV2*0891*HC:Q2041*900000.
    Good: CLM*C1*904000 (= 4000 + 900000); every fix then keeps CLM02 = sum of SV203.
    """
    claim = ctx.claim
    if claim.total == claim.line_charges() or not has_cart_line(ctx):
        return []
    message = (
        f"CLM02 {claim.total} is not the sum of the line charges ({claim.line_charges()}): the claim is left "
        "unchanged; no CAR-T fix until the total is corrected"
    )
    return [Proposal(Action.FLAG, None, message, segment=claim.clm.text())]
