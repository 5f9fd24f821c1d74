"""Shared logic of CART-002 and CART-003: one line per patient, day and step."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from cart837.claims.edits import Edit, remove_line, set_charge, set_noncovered, set_units
from cart837.claims.model import ServiceLine
from cart837.codes.tables import Step
from cart837.rules.base import Action, Proposal, RuleContext

ONE = Decimal(1)


def collapse_daily(ctx: RuleContext, step: Step, noun: str) -> list[Proposal]:
    """Collapse same-day lines of `step` into the lowest LX; flag cross-claim duplicates."""
    if ctx.inpatient:  # CART-015: 11x claims follow the inpatient rules
        return []
    by_day: dict[date, list[ServiceLine]] = defaultdict(list)
    for line in ctx.lines_of_step(step):
        if line.date is not None:
            by_day[line.date].append(line)
    proposals: list[Proposal] = []
    for day, lines in sorted(by_day.items()):
        if len(lines) > 1:
            proposals.extend(_collapse(ctx, lines, day, noun))
        elif lines[0].units is None or lines[0].units != ONE:
            proposals.append(_one_unit(lines[0], noun))
        proposals.extend(_elsewhere(ctx, step, day, lines, noun))
    return proposals


def _collapse(ctx: RuleContext, lines: list[ServiceLine], day: date, noun: str) -> list[Proposal]:
    kept, removed = lines[0], lines[1:]
    charges = sum((line.charge for line in lines), Decimal(0))
    noncovered = [line.noncovered for line in lines if line.noncovered is not None]
    keep_first = ctx.config.collapse_charge == "keep-first"
    edits: list[Edit] = []
    if not keep_first and charges != kept.charge:
        edits.append(set_charge(kept.number, charges))
    if noncovered and not keep_first:
        edits.append(set_noncovered(kept.number, sum(noncovered, Decimal(0))))
    if kept.units != ONE:
        edits.append(set_units(kept.number, ONE))
    edits.extend(remove_line(line.number) for line in removed)
    numbers = ", ".join(str(line.number) for line in removed)
    charge_note = _charge_note(ctx, lines, charges, keep_first)
    message = (
        f"{noun} ({kept.code}) billed {len(lines)} times on {day.isoformat()}: reported once per day, "
        f"kept LX {kept.number} with 1 unit and removed LX {numbers}; {charge_note}"
    )
    proposals = [Proposal(Action.COLLAPSE, kept.number, message, tuple(edits), day)]
    mismatch = _differences(lines)
    if mismatch:
        proposals.append(Proposal(Action.FLAG, kept.number, f"collapsed {noun} lines differed: {mismatch}", (), day))
    return proposals


def _charge_note(ctx: RuleContext, lines: list[ServiceLine], charges: Decimal, keep_first: bool) -> str:
    if not keep_first:
        parts = " + ".join(str(line.charge) for line in lines)
        return f"charges summed onto the kept line ({parts} = {charges})"
    total = ctx.claim.total
    dropped = charges - lines[0].charge
    return (
        f"collapse_charge = keep-first: the removed lines' charges ({dropped}) are dropped, "
        f"claim total {total} -> {total - dropped}"
    )


def _differences(lines: list[ServiceLine]) -> str:
    notes: list[str] = []
    revenue = sorted({line.revenue_code for line in lines})
    if len(revenue) > 1:
        notes.append(f"revenue codes {', '.join(revenue)} (kept {lines[0].revenue_code})")
    modifier_sets = {line.modifiers for line in lines}
    if len(modifier_sets) > 1:
        union = sorted({m for line in lines for m in line.modifiers})
        notes.append(f"modifiers {', '.join(union) or 'none'} (kept {', '.join(lines[0].modifiers) or 'none'})")
    return "; ".join(notes)


def _one_unit(line: ServiceLine, noun: str) -> Proposal:
    units = "no units" if line.units is None else f"{line.units} units"
    return Proposal(
        Action.UNITS,
        line.number,
        f"{noun} ({line.code}) billed with {units}: reported once per day with 1 unit; charge unchanged",
        (set_units(line.number, ONE),),
        line.date,
    )


def _elsewhere(ctx: RuleContext, step: Step, day: date, lines: list[ServiceLine], noun: str) -> list[Proposal]:
    others = ctx.episode.step_elsewhere(step, day)
    if not others:
        return []
    claims = ", ".join(sorted({other.claim_id for other in others}))
    return [
        Proposal(
            Action.FLAG,
            lines[0].number,
            f"{noun} on {day.isoformat()} is also billed on claim(s) {claims} for the same patient: "
            "once per day across claims; claims are not merged, review which claim keeps it",
            (),
            day,
        )
    ]
