"""Pass 1: what the episode index needs of a claim, read without building Segment/ServiceLine objects.

read_summary gives the same facts (and raises the same errors) as read_claim: anything
unusual (a bad amount, a line without SV2, an LX that is not a plain number) goes through
read_claim, which decides. tests/claims/test_summary.py holds it to that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from cart837.claims import fields as f
from cart837.claims.events import ClaimBytes
from cart837.claims.reader import element_lists, get, line_date, nm1_value, patient_of, read_claim, statement_dates
from cart837.ids import ClaimId, PatientKey, PayerId
from cart837.x12.envelope import is_count

LineSummary = tuple[int, str, str, date]  # (input LX, SV201 revenue code, SV202-2 code, date of service)
Relevant = Callable[[PayerId, str, str], bool]  # (payer id, revenue code, procedure code) -> keep the line?

_PLAIN_AMOUNT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")  # what Decimal() reads without surprise


@dataclass(frozen=True, slots=True)
class ClaimSummary:
    """The episode facts of one claim: ids, payer, patient and its relevant dated lines."""

    id: ClaimId
    bill_type: str
    payer_id: PayerId
    patient_key: PatientKey | None
    member_id: str
    lines: tuple[LineSummary, ...]


def read_summary(block: ClaimBytes, file: str, relevant: Relevant) -> ClaimSummary:
    """Return the episode facts of a claim block; the same facts (and errors) as read_claim."""
    fast = _fast_summary(block, relevant)
    if fast is not None:
        return fast
    claim = read_claim(block, file)
    lines = tuple(
        (line.number, line.revenue_code, line.code, line.date)
        for line in claim.lines
        if line.date is not None and relevant(claim.payer_id, line.revenue_code, line.code)
    )
    return ClaimSummary(claim.id, claim.bill_type, claim.payer_id, claim.patient.key, claim.patient.member_id, lines)


def _plain(text: str) -> bool:
    return _PLAIN_AMOUNT.fullmatch(text) is not None


def _fast_summary(block: ClaimBytes, relevant: Relevant) -> ClaimSummary | None:
    delimiters = block.delimiters
    segments = element_lists(block.data, delimiters)
    if not segments or segments[0][0] != "CLM" or not _plain(get(segments[0], f.CLM_TOTAL)):
        return None
    subscriber = element_lists(block.subscriber, delimiters)
    payer = PayerId(nm1_value(subscriber, f.NM1_PAYER, f.NM1_ID))
    first_lx = next((i for i, segment in enumerate(segments) if segment[0] == "LX"), len(segments))
    statement = statement_dates(segments[:first_lx])
    lines = _fast_lines(segments[first_lx:], statement, payer, relevant, delimiters.component.decode("latin-1"))
    if lines is None:
        return None
    clm = segments[0]
    facility = get(clm, f.CLM_FACILITY).split(delimiters.component.decode("latin-1"))
    code = facility[f.FACILITY_CODE]
    frequency = facility[f.FACILITY_FREQUENCY] if len(facility) > f.FACILITY_FREQUENCY else ""
    patient = patient_of(subscriber, element_lists(block.patient, delimiters))
    return ClaimSummary(
        ClaimId(get(clm, f.CLM_ID)),
        code + frequency if code.isdigit() else "",
        payer,
        patient.key,
        patient.member_id,
        lines,
    )


def _fast_lines(
    segments: list[list[str]],
    statement: tuple[date | None, date | None],
    payer: PayerId,
    relevant: Relevant,
    comp: str,
) -> tuple[LineSummary, ...] | None:
    """Return the relevant dated lines, or None when a line needs read_claim's judgement."""
    starts = [i for i, segment in enumerate(segments) if segment[0] == "LX"]
    out: list[LineSummary] = []
    for number, start in enumerate(starts):
        group = segments[start : starts[number + 1] if number + 1 < len(starts) else len(segments)]
        lx = get(group[0], f.LX_NUMBER)
        sv2 = next((segment for segment in group if segment[0] == "SV2"), None)
        if sv2 is None or not is_count(lx) or not _plain(get(sv2, f.SV2_CHARGE)):
            return None
        for index in (f.SV2_UNITS, f.SV2_NONCOVERED):
            optional = get(sv2, index)
            if optional.strip() and not _plain(optional):
                return None
        revenue, code = get(sv2, f.SV2_REVENUE), _code(get(sv2, f.SV2_PROCEDURE), comp)
        if not relevant(payer, revenue, code):
            continue
        day, _ = line_date(group, statement)
        if day is not None:
            out.append((int(lx), revenue, code, day))
    return tuple(out)


def _code(procedure: str, comp: str) -> str:
    """Return SV202-2 as read_claim reads it ("" when SV202 is empty or has no code part)."""
    if not procedure:
        return ""
    parts = procedure.split(comp)
    return parts[f.PROC_CODE] if len(parts) > 1 else ""
