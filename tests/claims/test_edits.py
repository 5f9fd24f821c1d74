"""Every edit keeps CLM02 = sum of SV203, LX 1..n, SE01 and the amounts' decimal places; pyx12 agrees."""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cart837.batch import Batch
from cart837.claims.edits import (
    Edit,
    add_modifier,
    apply,
    format_amount,
    remove_line,
    set_charge,
    set_noncovered,
    set_procedure_code,
    set_revenue_code,
    set_units,
)
from cart837.claims.model import Claim
from cart837.claims.reader import read_claim
from cart837.claims.stream import ClaimBytes, FileStream
from cart837.claims.writer import write_events
from cart837.config import Config
from cart837.episodes import EpisodeIndex, EpisodeView
from cart837.errors import InvariantError
from cart837.inputs import InputFile
from cart837.results import FileStatus, RunMode
from cart837.rules.engine import ClaimOutcome, Engine
from tests.support import (
    CART_CLAIM,
    EVERYTHING,
    ClaimSpec,
    Line,
    Style,
    everything,
    generate,
    interchange,
    pyx12_valid,
    read_claims,
    stream_join,
)

D = Decimal
EditFor = Callable[[Claim], list[Edit]]


def _first(claim: Claim) -> int:
    return claim.lines[0].number


def _last(claim: Claim) -> int:
    return claim.lines[-1].number


# One entry per edit operation: the edits to make on a claim (by its input LX numbers).
EDITS: dict[str, EditFor] = {
    "set_revenue_code": lambda c: [set_revenue_code(_first(c), "0874")],
    "set_procedure_code": lambda c: [set_procedure_code(_last(c), "38228")],
    "add_modifier": lambda c: [add_modifier(_last(c), "59")],
    "set_units": lambda c: [set_units(_last(c), D(2))],
    "set_charge": lambda c: [set_charge(_first(c), D("123.45"))],
    "set_noncovered": lambda c: [set_noncovered(_last(c), c.lines[-1].charge)],
    "remove_line": lambda c: [remove_line(_first(c))] if len(c.lines) > 1 else [],
    "collapse": lambda c: (
        [set_charge(_last(c), c.lines[-1].charge + c.lines[-2].charge), remove_line(c.lines[-2].number)]
        if len(c.lines) > 1
        else []
    ),
}


def _source() -> Path:
    return generate(claims=10, seed=31, cart_share=1.0, line_ending="crlf", interchanges=2, claims_per_st=3)


def _claims(data: bytes) -> list[Claim]:
    return read_claims(data)


def _places(amount: str) -> int:
    return len(amount.partition(".")[2])


def _lx(claim: Claim) -> list[int]:
    """Return the LX01 values as written in the claim's segments."""
    return [int(s.element(1)) for s in claim.segments() if s.tag == "LX"]


# -- one claim at a time ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(EDITS))
def test_edit_keeps_totals_and_numbering(kind: str) -> None:
    for claim in _claims(_source().read_bytes()):
        edits = EDITS[kind](claim)
        fixed = apply(claim, edits)
        assert fixed.total == fixed.line_charges()
        written = fixed.clm.element(2)  # read back from the text, not from what apply computed
        total = sum((D(s.element(3)) for s in fixed.segments() if s.tag == "SV2"), D(0))
        assert D(written) == total
        # the places CLM02 had, more only when the sum needs them (README: amounts keep their places)
        needed = max(0, -int(total.normalize().as_tuple().exponent))
        assert _places(written) == max(_places(claim.clm.element(2)), needed)
        assert _lx(fixed) == list(range(1, len(fixed.lines) + 1))
        removed = {e.line for e in edits if e.kind == "remove_line"}
        assert [ln.number for ln in fixed.lines] == [ln.number for ln in claim.lines if ln.number not in removed]
        assert "E" not in fixed.clm.element(2) and all("E" not in ln.sv2.element(3) for ln in fixed.lines)
        if kind == "collapse" and edits:
            assert fixed.total == claim.total  # the removed line's charge moved, none was dropped


def test_set_revenue_code_changes_only_that_sv2() -> None:
    claim = read_claims(_builder_file())[0]
    fixed = apply(claim, [set_revenue_code(3, "0999")])
    changed = [(a.text(), b.text()) for a, b in zip(claim.segments(), fixed.segments(), strict=True) if a.raw != b.raw]
    assert changed == [("SV2*0874*HC:38228:JW*2500.50*UN*1~", "SV2*0999*HC:38228:JW*2500.50*UN*1~")]
    assert fixed.line(3).sv2.suffix == claim.line(3).sv2.suffix == b"~\r\n"


def test_procedure_code_and_modifiers() -> None:
    claim = read_claims(_builder_file())[0]
    fixed = apply(claim, [set_procedure_code(3, "0540T"), add_modifier(3, "59"), add_modifier(1, "XU")])
    assert fixed.line(3).sv2.text() == "SV2*0874*HC:0540T:JW:59*2500.50*UN*1~"
    assert fixed.line(3).procedure is not None and fixed.line(3).procedure.qualifier == "HC"
    assert fixed.line(1).modifiers == ("XU",)
    full = apply(claim, [add_modifier(3, m) for m in ("59", "25", "KX")])
    assert full.line(3).modifiers == ("JW", "59", "25", "KX")
    with pytest.raises(InvariantError, match="no free modifier slot on LX 3"):
        apply(full, [add_modifier(3, "XE")])


def test_amounts_keep_decimal_places() -> None:
    """1800.00 + 1800.00 -> 3600.00; 1800 + 1800 -> 3600; units 1.00 -> 2.00; never an exponent."""
    two_places = read_claims(_builder_file())[0]
    collapsed = apply(two_places, [set_charge(1, D("1800.00") + D("1800.00")), remove_line(2)])
    assert collapsed.line(1).sv2.text() == "SV2*0871*HC:38225*3600.00*UN*1~"
    assert collapsed.clm.element(2) == "406112.84" == two_places.clm.element(2)
    assert [s.text() for s in collapsed.segments() if s.tag == "LX"] == ["LX*1~", "LX*2~", "LX*3~", "LX*4~"]
    whole = read_claims(_builder_file(whole=True))[0]
    assert whole.clm.element(2) == "3600"
    fixed = apply(whole, [set_charge(1, D("3600")), remove_line(2), set_units(1, D(2)), set_noncovered(1, D("3600"))])
    assert fixed.line(1).sv2.text() == "SV2*0871*HC:38225*3600*UN*2.00**3600~"
    assert fixed.clm.element(2) == "3600"
    moved = apply(whole, [set_charge(2, D("1E+3"))])
    assert moved.line(2).sv2.element(3) == "1000"
    assert moved.clm.element(2) == "2800"


def test_noncovered_fills_sv206_and_keeps_other_elements() -> None:
    claim = read_claims(_builder_file())[0]
    fixed = apply(claim, [set_noncovered(4, D("400000.00"))])
    assert fixed.line(4).sv2.text() == "SV2*0891*HC:Q2041*400000.00*UN*1**400000.00~"
    assert fixed.line(4).noncovered == D("400000.00")
    assert fixed.total == claim.total


def test_edit_on_a_missing_line_is_a_bug() -> None:
    claim = read_claims(_builder_file())[0]
    with pytest.raises(InvariantError, match="names LX 9"):
        apply(claim, [set_units(9, D(1))])
    with pytest.raises(InvariantError, match="names LX 2"):
        apply(claim, [remove_line(2), set_units(2, D(1))])


@given(
    st.decimals(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False, places=None),
    st.sampled_from(["1800", "1800.0", "1800.00", "52", "175.8", "0", ""]),
)
def test_format_amount_never_writes_an_exponent(value: Decimal, like: str) -> None:
    text = format_amount(value, like)
    assert "E" not in text.upper() and "-" not in text
    assert Decimal(text) == value
    places = len(like.partition(".")[2])
    assert len(text.partition(".")[2]) >= places


# -- written back: SE01 recounted, own envelope check, pyx12 ---------------------------------------


def _rewrite(data: bytes, edits: EditFor) -> bytes:
    stream = FileStream(io.BytesIO(data), "t.837", everything(data))

    def fix(block: ClaimBytes) -> Claim | None:
        claim = read_claim(block, "t.837")
        wanted = edits(claim)
        return apply(claim, wanted) if wanted else None

    return b"".join(write_events(stream.events(), fix))


@pytest.mark.parametrize("kind", ["remove_line", "collapse", "set_charge"])
def test_writer_recounts_se01(kind: str) -> None:
    data = _source().read_bytes()
    out = _rewrite(data, EDITS[kind])
    before, after = read_claims(data), read_claims(out)
    assert stream_join(out, EVERYTHING).data == out  # our own envelope check: SE01 right
    removed = sum(1 for c in before for e in EDITS[kind](c) if e.kind == "remove_line") * 3  # LX, SV2, DTP
    assert _se01_total(out) == _se01_total(data) - removed
    assert [len(c.lines) for c in after] == [len(c.lines) - (kind != "set_charge") for c in before]
    assert all(c.total == c.line_charges() for c in after)


def _se01_total(data: bytes) -> int:
    return sum(int(seg.split(b"*")[1]) for seg in data.split(b"~\r\n") if seg.startswith(b"SE*"))


@functools.cache
def _valid_source() -> Path:
    """A generated file pyx12 accepts (so edited output must be accepted too)."""
    source = generate(claims=5, seed=37, cart_share=1.0, line_ending="lf", claims_per_st=3)
    assert pyx12_valid(source.read_bytes()) == (True, [])
    return source


class EditingEngine(Engine):
    """An engine whose only 'rule' applies given edits to every claim it is shown."""

    def __init__(self, edits: EditFor) -> None:
        super().__init__(Config())
        self.edits = edits

    def run(self, claim: Claim, episode: EpisodeView, scope: object = None, review: object = None) -> ClaimOutcome:
        """Apply the edits; report the claim changed when there were any."""
        wanted = self.edits(claim)
        return ClaimOutcome(apply(claim, wanted), (), True) if wanted else ClaimOutcome(claim, (), False)


@pytest.mark.parametrize("kind", list(EDITS))
def test_batch_output_still_validates(kind: str, tmp_path: Path) -> None:
    source = _valid_source()
    data = source.read_bytes()
    truth = json.loads(source.with_name(source.name + ".truth.json").read_text())["claims"]
    batch = Batch(Config(), EditingEngine(EDITS[kind]), EpisodeIndex(), RunMode.FIX, outdir=tmp_path / "out")
    result = batch.process(0, InputFile(source, "in.837", Path("in.837")))
    assert result.error is None
    assert result.status is FileStatus.CHANGED
    needs_two = kind in ("remove_line", "collapse")
    assert result.claims_changed == sum(1 for t in truth.values() if t["cart"] and (t["n_lines"] > 1 or not needs_two))
    out = (tmp_path / "out" / "in.837").read_bytes()
    assert out != data
    valid, errors = pyx12_valid(out)
    assert valid, errors
    for claim in read_claims(out):
        assert claim.total == claim.line_charges()
        assert _lx(claim) == list(range(1, len(claim.lines) + 1))


def _builder_file(whole: bool = False) -> bytes:
    """CART_CLAIM (two 1800.00 collection lines first), or two lines of 1800 units 1.00, CLM02 3600."""
    spec = CART_CLAIM
    if whole:
        line = Line("0871", "38225", charge="1800", units="1.00")
        spec = ClaimSpec("CLAIM1", (line, line), clm02="3600")
    return interchange(Style(suffixes=("\r\n",)), 1, [[spec]])


def test_code_or_modifier_on_an_empty_sv202_gets_the_hc_qualifier() -> None:
    (claim,) = read_claims(interchange(Style(), 1, [[ClaimSpec("Q1", (Line("0874", ""),))]]))
    assert claim.lines[0].sv2.element(2) == ""
    coded = apply(claim, [set_procedure_code(1, "38228")])
    assert coded.lines[0].sv2.element(2) == "HC:38228"
    modified = apply(claim, [add_modifier(1, "25")])
    assert modified.lines[0].sv2.element(2) == "HC::25"
