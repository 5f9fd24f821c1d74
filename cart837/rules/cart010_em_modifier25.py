"""CART-010: modifier 25 on a same-day, separately identifiable E/M."""

from __future__ import annotations

from cart837.claims.edits import add_modifier
from cart837.claims.model import ServiceLine
from cart837.config import RuleMode
from cart837.rules._same_day import (
    AdministrationDays,
    Where,
    administration_note,
    outpatient_only,
    slots_full,
    with_adverse_event_reason,
)
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

MODIFIER_25 = "25"
# [REF-CODING], quoted: what may be billed as a visit, and what may not
CAVEAT = (
    'the record must show care apart from the infusion ("care provided after the administration is '
    "complete, care for the patient's underlying condition, or for other medical problems\"); "
    '"management of uncomplicated adverse events (e.g., nausea, urticaria) during the infusion is not '
    'reported separately" [REF-CODING]'
)


@rule(
    id="CART-010",
    title="Modifier 25 on a same-day, separately identifiable E/M",
    citation="[REF-CODING]; [EM-OPPS]",
    default=RuleMode.FIX,
    config_keys=("extra_em_codes",),
    severity=Severity.REVIEW,
    next_step=(
        "check the chart: if the visit was separately identifiable from the infusion, add modifier 25 (FL 44,"
        " SV202-3); if not, remove the visit line"
    ),
    fix_severity=Severity.REVIEW,
    fix_next_step=(
        "check the chart documents a visit separately identifiable from the infusion; if it does not, remove "
        "modifier 25 (FL 44, SV202-3) or the visit line"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Add modifier 25 to an E/M billed on the day of a CAR-T administration on the same claim.

    Bad:  LX 1 SV2*0874*HC:38228 and LX 3 SV2*0510*HC:G0463*400*UN*1, both on 2025-05-01.
    Good: LX 3 SV2*0510*HC:G0463:25*400*UN*1 (flag only when the administration is on
          another claim of the patient, the modifier slots are full, or 25 sits on a non-E/M line).
    """
    if not outpatient_only(ctx):  # CART-015: 11x claims follow the inpatient rules
        return []
    days = AdministrationDays(ctx)
    proposals: list[Proposal] = []
    for line in ctx.claim.lines:
        em = ctx.is_em(line)
        if line.date is None or not (em or MODIFIER_25 in line.modifiers):
            continue
        where = days.where(line.date)
        if where is Where.NONE:
            continue
        if em:
            proposals.extend(_em_line(ctx, line, where))
        else:
            proposals.append(_misplaced(ctx, line, where))
    return proposals


def _em_line(ctx: RuleContext, line: ServiceLine, where: Where) -> list[Proposal]:
    if MODIFIER_25 in line.modifiers:  # never twice
        return []
    assert line.date is not None
    day = line.date
    what = f"E/M {line.code} on the day of the {administration_note(ctx, day, where)}"
    if where is Where.OTHER_CLAIM:
        message = (
            f"{what}: a separately identifiable visit needs modifier 25, but fixes come from a claim's "
            f"own lines only; review and add 25 if {CAVEAT}"
        )
        return [Proposal(Action.FLAG, line.number, with_adverse_event_reason(ctx, message), (), day)]
    if slots_full(line):
        message = f"{what} has no modifier 25 and all four modifier slots are full; review: {CAVEAT}"
        return [Proposal(Action.FLAG, line.number, with_adverse_event_reason(ctx, message), (), day)]
    message = (
        f"{what}: added modifier 25 (the hospital billed the visit, so it holds it to be separately "
        f"identifiable; without 25 it is bundled); {CAVEAT}"
    )
    edits = (add_modifier(line.number, MODIFIER_25),)
    return [Proposal(Action.MODIFIER, line.number, with_adverse_event_reason(ctx, message), edits, day)]


def _misplaced(ctx: RuleContext, line: ServiceLine, where: Where) -> Proposal:
    assert line.date is not None
    message = (
        f"modifier 25 on {line.code or 'a line without a procedure code'} (not an E/M) on the day of the "
        f"{administration_note(ctx, line.date, where)}: 25 belongs on a separately identifiable E/M only; review"
    )
    return Proposal(Action.FLAG, line.number, message, (), line.date)
