"""Pass 1's fast read_summary gives exactly the facts read_claim gives, on every kind of input.

read_summary hands unusual claims to read_claim itself; comparing that answer with read_claim's
would test read_claim against itself, so every well-formed input here must take the fast path
(the fallback raises), and the fallback has its own test against a twin claim's fast answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from unittest import mock

import pytest
from hypothesis import given

from cart837.claims import summary as summary_module
from cart837.claims.model import Claim
from cart837.claims.reader import read_claim
from cart837.claims.stream import ClaimBytes
from cart837.claims.summary import ClaimSummary, read_summary
from tests.strategies import files
from tests.support import (
    CART_CLAIM,
    PUBLIC,
    WELL_FORMED,
    Line,
    Style,
    generate,
    interchange,
    is_compiled,
    stream_join,
)


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


# Compiled, read_summary calls read_claim directly and the spy sees nothing: the fallback counts are
# checked on the source run (make pytest-pure, CI); the results are compared on both builds.
SPY_BLIND = is_compiled(summary_module)


@contextmanager
def _fallbacks() -> Iterator[list[str]]:
    """Count the claims read_summary hands to read_claim (their ids, in order)."""
    taken: list[str] = []

    def counted(block: ClaimBytes, file: str) -> Claim:
        claim = read_claim(block, file)
        taken.append(claim.id)
        return claim

    with mock.patch.object(summary_module, "read_claim", counted):
        yield taken


def _check(data: bytes) -> int:
    blocks = stream_join(data).claims
    with _fallbacks() as taken:
        for block in blocks:
            for relevant in (_everything, _odd_revenue):
                assert read_summary(block, "t", relevant) == _expected(block, relevant)
    assert taken == [] or SPY_BLIND, "a well-formed claim must not need read_claim"
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


@pytest.mark.parametrize(
    "odd",
    [
        {"charge": "1E+3"},  # an exponent: Decimal reads it, the fast path leaves it to read_claim
        {"units": "1E0"},
        {"noncovered": " 1e2"},
    ],
)
def test_an_unusual_line_falls_back_and_gives_what_its_plain_twin_gives(odd: dict[str, str]) -> None:
    plain = replace(CART_CLAIM, lines=(*CART_CLAIM.lines[:2], Line("0874", "38228", charge="1000", units="1")))
    unusual = replace(plain, lines=(*plain.lines[:2], replace(plain.lines[2], **odd)))
    blocks = [stream_join(interchange(Style(), 1, [[spec]])).claims[0] for spec in (plain, unusual)]
    with _fallbacks() as taken:
        fast, slow = (read_summary(block, "t", _everything) for block in blocks)
    assert taken == [unusual.id] or SPY_BLIND
    assert slow == fast and len(fast.lines) == 3 and fast.lines[2][1:3] == ("0874", "38228")
