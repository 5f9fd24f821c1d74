"""Hypothesis: any delimiters, line endings, indentation, BOM, several ISAs and chunk sizes round-trip."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from cart837.claims.edits import apply, remove_line, set_charge, set_revenue_code
from cart837.claims.model import Claim
from cart837.claims.reader import read_claim
from cart837.claims.stream import ClaimBytes, FileStream, Interest
from cart837.claims.writer import write_events
from cart837.errors import Cart837Error
from cart837.x12.delimiters import read_isa
from cart837.x12.segment import Segment, split_segments
from tests.strategies import POOL, files, styles
from tests.support import (
    CART_CLAIM,
    EVERYTHING,
    PLAIN_CLAIM,
    ClaimSpec,
    Style,
    everything,
    interchange,
    segment_starts,
    stream_join,
)


@given(files(), st.integers(1, 4096), st.sampled_from([f"M{n:03d}" for n in range(6)]))
def test_tokenize_write_is_identity(sample: tuple[bytes, list[tuple[str, str]]], chunk: int, member: str) -> None:
    data, claims = sample
    ids = [claim for claim, _ in claims]
    assert stream_join(data, Interest(), chunk).data == data
    of_member = stream_join(data, Interest(member_ids=frozenset({member})), chunk)
    assert of_member.data == data
    assert [read_claim(block, "t").id for block in of_member.claims] == [c for c, m in claims if m == member]
    joined = stream_join(data, EVERYTHING, chunk)
    assert joined.data == data
    assert [read_claim(block, "t").id for block in joined.claims] == ids
    assert joined.counted_claims == len(ids)
    for block in joined.claims:
        assert read_claim(block, "t").to_bytes() == block.data


@given(styles(), st.lists(st.sampled_from(POOL), min_size=1, max_size=3), st.data())
def test_one_element_edit_changes_one_segment(style: Style, claims: list[ClaimSpec], data: st.DataObject) -> None:
    raw = interchange(style, 1, [claims])
    delimiters = read_isa(raw, 0)
    segments = list(split_segments(raw, delimiters))
    assert b"".join(s.raw for s in segments) == raw
    index = data.draw(st.integers(1, len(segments) - 1), label="segment")  # not the fixed-width ISA
    element = data.draw(st.integers(1, 12), label="element")
    value = data.draw(st.text("ABCXYZ0123456789", min_size=1, max_size=6), label="value")
    edited: Segment = segments[index].with_element(element, value, delimiters)
    out = b"".join(edited.raw if n == index else s.raw for n, s in enumerate(segments))
    again = list(split_segments(out, delimiters))
    assert len(again) == len(segments)
    changed = [n for n, (a, b) in enumerate(zip(segments, again, strict=True)) if a.raw != b.raw]
    assert changed == ([index] if edited.raw != segments[index].raw else [])
    assert again[index].element(element) == value
    assert again[index].suffix == segments[index].suffix


@given(styles(), st.data())
def test_revenue_code_edit_through_stream_changes_one_segment(style: Style, data: st.DataObject) -> None:
    raw = interchange(style, 1, [[CART_CLAIM, PLAIN_CLAIM]])
    blocks = stream_join(raw, EVERYTHING, data.draw(st.integers(16, 2048), label="chunk")).claims
    claim = read_claim(blocks[0], "t")
    line = data.draw(st.sampled_from([line.number for line in claim.lines]), label="line")
    fixed = apply(claim, [set_revenue_code(line, "0999")])
    out = raw.replace(blocks[0].data, fixed.to_bytes())
    before = list(split_segments(raw, read_isa(raw, 0)))
    after = list(split_segments(out, read_isa(out, 0)))
    changed = [n for n, (a, b) in enumerate(zip(before, after, strict=True)) if a.raw != b.raw]
    assert len(changed) == 1
    assert after[changed[0]].tag == "SV2"
    assert after[changed[0]].element(1) == "0999"
    assert after[changed[0]].suffix == before[changed[0]].suffix


@given(st.lists(styles(), min_size=1, max_size=3), st.integers(16, 4096), st.data())
def test_wrong_se01_is_located_whatever_the_delimiters(styles_: list[Style], chunk: int, data: st.DataObject) -> None:
    parts = [interchange(style, n, [POOL[:2], POOL[2:5]]) for n, style in enumerate(styles_, start=1)]
    ses: list[tuple[int, int]] = []  # (byte offset, 1-based segment number) of every SE in the file
    offset = segments = 0
    for part, style in zip(parts, styles_, strict=True):
        starts = segment_starts(part, style)
        tag = ("SE" + style.element).encode("latin-1")
        ses += [(offset + s, segments + n + 1) for n, s in enumerate(starts) if part[s : s + 3] == tag]
        offset, segments = offset + len(part), segments + len(starts)
    whole = b"".join(parts)
    at, number = data.draw(st.sampled_from(ses), label="SE")
    bad = whole[: at + 3] + b"9" + whole[at + 3 :]
    try:
        stream_join(bad, Interest(), chunk)
    except Cart837Error as error:
        assert (error.location.byte_offset, error.location.segment_index, error.location.segment_id) == (
            at,
            number,
            "SE",
        )
    else:
        raise AssertionError("a wrong SE01 was accepted")


@given(files(), st.integers(16, 4096))
def test_collapse_written_back_keeps_envelopes_and_totals(
    sample: tuple[bytes, list[tuple[str, str]]], chunk: int
) -> None:  # noqa: E501
    """Remove a line from every claim that has two (charge moved): SE01s recounted in every style."""
    data, claims = sample

    def collapse(block: ClaimBytes) -> Claim | None:
        claim = read_claim(block, "t")
        if len(claim.lines) < 2:
            return None
        keep, drop = claim.lines[-1], claim.lines[-2]
        return apply(claim, [set_charge(keep.number, keep.charge + drop.charge), remove_line(drop.number)])

    stream = FileStream(io.BytesIO(data), "t", everything(data), chunk_size=chunk)
    out = b"".join(write_events(stream.events(), collapse))
    before = [read_claim(b, "t") for b in stream_join(data).claims]
    after = [read_claim(b, "t") for b in stream_join(out, chunk_size=chunk).claims]  # envelope checks pass
    assert [c.id for c in after] == [claim for claim, _ in claims]
    for claim, old in zip(after, before, strict=True):
        assert claim.total == old.total == claim.line_charges()
        assert len(claim.lines) == max(1, len(old.lines) - 1)
        assert [int(s.element(1)) for s in claim.segments() if s.tag == "LX"] == list(range(1, len(claim.lines) + 1))
        if len(old.lines) < 2:
            assert claim.to_bytes() == old.to_bytes()
