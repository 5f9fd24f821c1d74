"""Build Claim objects from a claim block's bytes and its 2000B/2000C context.

The hot path of pass 2 (every CAR-T claim, and every claim of a CAR-T patient): a block is
split with one decode and one split (x12.segment.segment_list), element positions are read
straight from the elements tuples, and the 2000B/2000C context is read as plain element
lists, since a Claim keeps only the payer and patient values drawn from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from cart837.claims import fields as f
from cart837.claims.events import ClaimBytes
from cart837.claims.model import Claim, Patient, Procedure, ServiceLine, patient_key
from cart837.errors import ClaimStructureError, Location
from cart837.ids import ClaimId, PayerId
from cart837.x12.delimiters import Delimiters
from cart837.x12.envelope import is_count
from cart837.x12.segment import Segment, segment_list, segment_texts

Elements = Sequence[str]  # one segment's elements: a Segment's tuple or a plain list


def read_claim(block: ClaimBytes, file: str) -> Claim:
    """Parse one claim block into a Claim."""
    location = Location(file, block.offset, block.segment_index, "CLM")
    delimiters = block.delimiters
    context = _context(element_lists(block.subscriber, delimiters), element_lists(block.patient, delimiters))
    return _assemble(
        segment_list(block.data, delimiters), context, delimiters, location, block.interchange, block.transaction
    )


def rebuild_claim(claim: Claim, segments: list[Segment], numbers: list[int]) -> Claim:
    """Return `claim` over new segments (its header first); line i keeps input LX `numbers[i]`.

    A line made of the very Segment objects it had is reused as it is (reading it again gives
    the same ServiceLine); only edited lines, and an edited CLM, are read again.
    """
    first_lx = next((i for i, s in enumerate(segments) if s.elements[0] == "LX"), len(segments))
    header = tuple(segments[:first_lx])
    if not header or header[0].elements[0] != "CLM":
        raise ClaimStructureError("claim block does not start with CLM", claim.location)
    old = {line.number: line for line in claim.lines}
    statement = (claim.statement_from, claim.statement_to)
    starts = [i for i in range(first_lx, len(segments)) if segments[i].elements[0] == "LX"]
    lines: list[ServiceLine] = []
    for start, end, number in zip(starts, [*starts[1:], len(segments)], numbers, strict=True):
        group = segments[start:end]
        before = old.get(number)
        if (
            before is not None
            and len(before.segments) == len(group)
            and all(a is b for a, b in zip(before.segments, group, strict=True))
        ):
            lines.append(before)
        else:
            lines.append(_line(group, claim.delimiters, statement, claim.location)._replace(number=number))
    same_clm = header[0] is claim.header[0]
    total = claim.total if same_clm else _amount(get(header[0].elements, f.CLM_TOTAL), "CLM02", claim.location)
    return claim._replace(header=header, lines=tuple(lines), total=total)


def element_lists(data: bytes | None, delimiters: Delimiters) -> list[list[str]]:
    """Split bytes into each segment's elements, as segment_list would (no Segment objects)."""
    if not data:
        return []
    sep = delimiters.element.decode("latin-1")
    return [body.split(sep) for body in segment_texts(data, delimiters)]


def get(elements: Elements, index: int) -> str:
    """Return element `index` of an element list, or "" when absent."""
    return elements[index] if index < len(elements) else ""


_Context = tuple[str, str, Patient]  # (SBR09 filing code, payer id, patient)


def _context(subscriber: Sequence[Elements], dependent: Sequence[Elements]) -> _Context:
    filing = next((get(s, f.SBR_FILING) for s in subscriber if s[0] == "SBR"), "")
    return filing, nm1_value(subscriber, f.NM1_PAYER, f.NM1_ID), patient_of(subscriber, dependent)


def nm1_value(segments: Sequence[Elements], entity: str, index: int) -> str:
    """Return element `index` of the first NM1 of `entity` (NM101), or ""."""
    for segment in segments:
        if segment[0] == "NM1" and get(segment, f.NM1_ENTITY) == entity:
            return get(segment, index)
    return ""


def patient_of(subscriber: Sequence[Elements], dependent: Sequence[Elements]) -> Patient:
    """2010CA patient when a 2000C loop exists, else the 2010BA subscriber (DESIGN.md)."""
    member_id = nm1_value(subscriber, f.NM1_SUBSCRIBER, f.NM1_ID)
    who, entity = (dependent, f.NM1_PATIENT) if dependent else (subscriber, f.NM1_SUBSCRIBER)
    last, first = nm1_value(who, entity, f.NM1_LAST), nm1_value(who, entity, f.NM1_FIRST)
    birth = next((get(s, f.DMG_BIRTH_DATE) for s in who if s[0] == "DMG"), "")
    key = patient_key(member_id, last, first, birth) if member_id and last else None
    return Patient(key, member_id, last, first, birth)


def _assemble(
    segments: list[Segment],
    context: _Context,
    delimiters: Delimiters,
    location: Location,
    interchange: str,
    transaction: str,
) -> Claim:
    if not segments or segments[0].elements[0] != "CLM":
        raise ClaimStructureError("claim block does not start with CLM", location)
    first_lx = next((i for i, s in enumerate(segments) if s.elements[0] == "LX"), len(segments))
    header = tuple(segments[:first_lx])
    clm = header[0].elements
    statement = _statement_dates(header)
    lines = tuple(_lines(segments, first_lx, delimiters, statement, location))
    facility = get(clm, f.CLM_FACILITY).split(delimiters.component.decode("latin-1"))
    facility_code = facility[f.FACILITY_CODE]
    frequency = facility[f.FACILITY_FREQUENCY] if len(facility) > f.FACILITY_FREQUENCY else ""
    hi = _hi(header, delimiters)
    return Claim(
        id=ClaimId(get(clm, f.CLM_ID)),
        total=_amount(get(clm, f.CLM_TOTAL), "CLM02", location),
        facility_code=facility_code,
        frequency=frequency,
        statement_from=statement[0],
        statement_to=statement[1],
        diagnoses=tuple(code for q, code, _ in hi if q in f.HI_DIAGNOSIS),
        procedures_icd=tuple(code for q, code, _ in hi if q in f.HI_PROCEDURE),
        condition_codes=tuple(code for q, code, _ in hi if q == f.HI_CONDITION),
        value_codes=tuple((code, amount) for q, code, amount in hi if q == f.HI_VALUE),
        notes=tuple(get(s.elements, f.NTE_TEXT) for s in header if s.elements[0] == "NTE"),
        filing_code=context[0],
        payer_id=PayerId(context[1]),
        patient=context[2],
        header=header,
        lines=lines,
        delimiters=delimiters,
        location=location,
        interchange=interchange,
        transaction=transaction,
        bill_type=facility_code + frequency if facility_code.isdigit() else "",
    )


def _amount(text: str, name: str, location: Location) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ClaimStructureError(f"{name} {text!r} is not an amount", location) from None
    if not value.is_finite():
        raise ClaimStructureError(f"{name} {text!r} is not an amount", location)
    return value


@lru_cache(maxsize=8192)  # a file's dates repeat (every line of a claim, every claim of a day)
def parse_date(text: str) -> date | None:
    """Parse CCYYMMDD; None when it is not a real date."""
    if len(text) != 8 or not is_count(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def period(fmt: str, value: str) -> tuple[date | None, date | None, str | None]:
    """Read a DTP D8/RD8 value as (from, to, problem)."""
    if fmt == "D8":
        day = parse_date(value)
        return (day, day, None) if day else (None, None, f"unreadable date {value!r}")
    if fmt == "RD8":
        start, _, end = value.partition("-")
        first, last = parse_date(start), parse_date(end)
        if first is None or last is None:
            return None, None, f"unreadable date range {value!r}"
        return first, last, None
    return None, None, f"date format {fmt!r} is neither D8 nor RD8"


def statement_dates(header: Sequence[Elements]) -> tuple[date | None, date | None]:
    """Return the first DTP*434's (from, to), or (None, None)."""
    for segment in header:
        if segment[0] == "DTP" and get(segment, f.DTP_QUALIFIER) == f.DTP_STATEMENT_DATES:
            first, last, _ = period(get(segment, f.DTP_FORMAT), get(segment, f.DTP_VALUE))
            return first, last
    return None, None


def _statement_dates(header: tuple[Segment, ...]) -> tuple[date | None, date | None]:
    return statement_dates([s.elements for s in header if s.elements[0] == "DTP"])


def line_date(group: Sequence[Elements], statement: tuple[date | None, date | None]) -> tuple[date | None, str | None]:
    """Apply RULES.md §3 Line DOS: DTP*472 D8 or a one-day RD8, else a one-day statement."""
    for segment in group:
        if segment[0] == "DTP" and get(segment, f.DTP_QUALIFIER) == f.DTP_SERVICE_DATE:
            first, last, problem = period(get(segment, f.DTP_FORMAT), get(segment, f.DTP_VALUE))
            if problem:
                return None, f"DTP*472 {problem}"
            if first != last:
                return None, f"DTP*472 is a range ({get(segment, f.DTP_VALUE)}), not one date of service"
            return first, None
    if statement[0] is not None and statement[0] == statement[1]:
        return statement[0], None
    return None, "no DTP*472 and the statement period (DTP*434) is not a single day"


def _lines(
    segments: list[Segment],
    first_lx: int,
    delimiters: Delimiters,
    statement: tuple[date | None, date | None],
    location: Location,
) -> list[ServiceLine]:
    out: list[ServiceLine] = []  # a claim without 2400 loops (not IG-valid, but it occurs) has none
    start = first_lx
    for index in range(first_lx + 1, len(segments)):
        if segments[index].elements[0] == "LX":
            out.append(_line(segments[start:index], delimiters, statement, location))
            start = index
    if start < len(segments):
        out.append(_line(segments[start:], delimiters, statement, location))
    return out


_SV2_WIDTH = max(f.SV2_REVENUE, f.SV2_PROCEDURE, f.SV2_CHARGE, f.SV2_UNITS, f.SV2_NONCOVERED) + 1
_SV2_PADDING = ("",) * _SV2_WIDTH


def _line(
    group: list[Segment],
    delimiters: Delimiters,
    statement: tuple[date | None, date | None],
    location: Location,
) -> ServiceLine:
    number = get(group[0].elements, f.LX_NUMBER)
    if not is_count(number):
        raise ClaimStructureError(f"LX01 {number!r} is not a line number", location)
    sv2_index = -1
    dates: list[tuple[str, ...]] = []
    for index, segment in enumerate(group):
        tag = segment.elements[0]
        if tag == "DTP":
            dates.append(segment.elements)
        elif tag == "SV2" and sv2_index < 0:
            sv2_index = index
    if sv2_index < 0:
        raise ClaimStructureError(f"service line LX {number} has no SV2", location)
    sv2 = group[sv2_index].elements
    if len(sv2) < _SV2_WIDTH:  # absent trailing elements read as ""
        sv2 = sv2 + _SV2_PADDING[len(sv2) :]
    day, problem = line_date(dates, statement)
    units, noncovered = sv2[f.SV2_UNITS], sv2[f.SV2_NONCOVERED]
    procedure = _procedure_of(sv2[f.SV2_PROCEDURE], delimiters.component.decode("latin-1"))
    return ServiceLine(
        number=int(number),
        segments=tuple(group),
        sv2_index=sv2_index,
        revenue_code=sv2[f.SV2_REVENUE],
        procedure=procedure,
        charge=_sv2_amount(sv2[f.SV2_CHARGE], number, "charge", location),
        units=_sv2_amount(units, number, "units", location) if units.strip() else None,
        noncovered=_sv2_amount(noncovered, number, "non-covered charge", location) if noncovered.strip() else None,
        date=day,
        date_problem=problem,
        code=procedure.code if procedure else "",
        modifiers=procedure.modifiers if procedure else (),
    )


def _sv2_amount(text: str, number: str, what: str, location: Location) -> Decimal:
    """Read an SV2 amount; the error names it (`SV2 of LX 3 charge '1O0' is not an amount`)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ClaimStructureError(f"SV2 of LX {number} {what} {text!r} is not an amount", location)
    return value


@lru_cache(maxsize=8192)  # SV202 values repeat (HC:38228, HC:G0463:25): one frozen Procedure each
def _procedure_of(value: str, component: str) -> Procedure | None:
    if not value:
        return None
    parts = value.split(component)
    first = f.PROC_FIRST_MODIFIER
    modifiers = tuple(m for m in parts[first : first + f.PROC_MODIFIER_SLOTS] if m)
    return Procedure(parts[f.PROC_QUALIFIER], parts[f.PROC_CODE] if len(parts) > 1 else "", modifiers)


def _hi(header: tuple[Segment, ...], delimiters: Delimiters) -> list[tuple[str, str, str]]:
    """Return (qualifier, code, amount) for every HI composite of the claim."""
    out: list[tuple[str, str, str]] = []
    comp = delimiters.component.decode("latin-1")
    for segment in header:
        if segment.elements[0] != "HI":
            continue
        for value in segment.elements[1:]:
            parts = value.split(comp)
            if len(parts) > f.HI_CODE:
                amount = parts[f.HI_AMOUNT] if len(parts) > f.HI_AMOUNT else ""
                out.append((parts[f.HI_QUALIFIER], parts[f.HI_CODE], amount))
    return out
