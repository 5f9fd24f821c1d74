"""CART-011: incidental hydration and concurrent supportive drugs are not reported separately."""

from __future__ import annotations

from cart837.claims.edits import set_noncovered
from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeKind
from cart837.config import BundledAdminAction, RuleMode
from cart837.rules._same_day import (
    Where,
    administration_note,
    is_cart012_case,
    outpatient_only,
    same_day_administrations,
    same_day_drugs,
    with_adverse_event_reason,
)
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

NONCOVERED = BundledAdminAction.NONCOVERED


@rule(
    id="CART-011",
    needs=(CodeKind.HYDRATION, CodeKind.DRUG_ADMIN),
    title="Incidental hydration and concurrent supportive drugs are not reported separately",
    citation="[REF-CODING]",
    default=RuleMode.FLAG,
    can_fix=True,
    config_keys=("bundled_admin_action", "supportive_drugs", "unrelated_drugs"),
    # RULES.md CART-011: the option itself asks for the edit, so it is enough to set it.
    default_when=lambda config: RuleMode.FIX if config.bundled_admin_action == NONCOVERED else RuleMode.FLAG,
    severity=Severity.REVIEW,
    next_step=(
        "check the chart: if the hydration or drug was incidental to the infusion, mark the line non-covered "
        "(FL 48, SV207) or remove it; if it treated another problem, add modifier 59 (FL 44)"
    ),
    fix_severity=Severity.REVIEW,
    fix_next_step=(
        "check the chart shows the hydration or drug was incidental to the infusion; if it treated another "
        "problem, undo the non-covered amount (FL 48) and add modifier 59"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag hydration / drug administration on the day of a CAR-T administration as likely bundled.

    Bad:  LX 1 SV2*0874*HC:38228 and LX 4 SV2*0260*HC:96360*300*UN*1, both on 2025-05-01.
    Good: the same lines and a flag on LX 4; with bundled_admin_action = "noncovered" and the
          administration on the same claim: SV2*0260*HC:96360*300*UN*1**300. Nothing is deleted.

    Setting bundled_admin_action = "noncovered" makes "fix" this rule's default mode (the option
    asks for the edit); an explicit `"CART-011" = "flag"` in [rules] still keeps it flag-only.
    """
    if not outpatient_only(ctx):  # CART-015: 11x claims follow the inpatient rules
        return []
    return [
        _proposal(ctx, line, where)
        for line, where in same_day_administrations(ctx)
        if not is_cart012_case(ctx, line)  # a same-DOS unrelated drug makes it CART-012's case
    ]


def _proposal(ctx: RuleContext, line: ServiceLine, where: Where) -> Proposal:
    assert line.date is not None
    kind = "incidental hydration" if ctx.codes.kind(line.code) is CodeKind.HYDRATION else "drug administration"
    message = (
        f"{kind} {line.code} on the day of the {administration_note(ctx, line.date, where)}: likely bundled "
        "into CAR-T administration (incidental hydration / concurrent supportive drug)"
    )
    message += _drugs_note(ctx, line)
    if ctx.config.bundled_admin_action != NONCOVERED:
        message += "; not deleted, not marked non-covered"
    elif where is Where.SAME_CLAIM:
        message += "; bundled_admin_action = noncovered: SV207 = SV203, charge kept"
        edits = (set_noncovered(line.number, line.charge),)
        return Proposal(Action.NONCOVERED, line.number, with_adverse_event_reason(ctx, message), edits, line.date)
    else:
        message += "; not marked non-covered: the administration is on another claim"
    return Proposal(Action.FLAG, line.number, with_adverse_event_reason(ctx, message), (), line.date)


def _drugs_note(ctx: RuleContext, line: ServiceLine) -> str:
    assert line.date is not None
    supportive = same_day_drugs(ctx, line.date, ctx.config.supportive_drugs)
    unrelated = same_day_drugs(ctx, line.date, ctx.config.unrelated_drugs)
    if unrelated:  # only hydration lines get here with an unrelated drug (RULES.md CART-012)
        return f"; same-day unrelated drug(s) {', '.join(unrelated)}: hydration lines get no 59 (CART-012)"
    if supportive:
        return f"; same-day supportive drug(s) {', '.join(supportive)}"
    return "; no same-day drug on supportive_drugs or unrelated_drugs"
