"""CART-006: the revenue code follows the CAR-T step (outpatient)."""

from __future__ import annotations

from cart837.claims.edits import set_revenue_code
from cart837.claims.model import ServiceLine
from cart837.codes.tables import REVENUE_CODES_FROM, CodeKind, Confirmation
from cart837.config import RuleMode
from cart837.rules._lines import outpatient_only
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

_WORDS = {
    Confirmation.CONFIRMED: "confirmed",
    Confirmation.PARTLY: "partly confirmed",
    Confirmation.UNCONFIRMED: "unconfirmed",
}


@rule(
    id="CART-006",
    needs=(CodeKind.STEP, CodeKind.PRODUCT),
    title="Revenue code follows the step (outpatient)",
    citation="[SE19009]; [CHA-2019]; [CGS-2021]; [RCA-2019]; [NUBC-REV]; [VISANTE-REV]; [REF-CODING]",
    default=RuleMode.FIX,
    config_keys=("outpatient_bill_types", "product_revenue_code", "extra_product_codes", "codes"),
    severity=Severity.REVIEW,
    next_step=("put the revenue code named above on the line (FL 42, SV201)"),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Set SV201 to 0871-0874 by step, and the product line to `product_revenue_code` (0891).

    Bad:  SV2*0360*HC:38228*4000*UN*1 on a 131 claim, DOS 2025-05-01.
    Good: SV2*0874*HC:38228*4000*UN*1 (only SV201 changes).
    """
    if not outpatient_only(ctx):
        return []
    proposals: list[Proposal] = []
    for line in ctx.claim.lines:
        # NUBC 087X/089X apply from 2019-04-01; without a DOS (CART-022) nothing is decided.
        if line.date is None or line.date < REVENUE_CODES_FROM:
            continue
        wanted, why = _wanted(ctx, line)
        if wanted and wanted != line.revenue_code:
            message = (
                f"LX {line.number} {line.code} ({why}) belongs on revenue code {wanted}, "
                f"not {line.revenue_code or 'none'}"
            )
            proposals.append(
                Proposal(Action.REVENUE_CODE, line.number, message, (set_revenue_code(line.number, wanted),), line.date)
            )
    return proposals


def _wanted(ctx: RuleContext, line: ServiceLine) -> tuple[str | None, str]:
    """Return the revenue code the line should carry and why, or (None, "") when the rule is silent."""
    if ctx.is_product(line):
        return ctx.config.product_revenue_code, "CAR-T product; product_revenue_code"
    info = ctx.codes.get(line.code)
    if info is None or info.step is None or not info.revenue_code:
        return None, ""
    confirmation = info.revenue_confirmation
    tag = f"; pairing {_WORDS[confirmation]} ({confirmation.value}), inferred by crosswalk" if confirmation else ""
    return info.revenue_code, f"CAR-T {info.step.value.replace('_', ' ')} step{tag}"
