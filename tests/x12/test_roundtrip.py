"""Tokenize -> write is the identity: every well-formed public file and gen837i.py output, any chunk size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cart837.batch import interest_for
from cart837.claims.reader import read_claim
from cart837.claims.stream import Interest
from cart837.cli import main
from cart837.config import Config
from cart837.rules import all_rules
from tests.support import EVERYTHING, PUBLIC, REFUSED, WELL_FORMED, Wanted, generate, public_files, stream_join, visible

CHUNKS = (64, 100, 257, 1000, 4096, None)
INTERESTS: dict[str, Wanted] = {"nothing": Interest(), "everything": EVERYTHING, "car-t": interest_for(Config())}
# gen837i.py modes: every line ending, delimiter sets with unusual bytes, several interchanges, small STs.
GEN_MODES = [
    {"line_ending": "none"},
    {"line_ending": "lf"},
    {"line_ending": "crlf"},
    {"line_ending": "none", "delims": "|^>\n"},
    {"line_ending": "lf", "delims": "!>^~"},
    {"line_ending": "crlf", "delims": "^>|~"},
    {"line_ending": "none", "delims": "\x1d\x1e\x1f\x1c"},
    {"line_ending": "lf", "delims": "|:>!"},
    {"line_ending": "crlf", "interchanges": 3, "claims_per_st": 2},
    {"line_ending": "none", "delims": "|^>\n", "interchanges": 2, "claims_per_st": 1},
]


def test_public_fixture_lists_cover_the_folder() -> None:
    """Every public file is either expected to round-trip or expected to be refused."""
    assert sorted([*WELL_FORMED, *REFUSED]) == public_files()


@pytest.mark.parametrize("rel", WELL_FORMED)
@pytest.mark.parametrize("interest", list(INTERESTS), ids=list(INTERESTS))
@pytest.mark.parametrize("chunk", CHUNKS)
def test_public_round_trip(rel: str, interest: str, chunk: int | None) -> None:
    data = (PUBLIC / rel).read_bytes()
    joined = stream_join(data, INTERESTS[interest], chunk)
    assert joined.data == data
    assert joined.ends == 1  # SOURCES.md: one ST per public file
    if interest == "everything":
        assert len(joined.claims) == joined.counted_claims == data.count(b"CLM*") > 0


@pytest.mark.parametrize("rel", WELL_FORMED)
def test_public_claim_objects_keep_their_bytes(rel: str) -> None:
    """A Claim built from a block writes back exactly the block's bytes."""
    joined = stream_join((PUBLIC / rel).read_bytes())
    for block in joined.claims:
        assert read_claim(block, rel).to_bytes() == block.data


@pytest.mark.parametrize("mode", GEN_MODES, ids=[repr(m) for m in GEN_MODES])
@pytest.mark.parametrize("chunk", CHUNKS)
def test_generated_round_trip(mode: dict[str, object], chunk: int | None) -> None:
    path = generate(claims=14, seed=11, cart_share=0.5, **mode)  # type: ignore[arg-type]
    data = path.read_bytes()
    for interest in INTERESTS.values():
        joined = stream_join(data, interest, chunk)
        assert joined.data == data
    everything = stream_join(data, EVERYTHING, chunk)
    assert [b.data for b in everything.claims] == _claim_blocks(path)
    assert everything.counted_claims == 14


def _claim_blocks(path: Path) -> list[bytes]:
    """Cut the claim blocks out of a generated file independently (CLM up to the next HL/CLM/SE)."""
    truth = json.loads(path.with_name(path.name + ".truth.json").read_text())
    data = path.read_bytes()
    delims = truth["meta"]["delims"].encode("latin-1")
    element, term = delims[0:1], delims[3:4]
    suffix = {"none": b"", "lf": b"\n", "crlf": b"\r\n"}[truth["meta"]["line_ending"]]
    segments = [s + term + suffix for s in data.split(term + suffix) if s]
    blocks: list[bytes] = []
    current: list[bytes] | None = None
    for segment in segments:
        tag = segment.split(element, 1)[0]
        if tag in (b"HL", b"CLM", b"SE") and current is not None:
            blocks.append(b"".join(current))
            current = None
        if tag == b"CLM":
            current = []
        if current is not None:
            current.append(segment)
    return blocks


def test_cli_fix_writes_every_file_back_unchanged(tmp_path: Path) -> None:
    """`cart837 fix` (every rule in flag mode, so nothing may change) copies every byte of every mode."""
    source = tmp_path / "in"
    (source / "gen").mkdir(parents=True)
    for number, mode in enumerate(GEN_MODES):
        generated = generate(claims=14, seed=11, cart_share=0.5, **mode)  # type: ignore[arg-type]
        (source / "gen" / f"mode{number}.837").write_bytes(generated.read_bytes())
    for rel in WELL_FORMED:
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_bytes((PUBLIC / rel).read_bytes())
    config = tmp_path / "flag.toml"
    config.write_text("[rules]\n" + "".join(f'"{rule.id}" = "flag"\n' for rule in all_rules()))
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    args = ["fix", str(source), "-o", str(out), "--config", str(config), "--report", str(report), "-q"]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (0, "")
    totals = json.loads(report.read_text())["totals"]
    assert (totals["changed"], totals["fixed"]) == (0, 0)
    assert totals["flags"] > 0  # the CAR-T claims were built and looked at, not only copied
    inputs = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    assert sorted(p.relative_to(out) for p in visible(out) if p.is_file()) == inputs
    assert len(inputs) == len(GEN_MODES) + len(WELL_FORMED)
    for rel in inputs:
        assert (out / rel).read_bytes() == (source / rel).read_bytes(), rel
