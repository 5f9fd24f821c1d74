"""CART-023: void and replacement claims (RULES.md revision 2, §3 Claim frequency)."""

from __future__ import annotations

from cart837.claims.model import Claim
from cart837.config import RuleMode
from cart837.episodes import CORRECTED_FREQUENCIES
from cart837.rules._same_day import has_cart_line
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

VOID, REPLACEMENT, ORIGINAL = "8", "7", "1"
# Medicare Claims Processing Manual ch. 1 §130.1.2.2: claim change reason condition codes
REPLACEMENT_CHANGE_CODES = frozenset({"D0", "D1", "D2", "D3", "D4", "D7", "D8", "D9", "E0"})
VOID_CHANGE_CODES = frozenset({"D5", "D6"})
CHARGES_ONLY = "D1"


@rule(
    id="CART-023",
    title="Void and replacement claims",
    citation="[X12-SV2] (TR3 2300 CLM05-3 and REF*F8); NUBC frequency codes; Medicare Claims Processing Manual "
    "ch. 1 §130.1.2.2",
    default=RuleMode.FLAG,
    can_fix=False,
    severity=Severity.ERROR,  # DESIGN.md schema 2: the missing REF*F8 and D-code checks are errors
    next_step=(
        "correct the claim frequency (FL 4, third digit), the payer claim control number (FL 64, REF*F8) or the "
        "claim change reason condition code (FL 18-28) before sending"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag voids (never edited), missing or stray REF*F8 and Medicare claim change reason codes.

    Bad:  CLM*C1*904000***13:A:8 (a void) with no REF*F8; a Medicare 137 without a D0-D4/D7-D9/E0
          condition code; a 137 with only D1 (charges) on which cart837 changed a revenue code.
    Good: CLM*C1*904000***13:A:8 with REF*F8*1234567890123 and HI*BG:D5, passed on unchanged
          (a void must match the claim it cancels); a 137 with REF*F8 and HI*BG:D2.
    """
    claim = ctx.claim
    if not has_cart_line(ctx):
        return []
    proposals: list[Proposal] = []
    if claim.frequency not in CORRECTED_FREQUENCIES:
        proposals.append(_not_corrected(claim))
        proposals.extend(_voided_in_same_run(ctx))
    else:
        proposals.extend(_sent_twice(ctx))
    proposals.extend(_reference(claim))
    if claim.frequency in (REPLACEMENT, VOID) and ctx.medicare_ffs:  # an original needs no change reason
        proposals.extend(_change_reason(ctx))
    return proposals


def _not_corrected(claim: Claim) -> Proposal:
    frequency = claim.frequency or "(none)"
    if claim.frequency == VOID:
        what = "void claim (frequency 8): not corrected; a void must match the claim it cancels or the payer rejects it"
    else:
        what = (
            f"frequency {frequency}: not corrected; cart837 corrects original (1), interim (2-4) and replacement (7) "
            "claims only, and this claim joins no CAR-T episode"
        )
    return Proposal(
        Action.FLAG,
        None,
        f"information: {what}",
        segment=claim.clm.text(),
        severity=Severity.INFO,
        next_step="nothing to change here: send the claim as it is, or correct it in the billing system",
    )


def _voided_in_same_run(ctx: RuleContext) -> list[Proposal]:
    """Past RULES.md (docs/BEHAVIOUR.md): a void and the claim it cancels in one run."""
    if ctx.claim.frequency != VOID:
        return []
    if not any(line.claim_id == ctx.claim.id for line in ctx.episode.other_claims()):
        return []
    message = (
        f"void of claim {ctx.claim.id} is in the same run as a claim {ctx.claim.id} of the same patient: a payer can "
        "void only a claim it already has; if that claim was not sent before, send neither"
    )
    return [Proposal(Action.FLAG, None, message, segment=ctx.claim.clm.text(), severity=Severity.REVIEW)]


def _sent_twice(ctx: RuleContext) -> list[Proposal]:
    """Past RULES.md (docs/BEHAVIOUR.md): one CLM01 of one patient twice in a run, neither replacing the other."""
    others = sorted({line.claim for line in ctx.episode.other_claims() if line.claim_id == ctx.claim.id})
    if not others:
        return []
    where = ", ".join(f"file {number + 1} byte {offset}" for number, offset in others)
    message = (
        f"claim {ctx.claim.id} (frequency {ctx.claim.frequency}) is billed again for the same patient in this run "
        f"({where}) and neither replaces the other: the payer rejects the second as a duplicate; send one, or "
        "send the later one as a replacement (7) with REF*F8"
    )
    return [Proposal(Action.FLAG, None, message, segment=ctx.claim.clm.text())]


def _reference(claim: Claim) -> list[Proposal]:
    control = claim.payer_claim_control_number()
    if claim.frequency in (REPLACEMENT, VOID) and not control:
        kind = "replacement" if claim.frequency == REPLACEMENT else "void"
        message = (
            f"{kind} claim (frequency {claim.frequency}) has no REF*F8 payer claim control number: the TR3 requires "
            "it to name the claim being replaced or voided; add the payer's claim number"
        )
        return [Proposal(Action.FLAG, None, message, segment=claim.clm.text())]
    if claim.frequency == ORIGINAL and control:
        message = (
            f"original claim (frequency 1) carries REF*F8 {control}: the TR3 says not to send a payer claim control "
            "number on an original claim; remove it, or bill the claim as a replacement (7)"
        )
        return [Proposal(Action.FLAG, None, message, segment=claim.payer_claim_control_segment())]
    return []


def _change_reason(ctx: RuleContext) -> list[Proposal]:
    claim = ctx.claim
    codes = sorted(set(claim.condition_codes) & (REPLACEMENT_CHANGE_CODES | VOID_CHANGE_CODES))
    found = ", ".join(codes) or "none"
    if claim.frequency == REPLACEMENT:
        replacement = [code for code in codes if code in REPLACEMENT_CHANGE_CODES]
        if len(replacement) != 1 or len(codes) != 1:
            message = (
                f"Medicare replacement claim (frequency 7) needs exactly one claim change reason condition code "
                f"(D0-D4, D7-D9 or E0); found: {found}"
            )
            return [Proposal(Action.FLAG, None, message, segment=claim.clm.text())]
        if codes == [CHARGES_ONLY]:
            return _charges_only(ctx)
    if claim.frequency == VOID and not set(codes) & VOID_CHANGE_CODES:
        message = f"Medicare void (frequency 8) needs condition code D5 or D6 (cancel); found: {found}"
        return [Proposal(Action.FLAG, None, message, segment=claim.clm.text())]
    return []


def _charges_only(ctx: RuleContext) -> list[Proposal]:
    """A D1 (charges only) replacement must not carry a revenue code or HCPCS change (that is D2)."""
    original = ctx.original or ctx.claim
    before = {line.number: (line.revenue_code, line.code) for line in original.lines}
    changed = [
        line
        for line in ctx.claim.lines
        if line.number in before and before[line.number] != (line.revenue_code, line.code)
    ]
    if not changed:
        return []
    lines = ", ".join(
        f"LX {line.number} {before[line.number][0]}/{before[line.number][1] or '-'} -> {line.revenue_code}/"
        f"{line.code or '-'}"
        for line in changed
    )
    message = (
        f"replacement claim with condition code D1 (charges only), but cart837 changed revenue code or HCPCS on "
        f"{lines}: that is a D2 change; review the claim change reason code (never rewritten here)"
    )
    step = "change condition code D1 to D2 (FL 18-28) if the corrected codes are sent, or reject the fix in review"
    return [Proposal(Action.FLAG, None, message, segment=ctx.claim.clm.text(), next_step=step)]
