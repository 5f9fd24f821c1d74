"""The only ways a claim changes (DESIGN.md, Edits), and `apply` that keeps the invariants."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from cart837.claims import fields as f
from cart837.claims.model import Claim
from cart837.claims.reader import rebuild_claim
from cart837.errors import InvariantError
from cart837.x12.segment import Segment, components, join_components

HCPCS_QUALIFIER = "HC"


class EditKind(StrEnum):
    """The closed set of edit operations."""

    SET_REVENUE_CODE = "set_revenue_code"
    SET_PROCEDURE_CODE = "set_procedure_code"
    ADD_MODIFIER = "add_modifier"
    SET_UNITS = "set_units"
    SET_CHARGE = "set_charge"
    SET_NONCOVERED = "set_noncovered"
    REMOVE_LINE = "remove_line"


@dataclass(frozen=True, slots=True)
class Edit:
    """One change to one line, named by its input LX number."""

    kind: EditKind
    line: int
    value: str = ""


def set_revenue_code(line: int, code: str) -> Edit:
    """Set SV201."""
    return Edit(EditKind.SET_REVENUE_CODE, line, code)


def set_procedure_code(line: int, code: str) -> Edit:
    """Set SV202-2, keeping qualifier and modifiers."""
    return Edit(EditKind.SET_PROCEDURE_CODE, line, code)


def add_modifier(line: int, modifier: str) -> Edit:
    """Put `modifier` into the first empty SV202-3..6."""
    return Edit(EditKind.ADD_MODIFIER, line, modifier)


def set_units(line: int, units: Decimal) -> Edit:
    """Set SV205."""
    return Edit(EditKind.SET_UNITS, line, str(units))


def set_charge(line: int, amount: Decimal) -> Edit:
    """Set SV203."""
    return Edit(EditKind.SET_CHARGE, line, str(amount))


def set_noncovered(line: int, amount: Decimal) -> Edit:
    """Set SV207."""
    return Edit(EditKind.SET_NONCOVERED, line, str(amount))


def remove_line(line: int) -> Edit:
    """Drop a 2400 loop (only inside a collapse, after its charge moved to the kept line)."""
    return Edit(EditKind.REMOVE_LINE, line)


def format_amount(value: Decimal, like: str) -> str:
    """Write `value` with the decimal places of the text it replaces, never an exponent."""
    places = len(like.partition(".")[2])
    whole, _, fraction = f"{value:f}".partition(".")  # "f" without a precision: every digit, exactly
    fraction = fraction.rstrip("0").ljust(places, "0")
    return f"{whole}.{fraction}" if fraction else whole


def apply(claim: Claim, edits: list[Edit]) -> Claim:
    """Return the claim with `edits` applied; LX renumbered and CLM02 = sum of SV203."""
    if not edits:
        return claim
    lines = {line.number: list(line.segments) for line in claim.lines}
    sv2_at = {line.number: line.sv2_index for line in claim.lines}
    removed: set[int] = set()
    for edit in edits:
        if edit.line not in lines or edit.line in removed:
            raise InvariantError(f"edit {edit.kind} names LX {edit.line}, which the claim lacks", claim.location)
        if edit.kind is EditKind.REMOVE_LINE:
            removed.add(edit.line)
            continue
        segments = lines[edit.line]
        segments[sv2_at[edit.line]] = _edit_sv2(segments[sv2_at[edit.line]], edit, claim)
    kept = [number for number in (line.number for line in claim.lines) if number not in removed]
    new_segments = list(claim.header)
    for position, number in enumerate(kept, start=1):
        segments = lines[number]
        if removed and segments[0].element(f.LX_NUMBER) != str(position):
            segments[0] = segments[0].with_element(f.LX_NUMBER, str(position), claim.delimiters)
        new_segments.extend(segments)
    rebuilt = _reread(claim, new_segments, kept)
    total = rebuilt.line_charges()
    if total != rebuilt.total:
        clm_text = format_amount(total, rebuilt.clm.element(f.CLM_TOTAL))
        clm = rebuilt.clm.with_element(f.CLM_TOTAL, clm_text, claim.delimiters)
        rebuilt = _reread(claim, [clm, *rebuilt.segments()[1:]], kept)
    return rebuilt


def _reread(claim: Claim, segments: list[Segment], numbers: list[int]) -> Claim:
    """Rebuild the Claim from new segments; lines keep their input LX numbers as ids."""
    return rebuild_claim(claim, segments, numbers)


def _edit_sv2(sv2: Segment, edit: Edit, claim: Claim) -> Segment:
    delimiters = claim.delimiters
    if edit.kind is EditKind.SET_REVENUE_CODE:
        return sv2.with_element(f.SV2_REVENUE, edit.value, delimiters)
    if edit.kind in (EditKind.SET_PROCEDURE_CODE, EditKind.ADD_MODIFIER):
        parts = components(sv2.element(f.SV2_PROCEDURE), delimiters)
        while len(parts) < f.PROC_FIRST_MODIFIER + f.PROC_MODIFIER_SLOTS:
            parts.append("")
        if not parts[f.PROC_QUALIFIER]:
            parts[f.PROC_QUALIFIER] = HCPCS_QUALIFIER  # a code or modifier needs its qualifier (TR3 SV202-1)
        if edit.kind is EditKind.SET_PROCEDURE_CODE:
            parts[f.PROC_CODE] = edit.value
        else:
            slots = range(f.PROC_FIRST_MODIFIER, f.PROC_FIRST_MODIFIER + f.PROC_MODIFIER_SLOTS)
            free = next((i for i in slots if not parts[i]), None)
            if free is None:
                raise InvariantError(f"no free modifier slot on LX {edit.line}", claim.location)
            parts[free] = edit.value
        return sv2.with_element(f.SV2_PROCEDURE, join_components(parts, delimiters), delimiters)
    index = {
        EditKind.SET_UNITS: f.SV2_UNITS,
        EditKind.SET_CHARGE: f.SV2_CHARGE,
        EditKind.SET_NONCOVERED: f.SV2_NONCOVERED,
    }[edit.kind]
    like = sv2.element(index) or sv2.element(f.SV2_CHARGE)
    return sv2.with_element(index, format_amount(Decimal(edit.value), like), delimiters)
