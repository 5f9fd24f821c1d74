"""The claim model reads the right claims, lines and values from every well-formed public fixture."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from cart837.claims.model import Claim
from tests.support import PUBLIC, WELL_FORMED, read_claims

D = Decimal


def key(member: str, last: str, first: str, dob: str) -> str:
    """DESIGN.md: "P" + 16 hex of sha256("NM109|LAST|FIRST|CCYYMMDD") (computed here independently)."""
    return "P" + hashlib.sha256(f"{member}|{last}|{first}|{dob}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class L:
    """Expected 2400 values."""

    number: int
    revenue: str
    code: str
    charge: Decimal
    units: Decimal
    day: date


@dataclass(frozen=True)
class C:
    """Expected 2300 values."""

    id: str
    total: Decimal
    bill_type: str
    statement: tuple[date | None, date | None]
    diagnoses: tuple[str, ...]
    conditions: tuple[str, ...]
    values: tuple[tuple[str, str], ...]
    filing: str
    payer: str
    patient: str
    lines: tuple[L, ...]
    facility: str = ""


def d(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


DOE_1926 = key("030005074A", "DOE", "JOHN", "19261111")
SMITH_1962 = key("34902390F", "SMITH", "JAMES", "19621015")
JOY_1998 = key("345U8423H", "JONES", "JOY", "19980820")  # 2000C patient, subscriber's NM109
DX_756048Q = ("3669", "4019", "79431")
LINES_756048Q = (
    L(1, "0305", "85025", D("13.39"), D("1"), d("19960911")),
    L(2, "0730", "93005", D("76.54"), D("3"), d("19960911")),
)
PPO_LINES = (
    L(1, "0471", "92557", D("178"), D("1"), d("20050706")),
    L(2, "0471", "92567", D("59.5"), D("1"), d("20050706")),
)
OON_LINE = (L(1, "0301", "82270", D("14.84"), D("1"), d("20050617")),)

EXPECTED: dict[str, tuple[C, ...]] = {
    # ISA16 is "^" (= ISA11) but the data writes ":": composites stay opaque, nothing is guessed.
    "inteligenz-x12parser/Spec_3.1.1.txt": (
        C(
            "756048Q",
            D("89.93"),
            "",
            (d("19960911"), d("19960911")),
            (),
            (),
            (),
            "MB",
            "00435",
            DOE_1926,
            tuple(L(x.number, x.revenue, "", x.charge, x.units, x.day) for x in LINES_756048Q),
            "14:A:1",
        ),
    ),
    # CLM05 "13>A>1" while ISA16 is ":" (a source data bug): CLM05 is one opaque element, no bill type.
    "inteligenz-x12parser/Spec_3.1.3_PPORepricedClaim.txt": (
        C(
            "456DFH43",
            D("237.5"),
            "",
            (d("20050706"), d("20050706")),
            (),
            (),
            (),
            "CI",
            "7452723",
            JOY_1998,
            tuple(L(x.number, x.revenue, "", x.charge, x.units, x.day) for x in PPO_LINES),
            "13>A>1",
        ),
    ),
    "inteligenz-x12parser/Spec_3.1.4_OutOfNetworkRepricedClaim.txt": (
        C(
            "W392-49141",
            D("14.84"),
            "",
            (d("20050617"), d("20050617")),
            (),
            (),
            (),
            "CI",
            "00123",
            SMITH_1962,
            (L(1, "0301", "", D("14.84"), D("1"), d("20050617")),),
            "13>A>1",
        ),
    ),
    "linuxforhealth-x12/institutional-claim.837i": (
        C(
            "756048Q",
            D("89.93"),
            "141",
            (d("19960911"), d("19960911")),
            DX_756048Q,
            ("09",),
            (("A2", "15.31"),),
            "MB",
            "00435",
            key("030005074A", "DOE", "JON", "19261111"),
            LINES_756048Q,
        ),
    ),
    "linuxforhealth-x12/out-of-network-repriced-claim.837i": (
        C(
            "W392-49141",
            D("14.84"),
            "",
            (d("20050617"), d("20050617")),
            (),
            (),
            (),
            "CI",
            "0012",
            SMITH_1962,
            (L(1, "0301", "", D("14.84"), D("1.00"), d("20050617")),),
            "13>A>1",
        ),
    ),
    "linuxforhealth-x12/two-claims-single-provider.837i": (
        C(
            "756048Q",
            D("89.95"),
            "131",
            (d("20050315"), d("20050315")),
            DX_756048Q,
            (),
            (),
            "CH",
            "99999",
            key("030005074", "DOE", "JON", "19681111"),
            (
                L(1, "0305", "85025", D("13.39"), D("1"), d("20050315")),
                L(2, "0730", "93005", D("76.56"), D("3"), d("20050315")),
            ),
        ),
        C(
            "756049Q",
            D("50.00"),
            "131",
            (d("20050401"), d("20050401")),
            ("30000",),
            (),
            (),
            "CH",
            "99999",
            key("123405074", "SMITH", "JOE", "19621210"),
            (L(1, "0300", "85087", D("50.00"), D("1"), d("20050401")),),
        ),
    ),
    # DTP*434*RD8*19960911 is not a range: no statement dates; the lines carry DTP*472.
    "stupidedi/837-institutional-claim.edi": (
        C(
            "756048Q",
            D("89.93"),
            "141",
            (None, None),
            DX_756048Q,
            ("09",),
            (("A2", "15.31"),),
            "MB",
            "00435",
            DOE_1926,
            LINES_756048Q,
        ),
    ),
    # BK principal, PR patient's reason for visit, BN external cause (ICD-9 qualifiers).
    "stupidedi/automobile-accident.edi": (
        C(
            "67236695521",
            D("545"),
            "131",
            (d("20051031"), d("20051101")),
            ("8842", "8842", "E9750", "E9860"),
            (),
            (),
            "AM",
            "999888777",
            key("B999777791G", "MEXICO", "RON", "19480601"),
            (
                L(1, "0450", "98765", D("150"), D("1"), d("20051031")),
                L(2, "0360", "26591", D("75"), D("1"), d("20051031")),
                L(3, "0312", "86225", D("100"), D("2"), d("20051031")),
                L(4, "0360", "99283", D("220"), D("1"), d("20051031")),
            ),
        ),
    ),
    "stupidedi/out-of-network-repriced-claim.edi": (
        C(
            "W392-49141",
            D("14.84"),
            "131",
            (d("20050617"), d("20050617")),
            ("53081",),
            (),
            (),
            "CI",
            "00123",
            SMITH_1962,
            OON_LINE,
        ),
    ),
    "stupidedi/ppo-repriced-claim.edi": (
        C(
            "456DFH43",
            D("237.5"),
            "131",
            (d("20050706"), d("20050706")),
            ("38181", "38900"),
            (),
            (),
            "CI",
            "7452723",
            JOY_1998,
            PPO_LINES,
        ),
    ),
}


def test_every_well_formed_fixture_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(WELL_FORMED)


@pytest.mark.parametrize("rel", WELL_FORMED)
@pytest.mark.parametrize("chunk", [None, 64])
def test_public_claims(rel: str, chunk: int | None) -> None:
    claims = read_claims((PUBLIC / rel).read_bytes(), chunk_size=chunk)
    expected = EXPECTED[rel]
    assert [c.id for c in claims] == [e.id for e in expected]
    for claim, want in zip(claims, expected, strict=True):
        _check_claim(claim, want)


def _check_claim(claim: Claim, want: C) -> None:
    assert claim.total == want.total
    assert claim.total == claim.line_charges()
    assert claim.bill_type == want.bill_type
    if want.facility:
        assert claim.facility_code == want.facility
    assert (claim.statement_from, claim.statement_to) == want.statement
    assert claim.diagnoses == want.diagnoses
    assert claim.condition_codes == want.conditions
    assert claim.value_codes == want.values
    assert claim.procedures_icd == ()
    assert claim.filing_code == want.filing
    assert claim.payer_id == want.payer
    assert claim.patient.key == want.patient
    got = [(x.number, x.revenue_code, x.code, x.charge, x.units, x.date) for x in claim.lines]
    assert got == [(x.number, x.revenue, x.code, x.charge, x.units, x.day) for x in want.lines]
    for line in claim.lines:
        assert line.modifiers == ()
        assert line.noncovered is None
        assert line.date_problem is None
        assert line.sv2.tag == "SV2"
