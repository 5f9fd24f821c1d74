"""CART-014: lymphodepleting chemotherapy stays on its own dates."""

from __future__ import annotations

from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeKind
from cart837.config import RuleMode
from cart837.rules._same_day import AdministrationDays, Where, administration_note, of_kind, same_day_drugs
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule


@rule(
    id="CART-014",
    needs=(CodeKind.CHEMO_ADMIN,),
    title="Lymphodepleting chemotherapy stays on its own dates",
    citation="[REF-CODING]; [CPT-ADMIN]",
    default=RuleMode.FLAG,
    config_keys=("lymphodepletion_drugs",),
    severity=Severity.REVIEW,
    next_step=(
        "check the chemotherapy line's date of service (FL 45, DTP*472): lymphodepletion usually ends days "
        "before the infusion; correct the date if it was keyed wrong"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag chemo administration (96409-96417) on the day of a CAR-T administration; never move it.

    Bad:  LX 2 SV2*0335*HC:96413*900*UN*1 on 2025-05-01, the day of LX 1 SV2*0874*HC:38228.
    Good: chemo lines on the days they were given, usually days before the infusion (no finding).
          The flag is information only: chemo lines are never moved, collapsed or bundled.
    """
    days = AdministrationDays(ctx)
    proposals: list[Proposal] = []
    for line in of_kind(ctx, CodeKind.CHEMO_ADMIN):
        if line.date is None:  # not CAR-T-relevant, so no CART-022 either (RULES.md CART-014)
            continue
        where = days.where(line.date)
        if where is not Where.NONE:
            proposals.append(_flag(ctx, line, where))
    return proposals


def _flag(ctx: RuleContext, line: ServiceLine, where: Where) -> Proposal:
    assert line.date is not None
    drugs = same_day_drugs(ctx, line.date, ctx.config.lymphodepletion_drugs)
    named = f" with lymphodepleting drug(s) {', '.join(drugs)}" if drugs else ""
    message = (
        f"chemotherapy administration {line.code}{named} on the day of the "
        f"{administration_note(ctx, line.date, where)}: unusual timing, lymphodepletion is usually days "
        "before the infusion; information only, chemo lines stay on the dates given"
    )
    return Proposal(Action.FLAG, line.number, message, (), line.date)
