"""Pass 1's fast read_summary gives exactly the facts read_claim gives, on every kind of input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from cart837.claims.reader import read_claim
from cart837.claims.stream import ClaimBytes
from cart837.claims.summary import ClaimSummary, read_summary
from tests.strategies import files
from tests.support import PUBLIC, WELL_FORMED, generate, stream_join


def _everything(_payer: str, _revenue: str, _code: str) -> bool:
    return True


def _odd_revenue(_payer: str, revenue: str, _code: str) -> bool:
    return revenue[-1:] in "13579"


def _expected(block: ClaimBytes, relevant: Any) -> ClaimSummary:
    claim = read_claim(block, "t")
    lines = tuple(
        (line.number, line.revenue_code, line.code, line.date)
        for line in claim.lines
        if line.date is not None and relevant(claim.payer_id, line.revenue_code, line.code)
    )
    return ClaimSummary(claim.id, claim.bill_type, claim.payer_id, claim.patient.key, claim.patient.member_id, lines)


def _check(data: bytes) -> int:
    blocks = stream_join(data).claims
    for block in blocks:
        for relevant in (_everything, _odd_revenue):
            assert read_summary(block, "t", relevant) == _expected(block, relevant)
    return len(blocks)


@pytest.mark.parametrize("rel", WELL_FORMED)
def test_public_fixtures(rel: str) -> None:
    assert _check((PUBLIC / rel).read_bytes()) >= 1


@pytest.mark.parametrize(
    "mode",
    [
        {"line_ending": "crlf"},
        {"line_ending": "none", "delims": "|^>\n"},
        {"scenarios": ("patient_2000c", "wrong_era_code")},
    ],
)
def test_generated(mode: dict[str, Any]) -> None:
    assert _check(generate(claims=40, seed=5, cart_share=0.7, **mode).read_bytes()) == 40


@given(files())
def test_fuzzed(sample: tuple[bytes, list[tuple[str, str]]]) -> None:
    assert _check(sample[0]) == len(sample[1])
