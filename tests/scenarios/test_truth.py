"""Generator truth for the whole rule pack: gen837i.py's `expected_rules_r2` must all fire, per claim.

`expected_rules_r2` (gen837i.py 1.3) is RULES.md revision 2's expectation; `expected_rules` is revision 1.

Other tests check one rule id each (tests/rules/test_truth*.py); this one runs every rule at once
over whole generated files (several seeds, --all-scenarios, both benchmark mixes, two
interchanges) and checks, per claim:
- every rule of the claim's truth `expected_rules_r2` has a finding on that claim;
- any other rule that fires is on the allow-list below, with the reason it may;
- a claim with no CAR-T line (truth "cart": false) comes out byte-identical (DESIGN.md: a claim
  without a CAR-T-relevant line is never changed), and one whose patient has no CAR-T claim at
  all gets no finding.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cart837.cli import main
from cart837.rules import all_rules
from tests.support import GENERATOR, gen837i

# Rules that may fire on a claim whose truth does not expect them, and why. Keyed by rule id;
# everything not listed here must be expected by the truth wherever it fires. It is empty on
# purpose: the generator's truth follows RULES.md's default configuration, and on its output the
# rules it never expects (its --help: CART-009, 013, 019, 020, 021, 022) must stay silent too:
# - CART-009: its information flag is `off` by default (RULES.md §3 Settings).
# - CART-013: adds its reason to the CART-010/011/012 findings' text, never a finding of its own.
# - CART-019: `off` by default (Medicare requirement for VC 86 is U).
# - CART-020: needs `product_charge_includes_preinfusion = true`, a payer fact; default false.
# - CART-021: every generated claim has CLM02 = sum of SV203.
# - CART-022: the generator's only DTP*472 ranges are on 11x room-and-board (0120) lines, which
#   are not CAR-T-relevant (gen837i.py --help reads RULES.md the same way).
# A sweep of 80 files (seeds 200-239, both mixes) found no rule firing outside the truth.
ALLOWED_EXTRA: dict[str, str] = {
    # The generator writes replacement claims (137) with REF*F8 but never a claim change reason
    # condition code, and says "CART-023: no voids are generated". RULES.md CART-023 (revision 2)
    # flags a Medicare FFS frequency-7 claim without exactly one of D0-D4/D7-D9/E0.
    "CART-023": "Medicare replacement claims without a claim change reason code",
}


@dataclass(frozen=True)
class Mix:
    """One generated file: seed, benchmark mix (CAR-T share), size and byte style."""

    seed: int
    share: float
    claims: int
    line_ending: str
    delims: str

    @property
    def id(self) -> str:
        """Return a readable test id."""
        return f"seed{self.seed}-share{self.share}-{self.line_ending}"


MIXES = (
    Mix(101, 0.01, 2500, "none", "*:^~"),  # a clearinghouse's mix (DESIGN.md, Scale)
    Mix(102, 0.3, 400, "lf", "*:^~"),  # a cancer centre's mix
    Mix(103, 0.01, 2500, "crlf", "|^{~"),
    Mix(104, 0.3, 400, "none", "*>^~"),
    Mix(105, 0.3, 400, "crlf", "*:^~"),
)


@dataclass(frozen=True)
class Run:
    """A generated file, its truth, the fixed output and the findings per claim."""

    data: bytes
    output: bytes
    truth: dict[str, dict[str, Any]]
    fired: dict[str, set[str]]


@cache
def _run(mix: Mix, folder: Path) -> Run:
    source = folder / f"{mix.id}.837"
    gen837i(
        "--claims",
        str(mix.claims),
        "--seed",
        str(mix.seed),
        "--cart-share",
        str(mix.share),
        "--all-scenarios",
        "--interchanges",
        "2",
        "--line-ending",
        mix.line_ending,
        "--delims",
        mix.delims,
        output=source,
    )
    report = folder / f"{mix.id}.json"
    result = CliRunner().invoke(
        main, ["fix", str(source), "-o", str(folder / "out"), "--report", str(report), "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    fired: dict[str, set[str]] = defaultdict(set)
    for finding in json.loads(report.read_text("utf-8"))["files"][0]["findings"]:
        fired[finding["claim"]].add(finding["rule"])
    truth = json.loads(Path(f"{source}.truth.json").read_text("utf-8"))["claims"]
    return Run(source.read_bytes(), (folder / "out" / source.name).read_bytes(), truth, dict(fired))


@pytest.fixture(scope="module", params=MIXES, ids=[m.id for m in MIXES])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    if not GENERATOR.is_file():
        pytest.skip(f"gen837i.py not found at {GENERATOR}")
    mix: Mix = request.param
    return _run(mix, tmp_path_factory.mktemp(mix.id))


def claim_spans(data: bytes) -> dict[str, bytes]:
    """Return CLM01 -> the claim's bytes, from its CLM to the next CLM, HL or SE segment."""
    element, terminator = re.escape(data[3:4]), re.escape(data[105:106])
    segment = re.compile(rb"[^" + terminator + rb"]*" + terminator + rb"[\r\n]*")
    spans: dict[str, bytes] = {}
    current: str | None = None
    start = 0
    for match in segment.finditer(data):
        tag = re.split(element, match.group().lstrip(b"\r\n"), maxsplit=1)[0]
        if current is not None and tag in (b"CLM", b"HL", b"SE"):
            spans[current] = data[start : match.start()]
            current = None
        if tag == b"CLM":
            current = re.split(element, match.group(), maxsplit=2)[1].decode("latin-1")
            start = match.start()
    return spans


def test_every_expected_rule_fires_on_its_claim(run: Run) -> None:
    missing = {
        claim: sorted(set(truth["expected_rules_r2"]) - run.fired.get(claim, set()))
        for claim, truth in run.truth.items()
    }
    assert {claim: rules for claim, rules in missing.items() if rules} == {}


def test_every_rule_of_rules_md_is_registered() -> None:
    assert sorted(rule.id for rule in all_rules()) == [f"CART-{n:03d}" for n in range(1, 25)]


def test_unexpected_rules_are_on_the_allow_list(run: Run) -> None:
    extra = {
        claim: sorted(rules - set(run.truth[claim]["expected_rules_r2"]) - ALLOWED_EXTRA.keys())
        for claim, rules in run.fired.items()
    }
    assert {claim: rules for claim, rules in extra.items() if rules} == {}


def test_claims_without_cart_lines_are_byte_identical(run: Run) -> None:
    before, after = claim_spans(run.data), claim_spans(run.output)
    assert before.keys() == after.keys() == run.truth.keys()
    plain = [claim for claim, truth in run.truth.items() if not truth["cart"]]
    assert plain, "the mix has no claim without CAR-T lines"
    assert [claim for claim in plain if before[claim] != after[claim]] == []


def test_claims_of_patients_without_cart_get_no_finding(run: Run) -> None:
    cart_patients = {truth["patient_key"] for truth in run.truth.values() if truth["cart"]}
    quiet = [claim for claim, truth in run.truth.items() if truth["patient_key"] not in cart_patients]
    assert quiet
    assert {claim: sorted(run.fired[claim]) for claim in quiet if claim in run.fired} == {}
    assert [claim for claim in quiet if run.truth[claim]["expected_rules_r2"]] == []


def test_the_mixes_exercise_the_rule_pack(tmp_path_factory: pytest.TempPathFactory) -> None:
    if not GENERATOR.is_file():
        pytest.skip(f"gen837i.py not found at {GENERATOR}")
    expected = {
        rule
        for mix in MIXES
        for truth in _run(mix, tmp_path_factory.mktemp(mix.id)).truth.values()
        for rule in truth["expected_rules_r2"]
    }
    wanted = {"CART-001", "CART-002", "CART-003", "CART-005", "CART-006", "CART-007", "CART-010", "CART-011"}
    assert wanted | {"CART-015", "CART-018", "CART-024"} <= expected
