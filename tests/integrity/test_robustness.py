"""Regressions found by the bad-input corpus and the crash tests, and the atomic-write details."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cart837 import batch as batch_module
from cart837.config import Config
from cart837.inputs import expand_inputs
from cart837.parallel import build_index
from tests.integrity.support import cart837
from tests.support import CART_CLAIM, ClaimSpec, Style, gen837i, interchange


def _cart(tmp_path: Path, name: str = "in.837", seed: int = 1) -> Path:
    path = tmp_path / "in" / name
    gen837i("--claims", "8", "--seed", str(seed), "--cart-share", "1", "--no-truth", output=path)
    return path


def test_a_claim_cut_off_at_the_end_is_reported_as_truncation(tmp_path: Path) -> None:
    source = _cart(tmp_path)
    data = source.read_bytes()
    cut = data.index(b"HC:", data.index(b"SV2*087", len(data) // 2)) + 12  # inside a CAR-T line
    source.write_bytes(data[:cut])
    result = cart837("fix", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    start = data.rindex(b"~", 0, cut) + 1
    ordinal = data.count(b"~", 0, start) + 1
    assert result.stderr.splitlines()[0] == (
        f"cart837: error: {source}: byte {start}, segment {ordinal}: segment has no terminator (input truncated?)"
    )


@pytest.mark.parametrize(
    ("data", "where"),
    [(b"", "byte 0, segment 1"), (b"\xef\xbb\xbf\r\n", "byte 5, segment 1")],
)
def test_empty_input_is_located(tmp_path: Path, data: bytes, where: str) -> None:
    path = tmp_path / "empty.837"
    path.write_bytes(data)
    result = cart837("fix", str(path), "-o", str(tmp_path / "out"))
    assert result.stderr.splitlines()[0] == f"cart837: error: {path}: {where}: empty input: no X12 data"


def test_junk_after_the_iea_is_located_at_its_segment(tmp_path: Path) -> None:
    source = _cart(tmp_path)
    data = source.read_bytes()
    source.write_bytes(data + b"JUNK")
    result = cart837("fix", str(source), "-o", str(tmp_path / "out"))
    assert result.stderr.splitlines()[0] == (
        f"cart837: error: {source}: byte {len(data)}, segment {data.count(b'~') + 1}: "
        "data after IEA is not another interchange (expected ISA)"
    )


def test_a_file_refused_half_way_adds_nothing_to_the_episode_index(tmp_path: Path) -> None:
    good = _cart(tmp_path, "good.837")
    broken = tmp_path / "in" / "broken.837"
    data = good.read_bytes()
    broken.write_bytes(data[: data.rindex(b"SE*")])  # every claim is there, the SE is not
    alone, _ = build_index(expand_inputs([str(good)])[0], Config())
    both, failures = build_index(expand_inputs([str(good), str(broken)])[0], Config())
    assert list(failures) == [1]
    sizes = ("patients", "claims", "lines")
    assert [both.stats()[k] for k in sizes] == [alone.stats()[k] for k in sizes] and alone.stats()["lines"] > 0


def test_a_bug_in_pass_1_fails_that_file_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good, other = _cart(tmp_path, "a.837", 1), _cart(tmp_path, "b.837", 2)
    real = batch_module.read_claim

    def buggy(block: batch_module.ClaimBytes, file: str) -> batch_module.Claim:
        if file.endswith("b.837"):
            raise ZeroDivisionError("bug")
        return real(block, file)

    monkeypatch.setattr(batch_module, "read_claim", buggy)
    result = cart837("fix", str(good), str(other), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert f"cart837: error: {other}: internal error, rerun with -v for the traceback" in result.stderr
    assert (tmp_path / "out" / "a.837").exists() and not (tmp_path / "out" / "b.837").exists()


def test_outputs_get_the_usual_mode_and_in_place_keeps_the_input_mode(tmp_path: Path) -> None:
    source = _cart(tmp_path)
    cart837("fix", str(source), "-o", str(tmp_path / "out"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out" / "in.837").stat().st_mode) == 0o666 & ~umask
    os.chmod(source, 0o640)
    result = cart837("fix", "--in-place", str(source))
    assert "1 changed" in result.stderr
    assert stat.S_IMODE(source.stat().st_mode) == 0o640


def test_leftover_temp_files_are_not_taken_as_inputs(tmp_path: Path) -> None:
    source = _cart(tmp_path)
    leftover = source.parent / ".in.837.abcd1234.cart837-tmp"
    leftover.write_bytes(source.read_bytes()[:500])
    inputs, skipped = expand_inputs([str(source.parent)])
    assert [i.path for i in inputs] == [source]
    assert skipped == []  # hidden names are not part of a scan


def test_a_claim_without_service_lines_of_a_car_t_patient_is_passed_through(tmp_path: Path) -> None:
    """Found by atheris: read_claim died (ValueError from a strict zip) on a CLM with no LX."""
    lineless = ClaimSpec("EMPTY", (), member=CART_CLAIM.member)
    data = interchange(Style(), 1, [[CART_CLAIM, lineless]])
    source = tmp_path / "in.837"
    source.write_bytes(data)
    result = cart837("fix", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    produced = (tmp_path / "out" / "in.837").read_bytes()

    def block(text: bytes) -> bytes:
        return text[text.index(b"CLM*EMPTY") : text.index(b"SE*")]

    assert block(produced) == block(data)
    assert b"CLM*EMPTY*0.00***13:A:1**A*Y*Y~\nDTP*434" in block(produced)
