"""CART-015: inpatient claims (TOB 11x) follow different rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cart837.claims.model import ServiceLine
from cart837.codes.tables import PRODUCT_REVENUE_CODES
from cart837.config import RuleMode
from cart837.rules._markers import Markers
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

TOKEN_CHARGE = Decimal("1.00")  # [NGS-IP]: covered product charge above a $1.00 token charge
TOKEN_CHARGE_FROM = date(2020, 10, 1)  # [NGS-IP]: for discharges from 2020-10-01 (revision 2)


@rule(
    id="CART-015",
    title="Inpatient claims (TOB 11x) follow different rules",
    citation="[NGS-IP]; [X12-SV2]; [MM14247]",
    default=RuleMode.FLAG,
    config_keys=("inpatient_car_t_pcs",),
    severity=Severity.REVIEW,
    next_step=(
        "correct the inpatient line as the message says (FL 42 revenue code, FL 44 HCPCS, FL 47 charge), or "
        "confirm with the payer's inpatient CAR-T billing instructions"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Flag inpatient product charges, CPT step codes and a missing product on 11x claims.

    Bad:  11x claim, LX 2 SV2*0891*HC:Q2041*1.00*UN*1 with no trial or expanded-access marker;
          LX 1 SV2*0874*HC:38228*4000*UN*1 (a CPT step code in SV202 on an inpatient line).
    Good: 11x claim, SV2*0891*HC:Q2041*900000*UN*1 and the administration on its revenue code only;
          a token $1.00 product with Z00.6 + CC 30 + VC D4, or CC 90 + NTE "Expand Acc Use".
    """
    if not ctx.inpatient:
        return []
    found = ctx.facts.markers
    proposals = [_step_code(line) for line in ctx.claim.lines if ctx.step(line) is not None]
    products = [
        line
        for line in ctx.claim.lines
        if line.revenue_code in PRODUCT_REVENUE_CODES and not ctx.is_other_therapy(line)
    ]
    for line in products:
        discharge = ctx.claim.statement_to or line.date
        if discharge is not None and discharge >= TOKEN_CHARGE_FROM:
            proposal = _charge(line, found, discharge)
            if proposal is not None:
                proposals.append(proposal)
    if not products:
        proposals.extend(_missing_product(ctx))
    return proposals


def _step_code(line: ServiceLine) -> Proposal:
    message = (
        f"CPT step code {line.code} in SV202 on inpatient (11x) line LX {line.number}: the TR3 asks for SV202 on "
        "inpatient lines only for HCPCS drugs/biologicals or HIPPS codes; CAR-T is paid under MS-DRG 018"
    )
    return Proposal(Action.FLAG, line.number, message, (), line.date)


def _charge(line: ServiceLine, found: Markers, discharge: date) -> Proposal | None:
    what = (
        f"inpatient product line LX {line.number} (revenue code {line.revenue_code}, discharge {discharge.isoformat()})"
    )
    if line.charge <= TOKEN_CHARGE and not found.no_cost:
        message = (
            f"{what} charge {line.charge} is at or below the $1.00 token charge, but the claim has no clinical-trial "
            "or expanded-access marker (CART-016/017)"
        )
    elif line.charge > TOKEN_CHARGE and found.no_cost:
        message = (
            f"{what} charge {line.charge} is above the $1.00 token charge, but the claim has a clinical-trial or "
            "expanded-access marker (a no-cost product)"
        )
    else:
        return None
    return Proposal(Action.FLAG, line.number, message, (), line.date)


def _missing_product(ctx: RuleContext) -> list[Proposal]:
    listed = set(ctx.config.inpatient_car_t_pcs)
    pcs = sorted(code for code in ctx.claim.procedures_icd if code in listed)
    if not pcs:  # an empty inpatient_car_t_pcs turns this check off
        return []
    message = (
        f"inpatient claim with CAR-T ICD-10-PCS code(s) {', '.join(pcs)} has no product line (revenue code 0891/0892)"
    )
    return [Proposal(Action.FLAG, None, message)]
