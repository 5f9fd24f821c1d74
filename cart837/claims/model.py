"""The 837I values rules read: Claim (2300) and ServiceLine (2400), frozen."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from cart837.claims.fields import (
    HI_CODE,
    HI_CONDITION,
    HI_QUALIFIER,
    NTE_TEXT,
    REF_PAYER_CLAIM_CONTROL,
    REF_QUALIFIER,
    REF_VALUE,
    SV2_UNIT_BASIS,
)
from cart837.errors import Location
from cart837.ids import ClaimId, PatientKey, PayerId
from cart837.x12.delimiters import Delimiters
from cart837.x12.segment import Segment, components


@dataclass(frozen=True, slots=True)
class Procedure:
    """SV202: qualifier, code, up to four modifiers."""

    qualifier: str
    code: str
    modifiers: tuple[str, ...]


class ServiceLine(NamedTuple):
    """One 2400 loop; `number` is its LX01 in the input, the id findings use.

    Immutable. Lines and claims are named tuples, not frozen dataclasses: every CAR-T claim
    makes several, and a tuple is made ~3x faster (issue 14); `_replace` makes a changed copy.
    """

    number: int
    segments: tuple[Segment, ...]
    sv2_index: int
    revenue_code: str
    procedure: Procedure | None
    charge: Decimal
    units: Decimal | None
    noncovered: Decimal | None
    date: date | None
    date_problem: str | None
    # the procedure's parts, stored (rules read them ~60 times a claim): "" and () without SV202
    code: str  # the HCPCS/CPT code of SV202-2
    modifiers: tuple[str, ...]  # SV202-3..6

    @property
    def sv2(self) -> Segment:
        """Return the SV2 segment."""
        return self.segments[self.sv2_index]

    @property
    def unit_basis(self) -> str:
        """Return SV204 (UN, DA), or "" when absent; the TR3 requires it with SV205."""
        return self.sv2.element(SV2_UNIT_BASIS)


@dataclass(frozen=True, slots=True)
class Patient:
    """Who the claim is for. Identifying fields are PHI: kept out of repr, logs and reports."""

    key: PatientKey | None
    member_id: str = field(default="", repr=False)
    last_name: str = field(default="", repr=False)
    first_name: str = field(default="", repr=False)
    birth_date: str = field(default="", repr=False)

    def identifiers(self) -> dict[str, str]:
        """Return the PHI fields, for `--show-phi` reports only."""
        return {
            "member_id": self.member_id,
            "last_name": self.last_name,
            "first_name": self.first_name,
            "birth_date": self.birth_date,
        }


def patient_key(member_id: str, last_name: str, first_name: str, birth_date: str) -> PatientKey:
    """Hash the patient identity: "P" + 16 hex of sha256("NM109|LAST|FIRST|CCYYMMDD")."""
    text = f"{member_id}|{last_name}|{first_name}|{birth_date}".encode()
    return PatientKey("P" + hashlib.sha256(text).hexdigest()[:16])


class Claim(NamedTuple):
    """One 2300 claim with its lines, payer and patient context (immutable, as ServiceLine)."""

    id: ClaimId
    total: Decimal
    facility_code: str
    frequency: str
    statement_from: date | None
    statement_to: date | None
    diagnoses: tuple[str, ...]
    procedures_icd: tuple[str, ...]
    condition_codes: tuple[str, ...]
    value_codes: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    filing_code: str
    payer_id: PayerId
    patient: Patient
    header: tuple[Segment, ...]
    lines: tuple[ServiceLine, ...]
    delimiters: Delimiters
    location: Location
    interchange: str
    transaction: str
    bill_type: str  # facility code + frequency, e.g. `131` (empty when CLM05 cannot be read)

    @property
    def clm(self) -> Segment:
        """Return the CLM segment."""
        return self.header[0]

    def payer_claim_control_number(self) -> str | None:
        """Return the 2300 REF*F8 value (the claim a replacement or void refers to), or None."""
        segment = self._payer_claim_control()
        return segment.element(REF_VALUE) if segment else None

    def payer_claim_control_segment(self) -> str | None:
        """Return the 2300 REF*F8 segment's text, for a finding's `before`, or None."""
        segment = self._payer_claim_control()
        return segment.text() if segment else None

    def _payer_claim_control(self) -> Segment | None:
        return next(
            (s for s in self.header if s.elements[0] == "REF" and s.element(REF_QUALIFIER) == REF_PAYER_CLAIM_CONTROL),
            None,
        )

    def note_segment(self, text: str) -> str | None:
        """Return the first 2300 NTE whose text contains `text` (any case), for a finding's `before`."""
        wanted = text.lower()
        return next((s.text() for s in self.header if s.tag == "NTE" and wanted in s.element(NTE_TEXT).lower()), None)

    def condition_code_segment(self, code: str) -> str | None:
        """Return the first 2300 HI segment holding condition code `code` (HI BG), for a finding's `before`."""
        for segment in self.header:
            if segment.tag != "HI":
                continue
            for value in segment.elements[1:]:
                parts = components(value, self.delimiters)
                if len(parts) > HI_CODE and parts[HI_QUALIFIER] == HI_CONDITION and parts[HI_CODE] == code:
                    return segment.text()
        return None

    def line(self, number: int) -> ServiceLine:
        """Return the line whose input LX is `number`."""
        for line in self.lines:
            if line.number == number:
                return line
        raise KeyError(number)

    def segments(self) -> list[Segment]:
        """Return every segment of the claim in order."""
        out = list(self.header)
        for line in self.lines:
            out.extend(line.segments)
        return out

    def to_bytes(self) -> bytes:
        """Return the claim's bytes (untouched segments byte for byte)."""
        return b"".join(segment.raw for segment in self.segments())

    def line_charges(self) -> Decimal:
        """Return the sum of SV203 over the lines."""
        return sum((line.charge for line in self.lines), Decimal(0))
