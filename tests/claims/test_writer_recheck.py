"""The writer re-reads what it changed (black's assert_stable, where the output differs from the input)."""

from __future__ import annotations

import io

import pytest

from cart837.claims.edits import apply, set_charge
from cart837.claims.model import Claim
from cart837.claims.reader import read_claim
from cart837.claims.stream import ClaimBytes, FileStream
from cart837.claims.writer import write_events
from cart837.errors import InvariantError
from cart837.x12.segment import Segment
from tests.support import everything, generate, stream_join


def _data(line_ending: str) -> bytes:
    return generate(claims=6, seed=7, cart_share=1.0, line_ending=line_ending, claims_per_st=3).read_bytes()


def _rewrite(data: bytes, change: object) -> bytes:
    stream = FileStream(io.BytesIO(data), "t.837", everything(data))

    def fix(block: ClaimBytes) -> Claim | None:
        claim = read_claim(block, "t.837")
        assert callable(change)
        out = change(claim)
        assert out is None or isinstance(out, Claim)
        return out

    return b"".join(write_events(stream.events(), fix))


def _with_header(claim: Claim, segment: Segment) -> Claim:
    return claim._replace(header=(*claim.header, segment))


@pytest.mark.parametrize("line_ending", ["none", "crlf"])
def test_a_good_change_passes_and_the_output_reads_back(line_ending: str) -> None:
    data = _data(line_ending)
    out = _rewrite(data, lambda c: apply(c, [set_charge(c.lines[0].number, c.lines[0].charge + 1)]))
    assert out != data
    assert stream_join(out, everything(out)).data == out  # the whole output still passes the envelope check


@pytest.mark.parametrize(
    ("element", "problem"),
    [
        ("A~B", "do not read back"),  # a value holding the segment terminator
        ("A*B", "do not read back"),  # or the element separator
        ("A\x01B", "control byte"),
    ],
)
def test_a_change_that_does_not_read_back_fails_the_file(element: str, problem: str) -> None:
    data = _data("none")
    term = b"~"

    def broken(claim: Claim) -> Claim:
        nte = Segment(("NTE", "ADD", element), f"NTE*ADD*{element}~".encode("latin-1"), term)
        return _with_header(claim, nte)

    with pytest.raises(InvariantError, match=problem):
        _rewrite(data, broken)


def test_an_envelope_segment_inside_a_changed_claim_fails_the_file() -> None:
    data = _data("none")
    se = Segment(("SE", "5", "0001"), b"SE*5*0001~", b"~")
    with pytest.raises(InvariantError, match="envelope"):
        _rewrite(data, lambda c: _with_header(c, se))


def test_the_se_recount_uses_the_segments_written() -> None:
    data = _data("none")
    extra = Segment(("NTE", "ADD", "NOTE"), b"NTE*ADD*NOTE~", b"~")
    out = _rewrite(data, lambda c: _with_header(c, extra))
    assert stream_join(out, everything(out)).data == out  # SE01 grew by one per claim: the check passes
