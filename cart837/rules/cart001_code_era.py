"""CART-001: use the CAR-T code set that is valid on the line's date of service."""

from __future__ import annotations

from datetime import date

from cart837.claims.edits import set_procedure_code
from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeInfo, CodeKind
from cart837.config import RuleMode
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule


@rule(
    id="CART-001",
    needs=(CodeKind.STEP,),
    title="Use the code set that is valid on the line's DOS",
    citation="[CPT-2025-CART]; [CT360-CLAIM]; [REF-CODING]",
    default=RuleMode.FIX,
    config_keys=("codes",),
    severity=Severity.ERROR,
    next_step=(
        "check the date of service (FL 45, DTP*472) and the HCPCS code (FL 44, SV202) and correct whichever "
        "is wrong; do not send until one code is valid on that date"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Crosswalk 0537T-0540T <-> 38225-38228 by the line's DOS; flag DOS before 2019-01-01.

    Bad:  SV2*0874*HC:0540T:KX*4000*UN*1 with DTP*472*D8*20250301 (0540T was deleted 2024-12-31).
    Good: SV2*0874*HC:38228:KX*4000*UN*1; charge, units and modifiers unchanged.
    """
    proposals: list[Proposal] = []
    for line in ctx.claim.lines:
        info = ctx.codes.get(line.code)
        # A line without a DOS is CART-022's: no era can be decided for it.
        if info is None or info.step is None or line.date is None or info.valid_on(line.date):
            continue
        proposals.append(_crosswalk_or_flag(ctx, line, info, line.date))
    return proposals


def _crosswalk_or_flag(ctx: RuleContext, line: ServiceLine, info: CodeInfo, day: date) -> Proposal:
    target = ctx.codes.code_for(line.code, day)
    invalid = f"{line.code} is not valid on {day.isoformat()} (valid {_window(info)})"
    if target is None:
        return Proposal(
            Action.FLAG,
            line.number,
            f"{invalid} and no code of the CAR-T family is valid on that date: check the date of service",
            (),
            day,
        )
    message = (
        f"{invalid}: crosswalked to {target}, which has the same descriptor ({info.descriptor or info.step}); "
        "charge, units and modifiers unchanged. A code that is not valid on the DOS is certain to be rejected; "
        "a coder may review"
    )
    return Proposal(Action.CROSSWALK, line.number, message, (set_procedure_code(line.number, target),), day)


def _window(info: CodeInfo) -> str:
    start = info.valid_from.isoformat() if info.valid_from else None
    end = info.valid_to.isoformat() if info.valid_to else None
    if start and end:
        return f"{start} to {end}"
    return f"from {start}" if start else f"until {end}"
