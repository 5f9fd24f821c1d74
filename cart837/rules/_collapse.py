"""Shared logic of CART-002 and CART-003: one line per patient, day and code (RULES.md revision 2)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from cart837.claims.edits import Edit, remove_line, set_charge, set_noncovered, set_units
from cart837.claims.model import ServiceLine
from cart837.codes.tables import Step
from cart837.config import CollapseCharge
from cart837.rules._lines import has_unit_fields
from cart837.rules.base import Action, Proposal, RuleContext

ONE = Decimal(1)


def collapse_daily(ctx: RuleContext, step: Step, noun: str) -> list[Proposal]:
    """Collapse same-day lines of one code into the lowest LX; flag mixed codes and cross-claim duplicates."""
    if ctx.inpatient:  # CART-015: 11x claims follow the inpatient rules
        return []
    by_day: dict[date, list[ServiceLine]] = defaultdict(list)
    for line in ctx.lines_of_step(step):
        if line.date is not None:
            by_day[line.date].append(line)
    proposals: list[Proposal] = []
    total = ctx.claim.total  # keep-first: each finding states the total before and after its own edit
    for day, lines in sorted(by_day.items()):
        by_code: dict[str, list[ServiceLine]] = defaultdict(list)
        for line in sorted(lines, key=lambda ln: ln.number):  # keep the lowest LX01, whatever the file order
            by_code[line.code].append(line)
        for same in by_code.values():
            if len(same) > 1:
                found, total = _collapse(ctx, same, day, noun, total)
                proposals.extend(found)
            elif same[0].units != ONE:
                proposals.append(_one_unit(same[0], noun))
        if len(by_code) > 1:
            proposals.append(_mixed_codes(by_code, day, noun))
        proposals.extend(_elsewhere(ctx, step, day, lines, noun))
    return proposals


def _collapse(
    ctx: RuleContext, lines: list[ServiceLine], day: date, noun: str, total: Decimal
) -> tuple[list[Proposal], Decimal]:
    kept, removed = lines[0], lines[1:]
    charges = sum((line.charge for line in lines), Decimal(0))
    noncovered = [line.noncovered for line in lines if line.noncovered is not None]
    keep_first = ctx.config.collapse_charge is CollapseCharge.KEEP_FIRST
    edits: list[Edit] = []
    if not keep_first and charges != kept.charge:
        edits.append(set_charge(kept.number, charges))
    if noncovered and not keep_first:
        edits.append(set_noncovered(kept.number, sum(noncovered, Decimal(0))))
    units_ok = has_unit_fields(kept)
    if units_ok and kept.units != ONE:
        edits.append(set_units(kept.number, ONE))
    edits.extend(remove_line(line.number) for line in removed)
    numbers = ", ".join(str(line.number) for line in removed)
    dropped = charges - kept.charge if keep_first else Decimal(0)
    charge_note = _charge_note(lines, charges, total, dropped)
    if noncovered and not keep_first:  # SV207 grows too: say by how much, as for the charges
        parts = " + ".join(str(amount) for amount in noncovered)
        charge_note += f"; non-covered (SV207) summed too ({parts} = {sum(noncovered, Decimal(0))})"
    units = "with 1 unit" if units_ok else "(units not written: the kept line has no SV204/SV205)"
    message = (
        f"{noun} ({kept.code}) billed {len(lines)} times on {day.isoformat()}: reported once per day, "
        f"kept LX {kept.number} {units} and removed LX {numbers}; {charge_note}"
    )
    proposals = [Proposal(Action.COLLAPSE, kept.number, message, tuple(edits), day)]
    mismatch = _differences(lines)
    if mismatch:
        proposals.append(Proposal(Action.FLAG, kept.number, f"collapsed {noun} lines differed: {mismatch}", (), day))
    if not units_ok:
        proposals.append(_no_unit_fields(kept, noun))
    return proposals, total - dropped


def _charge_note(lines: list[ServiceLine], charges: Decimal, total: Decimal, dropped: Decimal) -> str:
    if not dropped:
        parts = " + ".join(str(line.charge) for line in lines)
        return f"charges summed onto the kept line ({parts} = {charges})"
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
    if not has_unit_fields(line):
        return _no_unit_fields(line, noun)
    return Proposal(
        Action.UNITS,
        line.number,
        f"{noun} ({line.code}) LX {line.number} billed with {line.units} units: reported once per day with 1 unit; "
        f"charge {line.charge} unchanged",
        (set_units(line.number, ONE),),
        line.date,
    )


def _no_unit_fields(line: ServiceLine, noun: str) -> Proposal:
    missing = " and ".join(name for name, value in (("SV204", line.unit_basis), ("SV205", line.units)) if not value)
    return Proposal(
        Action.FLAG,
        line.number,
        f"{noun} ({line.code}) LX {line.number} has no {missing}: the TR3 requires the unit basis and the units "
        "(1 unit, reported once per day); not written here, because SV205 without SV204 is a syntax error",
        (),
        line.date,
    )


def _mixed_codes(by_code: dict[str, list[ServiceLine]], day: date, noun: str) -> Proposal:
    """Two codes of one step on one day (CART-001 did not crosswalk one of them): never merged."""
    parts = "; ".join(f"{code} on LX {', '.join(str(ln.number) for ln in lines)}" for code, lines in by_code.items())
    first = min(line.number for lines in by_code.values() for line in lines)
    message = (
        f"{noun} billed with different codes on {day.isoformat()} ({parts}): reported once per day, but lines are "
        "merged only when their codes are equal; correct the code (CART-001) or remove the duplicate"
    )
    return Proposal(Action.FLAG, first, message, (), day)


def _elsewhere(ctx: RuleContext, step: Step, day: date, lines: list[ServiceLine], noun: str) -> list[Proposal]:
    codes = {line.code for line in lines}
    others = [o for o in ctx.episode.step_elsewhere(step, day) if (ctx.codes.code_for(o.code, day) or o.code) in codes]
    if not others:
        return []
    claims = ", ".join(sorted({other.claim_id for other in others}))
    first = min(lines, key=lambda line: line.number)
    return [
        Proposal(
            Action.FLAG,
            first.number,
            f"{noun} ({first.code}) LX {first.number} on {day.isoformat()} is also billed on claim(s) {claims} for "
            "the same patient: once per day across claims; claims are not merged, review which claim keeps it",
            (),
            day,
        )
    ]
