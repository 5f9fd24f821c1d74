"""Shared logic of CART-010..014: services on the day of a CAR-T administration.

CART-013 has no finding of its own: its reason text is added to the findings of CART-010,
CART-011 and CART-012 (see `with_adverse_event_reason`).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeKind, Step
from cart837.rules.base import RuleContext

# [MOD-X]: 59 and its X{EPSU} subsets mark a distinct service (RULES.md §2.8)
DISTINCT_MODIFIERS = frozenset({"59", "XE", "XS", "XP", "XU"})
MODIFIER_SLOTS = 4  # SV202-3..6

CART013 = "CART-013"
# The reason itself is said once, in CART-013's rule text (its next step), not on every finding.
ADVERSE_EVENT_REASON = "adverse events during the infusion: see CART-013"


class Where(StrEnum):
    """Where the patient's CAR-T administration of a day is billed, seen from one claim."""

    SAME_CLAIM = "same claim"
    OTHER_CLAIM = "other claim"
    NONE = "none"


class AdministrationDays:
    """Answer `where(day)` for one claim; the claim's administration lines are read once, lazily."""

    __slots__ = ("ctx", "_own")

    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx
        self._own: frozenset[date] | None = None

    def where(self, day: date) -> Where:
        """Return where the patient's administration of `day` is billed, seen from this claim."""
        if self._own is None:
            lines = self.ctx.lines_of_step(Step.ADMINISTRATION)
            self._own = frozenset(ln.date for ln in lines if ln.date is not None)
        if day in self._own:
            return Where.SAME_CLAIM
        return Where.OTHER_CLAIM if self.ctx.episode.administration_elsewhere(day) else Where.NONE


def elsewhere_claims(ctx: RuleContext, day: date) -> str:
    """Return the ids of the patient's other claims with an administration on `day`."""
    ids = {line.claim_id for line in ctx.episode.other_claims_on(day) if line.step is Step.ADMINISTRATION}
    return ", ".join(sorted(ids))


def administration_note(ctx: RuleContext, day: date, where: Where) -> str:
    """Return a phrase naming where the same-day administration is."""
    if where is Where.SAME_CLAIM:
        numbers = [str(ln.number) for ln in ctx.lines_of_step(Step.ADMINISTRATION) if ln.date == day]
        return f"CAR-T administration on {day.isoformat()} (LX {', '.join(numbers)})"
    return f"CAR-T administration on {day.isoformat()} on claim(s) {elsewhere_claims(ctx, day)}"


def outpatient_only(ctx: RuleContext) -> bool:
    """Return whether the outpatient-only rules apply (outpatient bill type, never 11x: CART-015)."""
    return ctx.outpatient and not ctx.inpatient


def has_cart_line(ctx: RuleContext) -> bool:
    """Return whether the claim itself carries a CAR-T-relevant line (RULES.md §3)."""
    return ctx.has_cart_line


def is_distinct(line: ServiceLine) -> bool:
    """Return whether the line already carries 59 or an X{EPSU} modifier."""
    return bool(DISTINCT_MODIFIERS.intersection(line.modifiers))


def slots_full(line: ServiceLine) -> bool:
    """Return whether all four modifier slots SV202-3..6 are used."""
    return len(line.modifiers) >= MODIFIER_SLOTS


def of_kind(ctx: RuleContext, *kinds: CodeKind) -> list[ServiceLine]:
    """Return the claim's lines whose code is of one of `kinds`."""
    return [line for line in ctx.claim.lines if ctx.codes.kind(line.code) in kinds]


def same_day_drugs(ctx: RuleContext, day: date, listed: tuple[str, ...]) -> list[str]:
    """Return the codes of this claim's lines on `day` that are in `listed` (RULES.md §2.10)."""
    return sorted({line.code for line in ctx.claim.lines if line.date == day and line.code in listed})


def with_adverse_event_reason(ctx: RuleContext, message: str) -> str:
    """Append CART-013's reason text only while CART-013 is on for this claim (config, payer, --rules)."""
    if CART013 not in ctx.active_rules:
        return message
    return f"{message}. {ADVERSE_EVENT_REASON}"


def is_cart012_case(ctx: RuleContext, line: ServiceLine) -> bool:
    """Return whether a drug-administration line has a same-DOS drug in `unrelated_drugs` (CART-012)."""
    if ctx.codes.kind(line.code) is not CodeKind.DRUG_ADMIN or line.date is None:
        return False
    return bool(same_day_drugs(ctx, line.date, ctx.config.unrelated_drugs))


def same_day_administrations(ctx: RuleContext) -> list[tuple[ServiceLine, Where]]:
    """Return hydration/drug-administration lines without 59/X{EPSU} on an administration day.

    Lines already reported as fully non-covered (SV207 = SV203 > 0) are not billed separately
    and are left out.
    """
    days = AdministrationDays(ctx)
    out: list[tuple[ServiceLine, Where]] = []
    for line in of_kind(ctx, CodeKind.HYDRATION, CodeKind.DRUG_ADMIN):
        if line.date is None or is_distinct(line) or fully_noncovered(line):
            continue
        where = days.where(line.date)
        if where is not Where.NONE:
            out.append((line, where))
    return out


def fully_noncovered(line: ServiceLine) -> bool:
    """Return whether SV207 already equals SV203 (and is positive)."""
    return line.noncovered is not None and line.charge > 0 and line.noncovered >= line.charge
