"""CART-008: a product without an administration on the claim is suspect."""

from __future__ import annotations

from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeKind, Step
from cart837.config import RuleMode
from cart837.rules._lines import administrations, describe, outpatient_only, products
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule


@rule(
    id="CART-008",
    needs=(CodeKind.STEP, CodeKind.PRODUCT),
    title="Product without administration",
    citation="[REF-CODING]",
    default=RuleMode.FLAG,
    can_fix=False,
    config_keys=("outpatient_bill_types", "extra_product_codes"),
    severity=Severity.REVIEW,
    next_step=(
        "find the administration (0540T/38228, FL 44) for this product; bill it on this claim, or note why "
        "the product is billed without it"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag each product line of an outpatient claim that has no 0540T/38228 line.

    Bad:  SV2*0891*HC:Q2041*896000*UN*1 on a 131 claim with no administration line.
    Good: the same claim with SV2*0874*HC:38228*4000*UN*1 on the product's DOS (the flag only asks for a review).
    """
    if not outpatient_only(ctx) or administrations(ctx):
        return []
    return [_orphan(ctx, product) for product in products(ctx)]


def _orphan(ctx: RuleContext, product: ServiceLine) -> Proposal:
    message = (
        f"orphan product: {describe(product)}, charge {product.charge}, is billed without a CAR-T administration "
        "(0540T/38228) on this claim; "
        "the product and its administration are billed together. Not removed, not marked non-covered"
    )
    if product.date is not None:
        others = sorted(
            {o.claim_id for o in ctx.episode.other_claims_on(product.date) if o.step is Step.ADMINISTRATION}
        )
        if others:
            day = product.date.isoformat()
            message += f"; the patient's administration on {day} is on claim(s) {', '.join(others)}"
    return Proposal(Action.FLAG, product.number, message, (), product.date)
