"""CART-017: clinical-trial claims carry Z00.6, condition code 30, value code D4, and Q0/Q1."""

from __future__ import annotations

from cart837.claims.model import ServiceLine
from cart837.config import RuleMode
from cart837.rules._markers import CC_PAYER_ONLY_ZC
from cart837.rules._same_day import has_cart_line, outpatient_only
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

TRIAL_MODIFIERS = frozenset({"Q0", "Q1"})  # [MOD-Q]


@rule(
    id="CART-017",
    title="Clinical trials",
    citation="[BMS-CT360]; [NGS-IP]; [MM14247]; [CMS-ZC]; [MOD-Q]",
    default=RuleMode.FLAG,
    severity=Severity.REVIEW,
    next_step=(
        "complete the clinical-trial coding: Z00.6 (FL 67), condition code 30 (FL 18-28), value code D4 (FL "
        "39-41) and modifier Q0/Q1 on outpatient lines (FL 44); remove condition code ZC"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag partial trial markers, outpatient trial lines without Q0/Q1, and CC ZC on input.

    Bad:  HI*ABF:Z006 with no HI*BG:30 or value code D4; an outpatient trial claim's
          SV2*0300*HC:80053*100*UN*1 without Q0/Q1; HI*BG:ZC sent by the hospital.
    Good: Z00.6 + BG:30 + BE:D4 (8-digit NCT), Q0 or Q1 on every coded outpatient line. The tool
          never picks Q0 vs Q1 and never adds or removes Z00.6: consistency flags only.
    """
    if not has_cart_line(ctx):
        return []
    found = ctx.facts.markers
    zc = CC_PAYER_ONLY_ZC in ctx.claim.condition_codes
    if not (found.trial or zc):
        return []
    proposals: list[Proposal] = []
    missing = found.trial_missing()
    if found.trial and missing:
        message = f"clinical-trial claim is missing {', '.join(missing)} (Z00.6, CC 30 and VC D4 go together)"
        proposals.append(Proposal(Action.FLAG, None, message))
    if zc:
        message = "condition code ZC is payer-only (applied by FISS), not for the hospital to send"
        segment = ctx.claim.condition_code_segment(CC_PAYER_ONLY_ZC)
        proposals.append(Proposal(Action.FLAG, None, message, segment=segment))
    if found.trial and outpatient_only(ctx):
        proposals.extend(_without_q0_q1(line) for line in ctx.claim.lines if _needs_trial_modifier(line))
    return proposals


def _needs_trial_modifier(line: ServiceLine) -> bool:
    return bool(line.code) and not TRIAL_MODIFIERS.intersection(line.modifiers)


def _without_q0_q1(line: ServiceLine) -> Proposal:
    message = (
        f"outpatient clinical-trial claim line {line.code} has neither Q0 (investigational) nor Q1 (routine); "
        "only the study protocol can tell which, so nothing is added"
    )
    return Proposal(Action.FLAG, line.number, message, (), line.date)
