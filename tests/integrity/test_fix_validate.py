"""`cart837 fix --validate`: an output with an IG error its input lacks is never written."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from cart837.claims.edits import add_modifier
from cart837.config import RuleMode
from cart837.rules import engine as engine_module
from cart837.rules.base import Action, Proposal, Rule, RuleContext
from cart837.validate import validate_path
from tests.integrity.support import cart837
from tests.support import gen837i, visible


def _cart_file(tmp_path: Path, name: str = "in.837") -> Path:
    path = tmp_path / "in" / name
    options = ("--cart-share", "1", "--scenario", "collection_multi", "--no-truth")
    gen837i("--claims", "4", "--seed", "3", *options, output=path)
    return path


def _five_digit_zip(path: Path) -> None:
    """Make the billing provider's ZIP five digits (pyx12 wants nine): an invalid input."""
    data, count = re.subn(rb"(~\s*N4\*[^*~]*\*[A-Z]{2}\*\d{5})\d{4}", rb"\1", path.read_bytes(), count=1)
    assert count == 1
    path.write_bytes(data)


def _bad_modifier(ctx: RuleContext) -> list[Proposal]:
    """Add a three-letter modifier (SV202-3 is two characters long in the IG)."""
    line = next(ln for ln in ctx.claim.lines if ctx.step(ln) is not None)
    return [Proposal(Action.MODIFIER, line.number, "test edit", (add_modifier(line.number, "ZZZ"),))]


BAD_RULE = Rule("CART-099", "test: breaks SV202", "RULES.md", RuleMode.FIX, _bad_modifier, frozenset(RuleMode))


def test_a_fixed_output_that_still_validates_is_written(tmp_path: Path) -> None:
    source = _cart_file(tmp_path)
    assert validate_path(source).valid
    result = cart837("fix", "--validate", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    produced = tmp_path / "out" / "in.837"
    assert produced.read_bytes() != source.read_bytes()
    assert validate_path(produced).valid


def test_an_output_that_breaks_validation_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _cart_file(tmp_path)
    monkeypatch.setattr(engine_module, "all_rules", lambda: (BAD_RULE,))
    result = cart837("fix", "--validate", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    error = result.stderr.splitlines()[0]
    assert error.startswith(f"cart837: error: {source}: fixed output not written: it fails IG validation (pyx12 4.0.0)")
    assert "SV202-3" in error and error.endswith("changed by CART-099")
    assert not (tmp_path / "out" / "in.837").exists()
    assert visible(tmp_path / "out") == []


def test_without_validate_the_same_output_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _cart_file(tmp_path)
    monkeypatch.setattr(engine_module, "all_rules", lambda: (BAD_RULE,))
    result = cart837("fix", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert not validate_path(tmp_path / "out" / "in.837").valid


def test_in_place_keeps_the_input_when_the_output_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _cart_file(tmp_path)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    monkeypatch.setattr(engine_module, "all_rules", lambda: (BAD_RULE,))
    result = cart837("fix", "--validate", "--in-place", str(source))
    assert result.exit_code == 2
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert [p.name for p in source.parent.iterdir()] == ["in.837"]


def test_an_invalid_input_is_fixed_with_a_warning_when_the_fix_adds_no_error(tmp_path: Path) -> None:
    source = _cart_file(tmp_path)
    _five_digit_zip(source)
    result = cart837("fix", "--validate", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert (
        f"cart837: warning: {source}: input fails IG validation (pyx12 4.0.0, 1 error); "
        "the output is held to have no error the input does not have"
    ) in result.stderr.splitlines()
    assert [e.signature() for e in validate_path(tmp_path / "out" / "in.837").errors] == [("N4", "N403", "7")]


def test_an_invalid_input_whose_fix_adds_an_error_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _cart_file(tmp_path)
    _five_digit_zip(source)
    monkeypatch.setattr(engine_module, "all_rules", lambda: (BAD_RULE,))
    result = cart837("fix", "--validate", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "it has IG errors its input does not have" in result.stderr
    assert not (tmp_path / "out" / "in.837").exists()
