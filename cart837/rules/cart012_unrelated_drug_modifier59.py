"""CART-012: unrelated hydration or drug administration carries modifier 59 (or the payer's X{EPSU})."""

from __future__ import annotations

from cart837.claims.edits import add_modifier
from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeKind
from cart837.config import RuleMode
from cart837.rules._same_day import (
    Where,
    administration_note,
    is_cart012_case,
    outpatient_only,
    same_day_administrations,
    same_day_drugs,
    slots_full,
    with_adverse_event_reason,
)
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule


@rule(
    id="CART-012",
    needs=(CodeKind.DRUG_ADMIN,),
    title="Unrelated hydration or drug administration carries modifier 59",
    citation="[REF-CODING]; [MOD-X]",
    default=RuleMode.FIX,
    config_keys=("unrelated_drugs", "prefer_x_modifiers", "x_modifier"),
    severity=Severity.REVIEW,
    next_step=(
        "check the chart: if the drug was unrelated to the CAR-T infusion, add modifier 59 (FL 44, "
        "SV202-3..6), making room if all four slots are full"
    ),
    fix_severity=Severity.REVIEW,
    fix_next_step=(
        "check the chart documents the drug as unrelated to the CAR-T infusion; if it does not, remove "
        "modifier 59 (FL 44, SV202-3)"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Add 59 (or x_modifier) to same-day drug administration when a same-DOS drug is unrelated.

    Bad:  LX 1 SV2*0874*HC:38228, LX 4 SV2*0260*HC:96365*400*UN*1 and LX 5 SV2*0636*HC:J0696*30*UN*1,
          all on 2025-05-01 (an antibiotic infused the day of the CAR-T administration).
    Good: LX 4 SV2*0260*HC:96365:59*400*UN*1 (HC:96365:XU with prefer_x_modifiers = true); only a
          flag when the administration is on another claim or the modifier slots are full.
    """
    if not outpatient_only(ctx):  # CART-015: 11x claims follow the inpatient rules
        return []
    return [_proposal(ctx, line, where) for line, where in same_day_administrations(ctx) if is_cart012_case(ctx, line)]


def modifier_for(ctx: RuleContext) -> str:
    """Return 59, or the payer's X{EPSU} modifier when it prefers X modifiers ([MOD-X])."""
    return ctx.config.x_modifier if ctx.config.prefer_x_modifiers else "59"


def _proposal(ctx: RuleContext, line: ServiceLine, where: Where) -> Proposal:
    assert line.date is not None
    modifier = modifier_for(ctx)
    drugs = ", ".join(same_day_drugs(ctx, line.date, ctx.config.unrelated_drugs))
    what = (
        f"drug administration {line.code} on the day of the {administration_note(ctx, line.date, where)} "
        f"with same-day unrelated drug(s) {drugs}"
    )
    if where is Where.OTHER_CLAIM:
        message = (
            f"{what}: separately reportable with modifier {modifier}; fixes come from a claim's own lines only, review"
        )
        return Proposal(Action.FLAG, line.number, with_adverse_event_reason(ctx, message), (), line.date)
    # a drug the configuration lists as unrelated is not also supportive (the narrower list wins)
    supportive = [
        code
        for code in same_day_drugs(ctx, line.date, ctx.config.supportive_drugs)
        if code not in ctx.config.unrelated_drugs
    ]
    if supportive:  # revision 2: a day-wide 59 would unbundle the concurrent supportive drug
        message = (
            f"{what} and same-day supportive drug(s) {', '.join(supportive)}: an 837I cannot tell which "
            f"administration gave which drug, so no modifier {modifier} is added (the supportive infusion is not "
            f"reported separately); review and add {modifier} only to the unrelated drug's administration"
        )
        return Proposal(Action.FLAG, line.number, with_adverse_event_reason(ctx, message), (), line.date)
    if slots_full(line):
        message = f"{what}: needs modifier {modifier} but all four modifier slots are full; review"
        return Proposal(Action.FLAG, line.number, with_adverse_event_reason(ctx, message), (), line.date)
    message = f"{what}: separately reportable, added modifier {modifier}"
    edits = (add_modifier(line.number, modifier),)
    return Proposal(Action.MODIFIER, line.number, with_adverse_event_reason(ctx, message), edits, line.date)
