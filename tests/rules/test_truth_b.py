"""Cross-check CART-010..024 against gen837i.py's ground truth (`expected_rules_r2`, revision 2), both ways.

Per claim, the set of these rule ids with a finding must equal the truth's set restricted to
them. The generator reads RULES.md under the default configuration; where its reading and
RULES.md could differ (see the module docstring of each rule), the generated data does not
exercise the difference, so exact agreement is expected.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.support import GENERATOR, gen837i, rules_found

RULES_B = frozenset(f"CART-{n:03d}" for n in range(10, 25)) - {"CART-023"}  # 023: see tests/scenarios/test_truth.py
RUNS = {
    "seed12": ("--claims", "3000", "--seed", "12", "--cart-share", "0.5", "--all-scenarios"),
    "seed7-crlf-2isa": (
        "--claims", "2500", "--seed", "7", "--cart-share", "0.6", "--all-scenarios",
        "--claims-per-st", "700", "--interchanges", "2", "--line-ending", "crlf",
    ),
    "seed3-v11-pool": ("--claims", "2000", "--seed", "3", "--cart-share", "0.4"),
}  # fmt: skip


def _generate(tmp_path: Path, options: tuple[str, ...]) -> Path:
    if not GENERATOR.is_file():
        pytest.skip(f"generator not found at {GENERATOR}")
    target = tmp_path / "gen.837"
    gen837i(*options, output=target)
    return target


def _found(path: Path) -> dict[str, set[str]]:
    return rules_found(path, RULES_B)


@pytest.mark.parametrize("run", sorted(RUNS))
def test_findings_match_generator_truth(run: str, tmp_path: Path) -> None:
    path = _generate(tmp_path, RUNS[run])
    truth = json.loads(path.with_name(path.name + ".truth.json").read_text("utf-8"))["claims"]
    found = _found(path)
    assert set(found) <= set(truth), "findings on claims the generator did not write"
    disagreements = []
    agreed: Counter[str] = Counter()
    for claim, facts in truth.items():
        expected = set(facts["expected_rules_r2"]) & RULES_B
        got = found.get(claim, set())
        if expected != got:
            disagreements.append((claim, sorted(expected - got), sorted(got - expected)))
        agreed.update(expected & got)
    assert disagreements == [], f"(claim, missing, extra): {disagreements[:10]}"
    exercised = ("CART-010", "CART-011", "CART-015") + (("CART-024",) if "--all-scenarios" in RUNS[run] else ())
    for rule_id in exercised:  # the data must exercise the rules
        assert agreed[rule_id] > 0, f"{run}: no {rule_id} case in the generated data"
