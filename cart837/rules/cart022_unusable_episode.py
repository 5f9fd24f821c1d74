"""CART-022 (gate): CAR-T lines without a usable date, or a patient key that cannot be built."""

from __future__ import annotations

from cart837.claims.model import ServiceLine
from cart837.config import RuleMode
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule


@rule(
    id="CART-022",
    title="Lines the episode cannot be built from",
    citation="[DESIGN.md] (837I claim model: line date, patient key)",
    default=RuleMode.FLAG,
    can_fix=False,
    can_turn_off=False,
    gate=True,
    severity=Severity.ERROR,
    next_step=(
        "give each CAR-T line one date of service (FL 45, DTP*472) and the patient a complete name, member id"
        " and birth date, then run cart837 again; do not send as is"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag CAR-T lines without one date of service and claims without a patient key; no fix then.

    Bad:  SV2*0874*HC:38228*4000*UN*1 with DTP*472*RD8*20250501-20250503, or with no DTP*472 on a
          claim whose DTP*434 spans several days; a subscriber without member id or last name.
    Good: DTP*472*D8*20250501 (or RD8 with from = to) on every CAR-T line, and a full 2010BA.
          Dates and patients are never guessed.
    """
    cart_lines = ctx.facts.cart_lines
    if not cart_lines:
        return []
    proposals = [_undated(line) for line in cart_lines if line.date is None]
    proposals.extend(_outside_statement(ctx, line) for line in cart_lines if _outside(ctx, line))
    if ctx.claim.patient.key is None:
        message = (
            "the patient key cannot be built (subscriber member id or patient last name missing): "
            "no episode, no CAR-T fix on this claim"
        )
        proposals.append(Proposal(Action.FLAG, None, message))
    return proposals


def _undated(line: ServiceLine) -> Proposal:
    message = (
        f"CAR-T line LX {line.number} {line.code or line.revenue_code} has no usable date of service "
        f"({line.date_problem}): no CAR-T fix on this claim until it is corrected"
    )
    return Proposal(Action.FLAG, line.number, message)


def _outside(ctx: RuleContext, line: ServiceLine) -> bool:
    """Return whether a dated line falls outside the claim's statement period (DTP*434)."""
    start, end = ctx.claim.statement_from, ctx.claim.statement_to
    if line.date is None or start is None or end is None:
        return False
    return not start <= line.date <= end


def _outside_statement(ctx: RuleContext, line: ServiceLine) -> Proposal:
    """Past RULES.md (docs/BEHAVIOUR.md): payers reject a line dated outside the statement period."""
    start, end = ctx.claim.statement_from, ctx.claim.statement_to
    assert line.date is not None and start is not None and end is not None
    message = (
        f"CAR-T line LX {line.number} {line.code or line.revenue_code} is dated {line.date.isoformat()}, outside "
        f"the statement period {start.isoformat()} to {end.isoformat()} (DTP*434): payers reject such a line, and "
        "which date is wrong cannot be told from the claim; no CAR-T fix on this claim until it is corrected"
    )
    return Proposal(Action.FLAG, line.number, message, date=line.date)
