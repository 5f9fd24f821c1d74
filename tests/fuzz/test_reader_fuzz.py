"""The reader fuzz target under Hypothesis (the short version of `make fuzz`), and found crashes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.reader_target import CHUNKS, one_input, read_input
from tests.support import PUBLIC

REGRESSIONS = Path(__file__).parent / "regressions"
SEEDS = [
    (PUBLIC / name).read_bytes()
    for name in (
        "stupidedi/ppo-repriced-claim.edi",
        "linuxforhealth-x12/two-claims-single-provider.837i",
        "inteligenz-x12parser/Spec_3.1.1.txt",
    )
]
MANY = settings(max_examples=max(300, settings.default.max_examples or 0))


@MANY
@given(st.binary(max_size=3000))
def test_random_bytes_are_read_or_refused(data: bytes) -> None:
    one_input(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed file with a few byte-level edits: flips, inserts, deletes, cuts, splices."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "splice"]))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"~", b"*", b":", b"\r\n", b"ISA"]))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        elif kind == "cut":
            del data[at:]
        else:
            other = draw(st.sampled_from(SEEDS))
            data[at:] = other[draw(st.integers(0, len(other))) :]
    return bytes([draw(st.integers(0, len(CHUNKS) - 1))]) + bytes(data)


@MANY
@given(mutated())
def test_mutated_files_are_read_or_refused(data: bytes) -> None:
    one_input(data)


def test_inputs_that_once_broke_the_reader() -> None:
    """Every input a fuzzer or the bad-input corpus found goes in regressions/ (first byte: chunk size).

    Beside each input, NAME.expected holds its outcome: `accepted`, or the one-line refusal.
    """
    inputs = sorted(p for p in REGRESSIONS.iterdir() if p.suffix != ".expected")
    assert len(inputs) >= 3
    for path in inputs:
        expected = path.with_name(path.name + ".expected")
        assert expected.is_file(), f"{path.name}: write its outcome into {expected.name}"
        refusal = read_input(path.read_bytes())
        outcome = "accepted" if refusal is None else refusal.one_line()
        assert outcome == expected.read_text().strip(), path.name
    assert {p.name for p in REGRESSIONS.glob("*.expected")} == {p.name + ".expected" for p in inputs}


def test_the_seeds_are_accepted_losslessly_at_every_chunk_size() -> None:
    for seed in SEEDS:
        for selector in range(len(CHUNKS)):
            refusal = read_input(bytes([selector]) + seed)
            assert refusal is None, f"chunk {CHUNKS[selector]}: {refusal.one_line()}"
