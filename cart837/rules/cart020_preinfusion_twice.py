"""CART-020: pre-infusion charges are not counted twice (product charge vs 0871-0873)."""

from __future__ import annotations

from cart837.codes.tables import CodeKind
from cart837.config import RuleMode
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

PREINFUSION_REVENUE_CODES = frozenset({"0871", "0872", "0873"})


@rule(
    id="CART-020",
    needs=(CodeKind.PRODUCT,),
    title="Do not count pre-infusion charges twice",
    citation="[SE19009]; [CHA-2019]",
    default=RuleMode.FLAG,
    config_keys=("product_charge_includes_preinfusion",),
    severity=Severity.REVIEW,
    next_step=(
        "check the payer contract: if the product charge already includes collection and processing, make "
        "those lines non-covered (FL 48, SV207) or remove their charges"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag 0871-0873 charges on a product claim when the payer's product charge includes them.

    Bad:  product_charge_includes_preinfusion = true, SV2*0891*HC:Q2041*900000*UN*1 and
          SV2*0871*HC:38225*3000*UN*1 on the same claim.
    Good: the collection and preparation charges in one place only: the product charge, or
          0871-0873 lines. Amounts alone cannot prove it, so this only flags.
    """
    if not ctx.config.product_charge_includes_preinfusion:
        return []
    if not ctx.facts.product_lines:
        return []
    return [
        Proposal(
            Action.FLAG,
            line.number,
            f"revenue code {line.revenue_code} line charge {line.charge} while the payer's product charge "
            "includes collection and preparation (product_charge_includes_preinfusion): never both",
            (),
            line.date,
        )
        for line in ctx.claim.lines
        if line.revenue_code in PREINFUSION_REVENUE_CODES and line.charge > 0
    ]
