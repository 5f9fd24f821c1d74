"""CART-013: adverse-event care during the infusion is not reported separately.

How it is represented: an 837I line carries no clock times, so "during" cannot be told from
"after", and CART-010/011/012 already act on the same-day E/M, hydration and drug-administration
lines. CART-013 therefore never emits a finding of its own and never edits. Its reason is said once, in
this rule's next step (shown with the rule in every report); the findings of CART-010, CART-011
and CART-012 point to it (`_same_day.ADVERSE_EVENT_REASON`). Setting CART-013 to "off" (in
[rules] or a payer's rules) drops that pointer.
"""

from __future__ import annotations

from cart837.config import RuleMode
from cart837.rules.base import Proposal, RuleContext, Severity, rule


@rule(
    id="CART-013",
    title="Adverse-event care during the infusion is not reported separately",
    citation="[REF-CODING]",
    default=RuleMode.FLAG,
    severity=Severity.REVIEW,
    next_step=(
        "on every same-day visit, hydration or drug line CART-010/011/012 name, check the record: the "
        "administration code includes monitoring and managing adverse events during the administration, and "
        "an 837I line has no clock times; care during the infusion is not reported separately, care apart "
        "from it keeps its line (with 25 or 59)"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Return no finding: the reason text rides on CART-010/011/012 findings.

    Bad:  LX 3 SV2*0510*HC:G0463*400*UN*1 on the administration day, for managing nausea during
          the infusion (CART-010's finding on LX 3 carries this rule's reason text).
    Good: no separate visit line for uncomplicated adverse events during the infusion; a visit for
          care after the infusion or for another problem carries modifier 25.
    """
    del ctx  # by design: nothing on an 837I line tells "during the infusion" from "after"
    return []
