"""Pass 2 builds a CAR-T patient's other claims: the member id is read from NM109."""

from __future__ import annotations

import io

from cart837.claims.stream import ClaimBytes, FileStream, Interest
from tests.rules.harness import Patient, wrap

VISIT = """
CLM*V1*400***13:A:1**A*Y*Y
DTP*434*D8*20250501
LX*1
SV2*0510*HC:G0463*400.00*UN*1
"""


def _claims(interest: Interest) -> list[bytes]:
    data = wrap([(Patient(), VISIT), (Patient(member="OTHER77", last="ROE"), VISIT.replace("V1", "V2"))])
    stream = FileStream(io.BytesIO(data), "t.837", interest)
    return [event.data for event in stream.events() if isinstance(event, ClaimBytes)]


def test_claims_of_a_listed_member_are_built() -> None:
    built = _claims(Interest(member_ids=frozenset({"MEMBER001"})))
    assert [block.split(b"*")[1] for block in built] == [b"V1"]


def test_nm108_qualifier_is_not_taken_for_the_member_id() -> None:
    assert _claims(Interest(member_ids=frozenset({"MI"}))) == []


def test_a_member_id_in_a_segment_that_only_looks_like_nm1_builds_nothing() -> None:
    # The subscriber scan looks for NM1*IL* anywhere, then keeps only a match that starts a segment.
    look_alike = "\nPAT*****01***Y*NM1*IL*1*DOE*JANE****MI*WANTED9" + VISIT  # in the 2000B block, before the CLM
    data = wrap([(Patient(member="OTHER77", last="ROE"), look_alike)])
    assert b"*Y*NM1*IL*1*DOE*JANE****MI*WANTED9~CLM*" in data.replace(b"\n", b"")
    stream = FileStream(io.BytesIO(data), "t.837", Interest(member_ids=frozenset({"WANTED9"})))
    assert [event for event in stream.events() if isinstance(event, ClaimBytes)] == []
    real = FileStream(io.BytesIO(data), "t.837", Interest(member_ids=frozenset({"OTHER77"})))
    assert len([event for event in real.events() if isinstance(event, ClaimBytes)]) == 1


def test_a_subscriber_after_a_line_break_is_found() -> None:
    data = wrap([(Patient(), VISIT), (Patient(member="OTHER77", last="ROE"), VISIT.replace("V1", "V2"))])
    spaced = data.replace(b"~", b"~\r\n  ")  # whitespace after every terminator
    stream = FileStream(io.BytesIO(spaced), "t.837", Interest(member_ids=frozenset({"OTHER77"})))
    built = [event.data for event in stream.events() if isinstance(event, ClaimBytes)]
    assert [block.split(b"*")[1] for block in built] == [b"V2"]
