"""CART-005: collection and processing steps are non-covered on outpatient Medicare claims."""

from __future__ import annotations

from decimal import Decimal

from cart837.claims.edits import set_noncovered
from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeKind, Step
from cart837.config import RuleMode
from cart837.rules._lines import outpatient_only
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

RULE_ID = "CART-005"
NONCOVERED_STEPS = frozenset({Step.COLLECTION, Step.OUTBOUND_PREP, Step.INBOUND_PREP})
ZERO = Decimal(0)


@rule(
    id=RULE_ID,
    needs=(CodeKind.STEP,),
    title="Collection and processing steps are non-covered on outpatient Medicare claims",
    citation="[MM11216]; [NAHRI-2019]; [SE19009]; [CHA-2019]; [CGS-2021]; [REF-CODING]; [NUBC-REV]; "
    "[OPPS-2025-PR]; [PFS-2025-FR]",
    default=RuleMode.FIX,
    config_keys=("outpatient_bill_types", "medicare_filing_codes", "payers"),
    severity=Severity.ERROR,
    next_step=(
        "correct the non-covered charge (FL 48, SV207) so it is not above the line's total charge (FL 47, SV203)"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Set SV207 = SV203 on 0537T-0539T / 38225-38227 lines of outpatient Medicare FFS claims.

    Bad:  SV2*0872*HC:38226*500*UN*1 on a 131 claim with SBR09 MA.
    Good: SV2*0872*HC:38226*500*UN*1**500 (line and charge kept for tracking, marked non-covered).
    """
    if not outpatient_only(ctx) or not _payer_in_scope(ctx):
        return []
    proposals: list[Proposal] = []
    for line in ctx.claim.lines:
        if ctx.step(line) not in NONCOVERED_STEPS or line.date is None:
            continue  # a line without a DOS is CART-022's
        if not ctx.codes.valid_on(line.code, line.date):
            continue  # outside the code's window: CART-001 crosswalks or flags it first
        proposal = _noncovered(line)
        if proposal is not None:
            proposals.append(proposal)
    return proposals


def _payer_in_scope(ctx: RuleContext) -> bool:
    """Medicare FFS by SBR09, or any payer whose `[payers]` table sets CART-005's mode (DESIGN.md)."""
    if ctx.medicare_ffs:
        return True
    return RULE_ID in ctx.config.payer_rule_modes(ctx.claim.payer_id)


def _noncovered(line: ServiceLine) -> Proposal | None:
    charge, noncovered = line.charge, line.noncovered or ZERO
    if charge <= ZERO or noncovered == charge:
        return None
    if noncovered > charge:
        return Proposal(
            Action.FLAG,
            line.number,
            f"{line.code}: non-covered amount SV207 {line.noncovered} exceeds the line charge {charge} (bad input)",
            (),
            line.date,
        )
    was = f"raised from {line.noncovered}" if noncovered > ZERO else "was empty"
    message = (
        f"LX {line.number} {line.code} is not paid separately on outpatient Medicare claims "
        "(status B / bundled into the product): "
        f"reported as non-covered, SV207 = SV203 = {charge} ({was}); the line and its charge are kept for tracking"
    )
    return Proposal(Action.NONCOVERED, line.number, message, (set_noncovered(line.number, charge),), line.date)
