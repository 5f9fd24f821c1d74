"""CART-024: one therapeutic dose per infusion (RULES.md revision 2)."""

from __future__ import annotations

from datetime import date

from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeKind
from cart837.config import RuleMode
from cart837.rules._lines import describe
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule


@rule(
    id="CART-024",
    needs=(CodeKind.PRODUCT,),
    title="One therapeutic dose per infusion",
    citation="[NAHRI-2019]",
    default=RuleMode.FLAG,
    can_fix=False,
    config_keys=("duplicate_product_window_days", "extra_product_codes", "non_car_t_products"),
    severity=Severity.ERROR,
    next_step=(
        "check the pharmacy and infusion records: keep one product line per infusion (FL 42/44) and remove or void "
        "the duplicate dose in the billing system before sending"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag each product line when the patient has another product line within the window (30 days).

    Bad:  LX 2 SV2*0891*HC:Q2041*896000*UN*1 and LX 3 SV2*0891*HC:Q2041*896000*UN*1 on 2025-05-01, or a
          second Q2041 line on another claim of the patient dated 2025-05-10 (two doses, ~$0.9M each).
    Good: one product line per infusion; a split-dose Q2058 is one product line over its two infusion
          days. Nothing is removed, merged or changed: the flag names the other lines for review.
    """
    window = ctx.config.duplicate_product_window_days
    own = [line for line in ctx.facts.product_lines if line.date is not None]
    if not own:
        return []
    others = [line for line in ctx.episode.other_claims() if line.product and line.day is not None]
    proposals: list[Proposal] = []
    for line in own:
        assert line.date is not None
        near = [
            f"LX {o.number} ({o.code}, {o.date.isoformat()}) of this claim"
            for o in own
            if o is not line and o.date is not None and _within(o.date, line.date, window)
        ]
        near += [
            f"claim {o.claim_id} LX {o.line} ({o.code}, {o.day.isoformat()})"
            for o in others
            if o.day is not None and _within(o.day, line.date, window)
        ]
        if near:
            proposals.append(_flag(line, near, window))
    return proposals


def _within(one: date, other: date, days: int) -> bool:
    return abs((one - other).days) <= days


def _flag(line: ServiceLine, near: list[str], window: int) -> Proposal:
    message = (
        f"{len(near) + 1} CAR-T product lines within {window} days: {describe(line)}, charge {line.charge}, and "
        f"{'; '.join(near)}. Each product code is one therapeutic dose; a second dose is almost always a duplicate "
        "charge. Review which line is right; nothing is removed, merged or changed"
    )
    return Proposal(Action.FLAG, line.number, message, (), line.date)
