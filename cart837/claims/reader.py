"""Build Claim objects from a claim block's bytes and its 2000B/2000C context."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from cart837.claims import fields as f
from cart837.claims.model import Claim, Patient, Procedure, ServiceLine, patient_key
from cart837.claims.stream import ClaimBytes
from cart837.errors import ClaimStructureError, Location
from cart837.x12.delimiters import Delimiters
from cart837.x12.envelope import is_count
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
    if len(text) != 8 or not is_count(text):
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
    if lx.tag != "LX":
        raise ClaimStructureError(f"service line starts with {lx.tag}, not LX", location)
    if not is_count(lx.element(f.LX_NUMBER)):
        raise ClaimStructureError(f"LX01 {lx.element(f.LX_NUMBER)!r} is not a line number", location)
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


# -- pass 1: what the episode index needs, without building Segment/ServiceLine objects ----------

LineSummary = tuple[int, str, str, date]  # (input LX, SV201 revenue code, SV202-2 code, date of service)
Relevant = Callable[[str, str, str], bool]  # (payer id, revenue code, procedure code) -> keep the line?

_PLAIN_AMOUNT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")  # what Decimal() reads without surprise
_BREAKS = " \t\r\n"


@dataclass(frozen=True, slots=True)
class ClaimSummary:
    """The episode facts of one claim: ids, payer, patient and its relevant dated lines."""

    id: str
    bill_type: str
    payer_id: str
    patient_key: str | None
    member_id: str
    lines: tuple[LineSummary, ...]


def read_summary(block: ClaimBytes, file: str, relevant: Relevant) -> ClaimSummary:
    """Return the episode facts of a claim block; the same facts (and errors) as read_claim.

    Plain claims are read from element lists only; anything unusual (a bad amount, a line
    without SV2, an LX that is not a plain number) goes through read_claim, which decides.
    """
    fast = _fast_summary(block, relevant)
    if fast is not None:
        return fast
    claim = read_claim(block, file)
    lines = tuple(
        (line.number, line.revenue_code, line.code, line.date)
        for line in claim.lines
        if line.date is not None and relevant(claim.payer_id, line.revenue_code, line.code)
    )
    return ClaimSummary(
        claim.id, claim.bill_type, claim.payer_id, claim.patient.key, claim.patient.member_id, lines
    )


def _elements(data: bytes | None, delimiters: Delimiters) -> list[list[str]]:
    """Split bytes into segments' element lists exactly as split_segments does (suffixes dropped)."""
    if not data:
        return []
    pieces = data.decode("latin-1").split(delimiters.segment.decode("latin-1"))
    bodies = [pieces[0], *(piece.lstrip(_BREAKS) for piece in pieces[1:])]
    if len(bodies) > 1 and not bodies[-1]:
        bodies.pop()  # after the last terminator: nothing, or line breaks that belong to it
    sep = delimiters.element.decode("latin-1")
    return [body.split(sep) for body in bodies]


def _get(elements: list[str], index: int) -> str:
    return elements[index] if index < len(elements) else ""


def _plain(text: str) -> bool:
    return _PLAIN_AMOUNT.fullmatch(text) is not None


def _fast_summary(block: ClaimBytes, relevant: Relevant) -> ClaimSummary | None:
    delimiters = block.delimiters
    segments = _elements(block.data, delimiters)
    if not segments or segments[0][0] != "CLM" or not _plain(_get(segments[0], f.CLM_TOTAL)):
        return None
    subscriber = _elements(block.subscriber, delimiters)
    payer = _nm1_elements(subscriber, f.NM1_PAYER, f.NM1_ID)
    first_lx = next((i for i, segment in enumerate(segments) if segment[0] == "LX"), len(segments))
    statement = _fast_statement(segments[:first_lx])
    lines = _fast_lines(segments[first_lx:], statement, payer, relevant, delimiters.component.decode("latin-1"))
    if lines is None:
        return None
    clm = segments[0]
    facility = components(_get(clm, f.CLM_FACILITY), delimiters)
    code = facility[f.FACILITY_CODE]
    frequency = facility[f.FACILITY_FREQUENCY] if len(facility) > f.FACILITY_FREQUENCY else ""
    patient = _fast_patient(subscriber, _elements(block.patient, delimiters))
    return ClaimSummary(
        _get(clm, f.CLM_ID), code + frequency if code.isdigit() else "", payer, patient[0], patient[1], lines
    )


def _fast_statement(header: list[list[str]]) -> tuple[date | None, date | None]:
    for segment in header:
        if segment[0] == "DTP" and _get(segment, f.DTP_QUALIFIER) == f.DTP_STATEMENT_DATES:
            first, last, _ = _period(_get(segment, f.DTP_FORMAT), _get(segment, f.DTP_VALUE))
            return first, last
    return None, None


def _fast_lines(
    segments: list[list[str]],
    statement: tuple[date | None, date | None],
    payer: str,
    relevant: Relevant,
    comp: str,
) -> tuple[LineSummary, ...] | None:
    """Return the relevant dated lines, or None when a line needs read_claim's judgement."""
    starts = [i for i, segment in enumerate(segments) if segment[0] == "LX"]
    out: list[LineSummary] = []
    for number, start in enumerate(starts):
        group = segments[start : starts[number + 1] if number + 1 < len(starts) else len(segments)]
        lx = _get(group[0], f.LX_NUMBER)
        sv2 = next((segment for segment in group if segment[0] == "SV2"), None)
        if sv2 is None or not (lx.isascii() and lx.isdigit()) or not _plain(_get(sv2, f.SV2_CHARGE)):
            return None
        for index in (f.SV2_UNITS, f.SV2_NONCOVERED):
            optional = _get(sv2, index)
            if optional.strip() and not _plain(optional):
                return None
        revenue, procedure = _get(sv2, f.SV2_REVENUE), _get(sv2, f.SV2_PROCEDURE)
        code = _fast_code(procedure, comp)
        if not relevant(payer, revenue, code):
            continue
        day = _fast_line_date(group, statement)
        if day is not None:
            out.append((int(lx), revenue, code, day))
    return tuple(out)


def _fast_code(procedure: str, comp: str) -> str:
    """Return SV202-2 as _procedure reads it ("" when SV202 is empty or has no code part)."""
    if not procedure:
        return ""
    parts = procedure.split(comp)
    return parts[f.PROC_CODE] if len(parts) > 1 else ""


def _fast_line_date(group: list[list[str]], statement: tuple[date | None, date | None]) -> date | None:
    """Return the line's date of service by _line_date's rule (None when it has none)."""
    for segment in group:
        if segment[0] == "DTP" and _get(segment, f.DTP_QUALIFIER) == f.DTP_SERVICE_DATE:
            first, last, problem = _period(_get(segment, f.DTP_FORMAT), _get(segment, f.DTP_VALUE))
            return None if problem or first != last else first
    if statement[0] is not None and statement[0] == statement[1]:
        return statement[0]
    return None


def _nm1_elements(segments: list[list[str]], entity: str, index: int) -> str:
    for segment in segments:
        if segment[0] == "NM1" and _get(segment, f.NM1_ENTITY) == entity:
            return _get(segment, index)
    return ""


def _fast_patient(subscriber: list[list[str]], dependent: list[list[str]]) -> tuple[str | None, str]:
    """Return (patient key, member id) by _patient's rule."""
    member_id = _nm1_elements(subscriber, f.NM1_SUBSCRIBER, f.NM1_ID)
    who, entity = (dependent, f.NM1_PATIENT) if dependent else (subscriber, f.NM1_SUBSCRIBER)
    last, first = _nm1_elements(who, entity, f.NM1_LAST), _nm1_elements(who, entity, f.NM1_FIRST)
    birth = next((_get(segment, f.DMG_BIRTH_DATE) for segment in who if segment[0] == "DMG"), "")
    key = patient_key(member_id, last, first, birth) if member_id and last else None
    return key, member_id
