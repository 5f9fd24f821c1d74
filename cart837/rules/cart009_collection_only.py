"""CART-009: a collection-only claim is normal; an optional information flag says so."""

from __future__ import annotations

from cart837.codes.tables import CodeKind, Step
from cart837.config import RuleMode
from cart837.rules._lines import dates_of, products
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

COLLECTION_STEPS = frozenset({Step.COLLECTION, Step.OUTBOUND_PREP})


@rule(
    id="CART-009",
    needs=(CodeKind.STEP,),
    title="Collection without administration is normal",
    citation="[REF-CY2025]; [SE19009]; [CHA-2019]",
    default=RuleMode.OFF,
    can_fix=False,
    severity=Severity.INFO,
    next_step=("nothing: collection without an administration is normal (the infusion may come later or not at all)"),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Note (mode flag only) a claim whose CAR-T lines are collection/outbound preparation only.

    Bad:  nothing is wrong: 38225 + 38226, no product, no 38228 (another hospital infuses, or no infusion).
    Good: the claim is left as it is; in flag mode one claim-level information finding says so.
    """
    steps = [line for line in ctx.claim.lines if ctx.step(line) is not None]
    if not steps or any(ctx.step(line) not in COLLECTION_STEPS for line in steps) or products(ctx):
        return []
    days = dates_of(steps)
    message = (
        "information: collection-only claim (no product, no administration): a later infusion cannot be checked "
        "from this claim. This is normal when another hospital infuses or the patient is never infused"
    )
    return [Proposal(Action.FLAG, None, message, (), days[0] if days else None)]
