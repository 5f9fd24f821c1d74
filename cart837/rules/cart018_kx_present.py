"""CART-018: KX (REMS attestation) on an administration line is left alone and noted."""

from __future__ import annotations

from cart837.codes.tables import CodeKind, Step
from cart837.config import RuleMode
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

KX = "KX"


@rule(
    id="CART-018",
    needs=(CodeKind.STEP,),
    title="KX / REMS attestation",
    citation="[NGS-KX]; [FCSO-NCD]",
    default=RuleMode.FLAG,
    severity=Severity.INFO,
    next_step=("nothing required on the 837I; keep KX only if the payer asks for it"),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Note KX on 0540T/38228 as information; never add or remove KX.

    Bad:  SV2*0874*HC:38228:KX*4000*UN*1 read as required (KX was a Part B REMS attestation,
          no longer required from 2025-06-26; Part A MACs checked REMS at facility level).
    Good: SV2*0874*HC:38228*4000*UN*1; an existing KX stays, with an information flag.
    """
    return [
        Proposal(
            Action.FLAG,
            line.number,
            f"KX on administration {line.code}: a Part B (professional) REMS attestation, not required on 837I "
            "and not required at all from 2025-06-26; left in place (information)",
            (),
            line.date,
        )
        for line in ctx.lines_of_step(Step.ADMINISTRATION)
        if KX in line.modifiers
    ]
