"""CART-019: value code 86 (invoice cost) on a claim with a CAR-T product line."""

from __future__ import annotations

from cart837.codes.tables import PRODUCT_REVENUE_CODES
from cart837.config import RuleMode
from cart837.rules._markers import VC_INVOICE
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule


@rule(
    id="CART-019",
    title="Value code 86 (invoice cost)",
    citation="[NUBC-REV]",
    default=RuleMode.OFF,
    can_fix=False,
    severity=Severity.INFO,
    next_step=("add value code 86 (FL 39-41, HI*BE) with the invoice cost if the payer asks for it"),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Note a product claim without value code 86 (information; off by default, Medicare need U).

    Bad:  a claim with SV2*0891*HC:Q2041*900000*UN*1 and no HI*BE:86 (in mode "flag").
    Good: HI*BE:86:::450000 on the claim. The tool never computes or adds the amount.
    """
    if not (ctx.outpatient or ctx.inpatient):
        return []
    if not any(ctx.is_product(line) or line.revenue_code in PRODUCT_REVENUE_CODES for line in ctx.claim.lines):
        return []
    if any(code == VC_INVOICE for code, _ in ctx.claim.value_codes):
        return []
    message = "claim with a CAR-T product line has no value code 86 (invoice cost); information, nothing added"
    return [Proposal(Action.FLAG, None, message)]
