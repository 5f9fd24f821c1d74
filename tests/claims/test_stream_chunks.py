"""Which claims FileStream builds, and their 2000B/2000C context, never depend on where a chunk ends."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cart837.claims.model import patient_key
from cart837.claims.reader import read_claim
from cart837.claims.stream import Interest
from tests.support import CART_CLAIM, DEPENDENT_CLAIM, PLAIN_CLAIM, ClaimSpec, Style, interchange, stream_join

CHUNKS = [*range(64, 1100, 37), 4096, None]
VISITS = [replace(PLAIN_CLAIM, id=f"V{n}", member="M0001", same_patient=n > 0) for n in range(6)]
KIDS = [replace(DEPENDENT_CLAIM, id=f"K{n}", member="M0001", same_patient=n > 0) for n in range(3)]
CLAIMS: list[ClaimSpec] = [
    replace(CART_CLAIM, member="M0009"),
    *VISITS,
    replace(PLAIN_CLAIM, id="OTHER", member="M0002"),
    *KIDS,
    replace(PLAIN_CLAIM, id="LAST", member="M0003"),
]
STYLES = [Style(), Style("|", "^", "^", "\n", ("  ",)), Style(suffixes=("\r\n  ", "\r\n"))]


@pytest.mark.parametrize("style", STYLES, ids=["tilde", "newline-indented", "crlf-indented"])
@pytest.mark.parametrize("chunk", CHUNKS)
def test_claims_of_a_member_of_interest_at_every_chunk_size(style: Style, chunk: int | None) -> None:
    """Pass 2 builds every claim of a CAR-T patient (member id), however long its 2000B loop."""
    data = interchange(style, 1, [CLAIMS[:5], CLAIMS[5:]])
    joined = stream_join(data, Interest(member_ids=frozenset({"M0001"})), chunk)
    assert joined.data == data
    claims = [read_claim(block, "t") for block in joined.claims]
    assert [c.id for c in claims] == [c.id for c in [*VISITS, *KIDS]]
    subscriber, child = patient_key("M0001", "DOE", "JANE", "19600101"), patient_key("M0001", "DOE", "TIM", "20100101")
    assert [c.patient.key for c in claims] == [subscriber] * len(VISITS) + [child] * len(KIDS)
    assert {c.transaction for c in claims} == {"0001", "0002"}


@pytest.mark.parametrize("chunk", CHUNKS)
def test_codes_of_interest_and_context_at_every_chunk_size(chunk: int | None) -> None:
    data = interchange(Style(suffixes=("\r\n",)), 7, [CLAIMS])
    joined = stream_join(data, Interest(revenue_codes=frozenset({"0874"})), chunk)
    claims = [read_claim(block, "t") for block in joined.claims]
    assert [c.id for c in claims] == ["CLAIM1", "K0", "K1", "K2"]
    assert [c.patient.member_id for c in claims] == ["M0009", "M0001", "M0001", "M0001"]
    assert [c.patient.first_name for c in claims] == ["JANE", "TIM", "TIM", "TIM"]
    assert [c.filing_code for c in claims] == ["MB", "CI", "CI", "CI"]
    assert all(c.interchange == "000000007" for c in claims)
