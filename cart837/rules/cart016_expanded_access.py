"""CART-016: expanded access is condition code 90 (with NTE "Expand Acc Use" on 11x)."""

from __future__ import annotations

from cart837.config import RuleMode
from cart837.rules._markers import CC_EXPANDED_ACCESS, NOTE_EXPANDED_ACCESS
from cart837.rules._same_day import has_cart_line
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule


@rule(
    id="CART-016",
    title="Expanded access",
    citation="[NGS-IP]; [BMS-CT360]; [NUBC-CC90]; [MM14247]",
    default=RuleMode.FLAG,
    severity=Severity.REVIEW,
    next_step=(
        "if the product was given under expanded access, add condition code 90 (FL 18-28, HI*BG) and the note"
        ' "Expand Acc Use" (FL 80, NTE); otherwise remove the one present'
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag an expanded-access note without CC 90, and CC 90 without the note on 11x claims.

    Bad:  NTE*ADD*Expand Acc Use on a CAR-T claim whose HI has no BG:90; or HI*BG:90 on an 11x
          claim without the note (the Pricer needs both for the MS-DRG 018 adjustment).
    Good: 11x: HI*BG:90 and NTE*ADD*Expand Acc Use; outpatient: HI*BG:90 alone is fine.
          Nothing is added: no edit adds a condition code, and expanded access is never inferred.
    """
    if not has_cart_line(ctx):
        return []
    found = ctx.facts.markers
    if not found.expanded_access:
        return []
    if found.ea_note and not found.cc90:
        message = 'billing note "Expand Acc Use" without condition code 90 (expanded access); no edit adds it'
        return [Proposal(Action.FLAG, None, message, segment=ctx.claim.note_segment(NOTE_EXPANDED_ACCESS))]
    if found.cc90 and ctx.inpatient and not found.ea_note:
        message = (
            'inpatient claim with condition code 90 (expanded access) but no NTE "Expand Acc Use": the Pricer '
            "applies the MS-DRG 018 adjustment only with both"
        )
        segment = ctx.claim.condition_code_segment(CC_EXPANDED_ACCESS)
        return [Proposal(Action.FLAG, None, message, segment=segment)]
    return []
