"""CART-004: steps 2 and 3 are not collapsed (0538T, 0539T, 38226, 38227)."""

from __future__ import annotations

from decimal import Decimal

from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeKind, Step
from cart837.config import RuleMode
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

PREP_STEPS = frozenset({Step.OUTBOUND_PREP, Step.INBOUND_PREP})
ONE = Decimal(1)


@rule(
    id="CART-004",
    needs=(CodeKind.STEP,),
    title="Steps 2 and 3 are not collapsed",
    citation="[CPT-2025-CART]",
    default=RuleMode.FLAG,
    can_fix=False,
    severity=Severity.INFO,
    next_step=("nothing to change; confirm the units (FL 46, SV205) match the steps actually performed"),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag (information only) a preparation line with units > 1 or billed twice in the episode.

    Bad:  SV2*0872*HC:38226*500*UN*2, or 38226 on LX 2 and on another claim of the patient, same DOS.
    Good: nothing changes either way (no per-day limit is stated); the finding asks for a review.
    """
    lines = [line for line in ctx.claim.lines if ctx.step(line) in PREP_STEPS]
    proposals: list[Proposal] = []
    for line in lines:
        notes = _notes(ctx, line, lines)
        if notes:
            message = (
                f"information: LX {line.number} {line.code} {'; '.join(notes)}. The sources set no per-day limit for "
                "preparation steps, so nothing is collapsed; review whether this is a duplicate"
            )
            proposals.append(Proposal(Action.FLAG, line.number, message, (), line.date))
    return proposals


def _notes(ctx: RuleContext, line: ServiceLine, lines: list[ServiceLine]) -> list[str]:
    notes: list[str] = []
    if line.units is not None and line.units > ONE:
        notes.append(f"billed with {line.units} units")
    if line.date is None:  # CART-022's line: no episode to compare with
        return notes
    step = ctx.step(line)
    same_claim = [o for o in lines if o is not line and o.date == line.date and ctx.step(o) is step]
    if same_claim:
        numbers = ", ".join(str(o.number) for o in same_claim)
        notes.append(f"billed again on LX {numbers} of this claim on {line.date.isoformat()}")
    others = sorted({o.claim_id for o in ctx.episode.other_claims_on(line.date) if o.step is step})
    if others:
        notes.append(f"also billed on claim(s) {', '.join(others)} of the patient on {line.date.isoformat()}")
    return notes
