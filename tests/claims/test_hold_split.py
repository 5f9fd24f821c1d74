"""The `fix --hold` split (claims/hold.py) on the package's one segment reader, at every chunk size.

Interchanges of one file with their own delimiters, line breaks and indentation after the
terminators, a line-break terminator and a BOM: every claim lands in exactly one file, byte for
byte as read, and both files pass the envelope checks of a first read (counts recomputed).
"""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest

from cart837.claims.hold import split
from cart837.claims.stream import FileStream, Interest
from cart837.x12.segment_stream import SegmentStream
from tests.support import CART_CLAIM, DEPENDENT_CLAIM, PLAIN_CLAIM, ClaimSpec, Style, interchange

CHUNKS = [1, 7, 105, 106, 107, 500, None]
CLAIMS: list[ClaimSpec] = [
    replace(CART_CLAIM, member="M0009"),
    *(replace(PLAIN_CLAIM, id=f"V{n}", member="M0001", same_patient=n > 0) for n in range(3)),
    *(replace(DEPENDENT_CLAIM, id=f"K{n}", member="M0001", same_patient=n > 0) for n in range(2)),
    replace(PLAIN_CLAIM, id="LAST", member="M0003"),
]
STYLES = {
    "tilde": Style(suffixes=("",)),
    "crlf": Style("|", ">", "^", "!", ("\r\n",)),
    "newline-indented": Style("*", "^", "^", "\n", ("  ", "")),
    "crlf-indented": Style(suffixes=("\r\n  ", "\r\n")),
}
MIXED = b"".join(
    interchange(style, control, [CLAIMS[:4], CLAIMS[4:]]) for control, style in enumerate(STYLES.values(), start=1)
)
INPUTS = {
    "mixed delimiters": MIXED,
    "BOM and blank lines first": b"\xef\xbb\xbf\r\n" + MIXED,
    "one interchange": interchange(STYLES["crlf"], 7, [CLAIMS]),
}


def _clm_offsets(data: bytes) -> list[int]:
    """Return where each CLM starts: its tag right after a terminator (and the whitespace after it)."""
    return [m.start(1) for m in re.finditer(rb"[~!\n][ \t\r\n]*(CLM[*|])", data)]


def _claim_bytes(data: bytes) -> list[bytes]:
    """Return each claim's bytes, from its CLM up to the next HL, CLM or SE (trailing whitespace dropped)."""
    starts = _clm_offsets(data)
    ends = [re.compile(rb"[~!\n][ \t\r\n]*(HL|CLM|SE)[*|]").search(data, start + 1) for start in starts]
    return [data[start : end.start() + 1] for start, end in zip(starts, ends, strict=True) if end is not None]


def _split(data: bytes, held: frozenset[int], chunk: int | None) -> tuple[bytes, bytes, tuple[int, int]]:
    outbound, kept = io.BytesIO(), io.BytesIO()
    counts = split(io.BytesIO(data), outbound, kept, held, *([chunk] if chunk else []))
    return outbound.getvalue(), kept.getvalue(), counts


def _envelopes_pass(data: bytes) -> None:
    for _ in FileStream(io.BytesIO(data), "split", Interest(), passthrough=False, count_claims=False).events():
        pass


@pytest.mark.parametrize("name", INPUTS)
@pytest.mark.parametrize("chunk", CHUNKS)
def test_every_claim_lands_once_as_read_at_every_chunk_size(name: str, chunk: int | None) -> None:
    data = INPUTS[name]
    offsets = _clm_offsets(data)
    assert len(offsets) == len(CLAIMS) * data.count(b"IEA"), "the test is not finding the claims"
    held = frozenset(offsets[1::3])  # some claims of each interchange
    outbound, kept, counts = _split(data, held, chunk)
    assert counts == (len(offsets) - len(held), len(held))
    claims = _claim_bytes(data)
    assert sorted(_claim_bytes(outbound) + _claim_bytes(kept)) == sorted(claims)
    assert _claim_bytes(kept) == [claims[offsets.index(at)] for at in sorted(held)]
    for produced in (outbound, kept):
        _envelopes_pass(produced)
        assert produced.startswith(b"\xef\xbb\xbf\r\nISA" if name.startswith("BOM") else b"ISA")
    assert (outbound, kept) == _split(data, held, None)[:2], "the split depends on where a chunk ends"


def test_each_file_keeps_each_interchange_with_its_own_delimiters() -> None:
    offsets = _clm_offsets(MIXED)
    outbound, kept, _ = _split(MIXED, frozenset(offsets[::2]), 7)
    for produced in (outbound, kept):
        assert re.findall(rb"ISA(.)", produced) == [b"*", b"|", b"*", b"*"]
        assert re.findall(rb"IEA.1.00000000(\d)(.)", produced, re.S) == [
            (b"1", b"~"),
            (b"2", b"!"),
            (b"3", b"\n"),
            (b"4", b"~"),
        ]


def test_a_transaction_with_no_claim_left_is_left_out_and_counts_follow() -> None:
    data = interchange(STYLES["crlf"], 7, [CLAIMS[:2], CLAIMS[2:]])
    offsets = _clm_offsets(data)
    outbound, kept, counts = _split(data, frozenset(offsets[:2]), 13)  # the whole first transaction
    assert counts == (len(CLAIMS) - 2, 2)
    assert re.findall(rb"ST\|837\|(\d{4})", kept) == [b"0001"] and re.findall(rb"ST\|837\|(\d{4})", outbound) == [
        b"0002"
    ]
    assert re.findall(rb"GE\|(\d+)", kept) == [b"1"] and re.findall(rb"HL\|(\d+)\|", kept)[0] == b"1"
    _envelopes_pass(outbound)
    _envelopes_pass(kept)


@pytest.mark.parametrize("chunk", CHUNKS)
def test_the_segment_stream_gives_back_every_byte_with_its_offset(chunk: int | None) -> None:
    data = INPUTS["BOM and blank lines first"]
    stream = SegmentStream(io.BytesIO(data), chunk_size=chunk) if chunk else SegmentStream(io.BytesIO(data))
    reads = list(stream)
    assert stream.lead == b"\xef\xbb\xbf\r\n"
    assert stream.lead + b"".join(read.segment.raw for read in reads) == data
    assert all(data.startswith(read.segment.raw, read.offset) for read in reads)
    isas = [read for read in reads if read.segment.tag == "ISA"]
    assert [read.delimiters.segment for read in isas] == [b"~", b"!", b"\n", b"~"]
    for read in reads:  # each segment is cut and split with its own interchange's delimiters
        assert read.segment.raw.startswith(read.delimiters.element.join(s.encode() for s in read.segment.elements))
        assert read.segment.suffix.startswith(read.delimiters.segment)
