"""Build Claim objects from a claim block's bytes and its 2000B/2000C context."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from cart837.claims import fields as f
from cart837.claims.model import Claim, Patient, Procedure, ServiceLine, patient_key
from cart837.claims.stream import ClaimBytes
from cart837.errors import ClaimStructureError, Location
from cart837.x12.delimiters import Delimiters
from cart837.x12.segment import Segment, components, split_segments


def read_claim(block: ClaimBytes, file: str) -> Claim:
    """Parse one claim block into a Claim."""
    location = Location(file, block.offset, block.segment_index, "CLM")
    segments = list(split_segments(block.data, block.delimiters))
    sub = list(split_segments(block.subscriber, block.delimiters)) if block.subscriber else []
    pat = list(split_segments(block.patient, block.delimiters)) if block.patient else []
    return build_claim(
        segments, sub, pat, block.delimiters, location, block.interchange, block.transaction
    )


def build_claim(
    segments: list[Segment],
    subscriber: list[Segment],
    patient: list[Segment],
    delimiters: Delimiters,
    location: Location,
    interchange: str,
    transaction: str,
) -> Claim:
    """Assemble a Claim from its segments (CLM first) and context segments."""
    if not segments or segments[0].tag != "CLM":
        raise ClaimStructureError("claim block does not start with CLM", location)
    first_lx = next((i for i, s in enumerate(segments) if s.tag == "LX"), len(segments))
    header = tuple(segments[:first_lx])
    clm = header[0]
    statement = _statement_dates(header, location)
    lines = tuple(_lines(segments[first_lx:], delimiters, statement, location))
    facility = components(clm.element(f.CLM_FACILITY), delimiters)
    hi = _hi(header, delimiters)
    return Claim(
        id=clm.element(f.CLM_ID),
        total=_amount(clm.element(f.CLM_TOTAL), "CLM02", location),
        facility_code=facility[f.FACILITY_CODE] if facility else "",
        frequency=facility[f.FACILITY_FREQUENCY] if len(facility) > f.FACILITY_FREQUENCY else "",
        statement_from=statement[0],
        statement_to=statement[1],
        diagnoses=tuple(code for q, code, _ in hi if q in f.HI_DIAGNOSIS),
        procedures_icd=tuple(code for q, code, _ in hi if q in f.HI_PROCEDURE),
        condition_codes=tuple(code for q, code, _ in hi if q == f.HI_CONDITION),
        value_codes=tuple((code, amount) for q, code, amount in hi if q == f.HI_VALUE),
        notes=tuple(s.element(f.NTE_TEXT) for s in header if s.tag == "NTE"),
        filing_code=_first(subscriber, "SBR", f.SBR_FILING),
        payer_id=_nm1(subscriber, f.NM1_PAYER, f.NM1_ID),
        patient=_patient(subscriber, patient),
        header=header,
        lines=lines,
        delimiters=delimiters,
        location=location,
        interchange=interchange,
        transaction=transaction,
    )


def _amount(text: str, name: str, location: Location) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ClaimStructureError(f"{name} {text!r} is not an amount", location) from None
    if not value.is_finite():
        raise ClaimStructureError(f"{name} {text!r} is not an amount", location)
    return value


def _optional_amount(text: str, name: str, location: Location) -> Decimal | None:
    return _amount(text, name, location) if text.strip() else None


def parse_date(text: str) -> date | None:
    """Parse CCYYMMDD; None when it is not a real date."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _period(fmt: str, value: str) -> tuple[date | None, date | None, str | None]:
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


def _statement_dates(header: tuple[Segment, ...], location: Location) -> tuple[date | None, date | None]:
    for segment in header:
        if segment.tag == "DTP" and segment.element(f.DTP_QUALIFIER) == f.DTP_STATEMENT_DATES:
            first, last, _ = _period(segment.element(f.DTP_FORMAT), segment.element(f.DTP_VALUE))
            return first, last
    return None, None


def _line_date(
    segments: list[Segment], statement: tuple[date | None, date | None]
) -> tuple[date | None, str | None]:
    """Apply RULES.md §3 Line DOS: DTP*472 D8 or a one-day RD8, else a one-day statement."""
    for segment in segments:
        if segment.tag == "DTP" and segment.element(f.DTP_QUALIFIER) == f.DTP_SERVICE_DATE:
            first, last, problem = _period(segment.element(f.DTP_FORMAT), segment.element(f.DTP_VALUE))
            if problem:
                return None, f"DTP*472 {problem}"
            if first != last:
                return None, f"DTP*472 is a range ({segment.element(f.DTP_VALUE)}), not one date of service"
            return first, None
    if statement[0] is not None and statement[0] == statement[1]:
        return statement[0], None
    return None, "no DTP*472 and the statement period (DTP*434) is not a single day"


def _lines(
    segments: list[Segment],
    delimiters: Delimiters,
    statement: tuple[date | None, date | None],
    location: Location,
) -> list[ServiceLine]:
    groups: list[list[Segment]] = []
    for segment in segments:
        if segment.tag == "LX" or not groups:
            groups.append([])
        groups[-1].append(segment)
    return [_line(group, delimiters, statement, location) for group in groups]


def _line(
    group: list[Segment],
    delimiters: Delimiters,
    statement: tuple[date | None, date | None],
    location: Location,
) -> ServiceLine:
    lx = group[0]
    if lx.tag != "LX" or not lx.element(f.LX_NUMBER).isdigit():
        raise ClaimStructureError(f"service line starts with {lx.tag}, not a numbered LX", location)
    sv2_index = next((i for i, s in enumerate(group) if s.tag == "SV2"), None)
    if sv2_index is None:
        raise ClaimStructureError(f"service line LX {lx.element(f.LX_NUMBER)} has no SV2", location)
    sv2 = group[sv2_index]
    where = f"SV2 of LX {lx.element(f.LX_NUMBER)}"
    day, problem = _line_date(group, statement)
    return ServiceLine(
        number=int(lx.element(f.LX_NUMBER)),
        segments=tuple(group),
        sv2_index=sv2_index,
        revenue_code=sv2.element(f.SV2_REVENUE),
        procedure=_procedure(sv2.element(f.SV2_PROCEDURE), delimiters),
        charge=_amount(sv2.element(f.SV2_CHARGE), f"{where} charge", location),
        unit_basis=sv2.element(f.SV2_UNIT_BASIS),
        units=_optional_amount(sv2.element(f.SV2_UNITS), f"{where} units", location),
        noncovered=_optional_amount(sv2.element(f.SV2_NONCOVERED), f"{where} non-covered charge", location),
        date=day,
        date_problem=problem,
    )


def _procedure(value: str, delimiters: Delimiters) -> Procedure | None:
    if not value:
        return None
    parts = components(value, delimiters)
    first = f.PROC_FIRST_MODIFIER
    modifiers = tuple(m for m in parts[first : first + f.PROC_MODIFIER_SLOTS] if m)
    return Procedure(parts[f.PROC_QUALIFIER], parts[f.PROC_CODE] if len(parts) > 1 else "", modifiers)


def _hi(header: tuple[Segment, ...], delimiters: Delimiters) -> list[tuple[str, str, str]]:
    """Return (qualifier, code, amount) for every HI composite of the claim."""
    out: list[tuple[str, str, str]] = []
    for segment in header:
        if segment.tag != "HI":
            continue
        for value in segment.elements[1:]:
            parts = components(value, delimiters)
            if len(parts) > f.HI_CODE:
                amount = parts[f.HI_AMOUNT] if len(parts) > f.HI_AMOUNT else ""
                out.append((parts[f.HI_QUALIFIER], parts[f.HI_CODE], amount))
    return out


def _first(segments: list[Segment], tag: str, index: int) -> str:
    return next((s.element(index) for s in segments if s.tag == tag), "")


def _nm1(segments: list[Segment], entity: str, index: int) -> str:
    return next(
        (s.element(index) for s in segments if s.tag == "NM1" and s.element(f.NM1_ENTITY) == entity), ""
    )


def _birth_date(segments: list[Segment]) -> str:
    return _first(segments, "DMG", f.DMG_BIRTH_DATE)


def _patient(subscriber: list[Segment], dependent: list[Segment]) -> Patient:
    """2010CA patient when a 2000C loop exists, else the 2010BA subscriber (DESIGN.md)."""
    member_id = _nm1(subscriber, f.NM1_SUBSCRIBER, f.NM1_ID)
    who, entity = (dependent, f.NM1_PATIENT) if dependent else (subscriber, f.NM1_SUBSCRIBER)
    last, first = _nm1(who, entity, f.NM1_LAST), _nm1(who, entity, f.NM1_FIRST)
    birth = _birth_date(who)
    key = patient_key(member_id, last, first, birth) if member_id and last else None
    return Patient(key, member_id, last, first, birth)
