"""Refusals name the exact byte and segment wherever the chunk boundaries fall."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from cart837.cli import main
from cart837.errors import Cart837Error
from tests.support import (
    CART_CLAIM,
    DEPENDENT_CLAIM,
    PLAIN_CLAIM,
    PUBLIC,
    WELL_FORMED,
    Style,
    interchange,
    segment_starts,
    stream_join,
    visible,
)

STYLES = {
    "tilde-lf": Style(),
    "crlf-indented": Style(suffixes=("\r\n  ", "\r\n    ", "\r\n")),
    "newline-terminator-indented": Style("|", "^", "^", "\n", ("", "  ", "    ")),
    "cr-terminator-lf": Style("*", ":", "U", "\r", ("\n",)),
}
CHUNKS = (50, 97, 256, 1000, None)
CLAIMS = [replace([CART_CLAIM, PLAIN_CLAIM, DEPENDENT_CLAIM][k % 3], id=f"C{k}", member=f"M{k:04d}") for k in range(9)]


def _file(style: Style) -> bytes:
    return interchange(style, 1, [CLAIMS[:4], CLAIMS[4:]]) + interchange(style, 2, [CLAIMS])


def _refusal(data: bytes, chunk: int | None) -> Cart837Error:
    with pytest.raises(Cart837Error) as caught:
        stream_join(data, chunk_size=chunk)
    return caught.value


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("chunk", CHUNKS)
def test_wrong_se01_is_located_in_every_transaction(style: str, chunk: int | None) -> None:
    data = _file(STYLES[style])
    starts = segment_starts(data, STYLES[style])
    se_tag = ("SE" + STYLES[style].element).encode()
    ses = [n for n, start in enumerate(starts) if data[start : start + 3] == se_tag]
    assert len(ses) == 3
    for number in ses:
        at = starts[number] + 3
        error = _refusal(data[:at] + b"9" + data[at:], chunk)  # SE01 gains a leading 9
        where = error.location
        assert (where.byte_offset, where.segment_index, where.segment_id) == (starts[number], number + 1, "SE")
        assert error.message.startswith("SE01 is 9")


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("chunk", CHUNKS)
def test_binary_byte_is_located_exactly(style: str, chunk: int | None) -> None:
    data = _file(STYLES[style])
    starts = segment_starts(data, STYLES[style])
    for number in (len(starts) // 3, len(starts) // 2, len(starts) - 5):
        at = starts[number] + 4
        error = _refusal(data[:at] + b"\x00" + data[at:], chunk)
        tag = data[starts[number] : at].split(STYLES[style].element.encode())[0].decode()
        assert (error.location.byte_offset, error.location.segment_index, error.location.segment_id) == (
            at,
            number + 1,
            tag,
        )
        assert error.message == "binary data: control byte 0x00 in the segment data"


def test_control_character_delimiters_after_a_plain_interchange() -> None:
    """Regression: the first interchange's binary check ran into the second's 0x1c-0x1f delimiters."""
    control = Style("\x1d", "\x1e", "\x1f", "\x1c", ("",))
    data = interchange(Style(), 1, [CLAIMS[:2]]) + interchange(control, 2, [CLAIMS])
    for chunk in CHUNKS:
        joined = stream_join(data, chunk_size=chunk)
        assert joined.data == data and len(joined.claims) == 2 + len(CLAIMS)


@pytest.mark.parametrize("rel", WELL_FORMED)
def test_one_byte_reads(rel: str) -> None:
    """Regression: a first read shorter than the BOM + "ISA" was refused as "no ISA"."""
    data = (PUBLIC / rel).read_bytes()
    assert stream_join(data, chunk_size=1).data == data


@pytest.mark.parametrize(("tag", "before", "after"), [("SE", b"SE*37*", b"SE*\xb2*"), ("GE", b"GE*1*", b"GE*\xb9*")])
def test_counts_in_other_digits_are_refused_not_a_crash(tag: str, before: bytes, after: bytes) -> None:
    """Latin-1 "²"/"¹" pass str.isdigit() but not int(): a refusal, never an internal error."""
    data = interchange(Style(), 1, [[CART_CLAIM]])
    assert before in data
    error = _refusal(data.replace(before, after), None)
    assert error.location.segment_id == tag
    assert f"{tag}01 is " in error.message


def test_line_number_in_other_digits_is_a_claim_error(tmp_path: Path) -> None:
    data = interchange(Style(), 1, [[CART_CLAIM]]).replace(b"LX*1~", b"LX*\xb9~")
    (tmp_path / "in.837").write_bytes(data)
    result = CliRunner().invoke(main, ["fix", str(tmp_path / "in.837"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"cart837: error: {tmp_path / 'in.837'}: byte 571, segment 20 (CLM): LX01 '\xb9' is not a line number"
    )
    assert visible(tmp_path / "out") == []
