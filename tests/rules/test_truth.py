"""Cross-check CART-001 and CART-004..009 against gen837i.py's ground truth (`.truth.json`).

Only these rule ids are compared (the rules-a set); per claim, the set of those rules with a
finding must equal the truth's `expected_rules_r2` (RULES.md revision 2) restricted to them, in both directions.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.support import GENERATOR, gen837i, rules_found

RULE_IDS = frozenset({"CART-001", "CART-004", "CART-005", "CART-006", "CART-007", "CART-008", "CART-009"})
RUNS = {
    "mixed": ["--claims", "2500", "--seed", "11", "--cart-share", "0.5", "--all-scenarios"],
    "many-st-crlf": [
        "--claims",
        "2500",
        "--seed",
        "3",
        "--cart-share",
        "0.7",
        "--all-scenarios",
        "--claims-per-st",
        "150",
        "--interchanges",
        "3",
        "--line-ending",
        "crlf",
    ],
    "prep-lines": ["--claims", "1500", "--seed", "3", "--cart-share", "0.8", "--scenario", "prep_lines"],
}


def _generate(tmp: Path, args: list[str]) -> tuple[Path, dict[str, list[str]]]:
    if not GENERATOR.is_file():
        pytest.skip(f"generator not found at {GENERATOR} (set CART837_GEN837I)")
    target = tmp / "gen.837"
    gen837i(*args, output=target)
    claims = json.loads(Path(f"{target}.truth.json").read_text("utf-8"))["claims"]
    return target, {claim: sorted(RULE_IDS & set(t["expected_rules_r2"])) for claim, t in claims.items()}


def _findings(path: Path) -> dict[str, set[str]]:
    return rules_found(path, RULE_IDS)


@pytest.mark.parametrize("run", sorted(RUNS))
def test_rules_a_findings_match_the_generator_truth(run: str, tmp_path: Path) -> None:
    path, expected = _generate(tmp_path, RUNS[run])
    got = _findings(path)
    assert set(got) <= set(expected), f"findings on claims the truth does not know: {sorted(set(got) - set(expected))}"
    missing = {c: sorted(set(want) - got.get(c, set())) for c, want in expected.items()}
    unexpected = {c: sorted(got.get(c, set()) - set(want)) for c, want in expected.items()}
    assert {c: r for c, r in missing.items() if r} == {}, "expected by the truth, not found"
    assert {c: r for c, r in unexpected.items() if r} == {}, "found, not expected by the truth"
    # the comparison must not pass vacuously: the truth expects these rules in this run
    counts = Counter(rule for rules in expected.values() for rule in rules)
    wanted = {"CART-005", "CART-004"} if run == "prep-lines" else {"CART-001", "CART-005", "CART-006", "CART-007"}
    assert wanted <= set(counts), counts
