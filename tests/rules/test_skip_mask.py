"""The engine skips a rule on a claim without the code kinds it `needs`: that never changes a finding."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from cart837.batch import Batch
from cart837.codes.tables import CodeKind
from cart837.config import Config
from cart837.inputs import expand_inputs
from cart837.parallel import build_index
from cart837.results import RunMode
from cart837.rules import all_rules
from cart837.rules.base import Check, Finding, Proposal, Rule, RuleContext, line_kinds
from cart837.rules.engine import Engine
from tests.rules.harness import config_of
from tests.support import generate


def _findings(path: Path, config: Config, rules_engine: Engine) -> list[Finding]:
    inputs, _ = expand_inputs([str(path)])
    index, failures = build_index(inputs, config)
    assert not failures
    result = Batch(config, rules_engine, index, RunMode.CHECK).process(0, inputs[0])
    assert result.error is None, result.error
    return list(result.findings)


def _unmasked(rules_engine: Engine, rules: tuple[Rule, ...]) -> Engine:
    """Return the engine running `rules` with no `needs`: the mask skips nothing."""
    rules_engine.rules = tuple(replace(rule, needs=frozenset()) for rule in rules)
    return rules_engine


def _mix() -> Path:
    return generate(claims=400, seed=11, cart_share=0.6, all_scenarios=True)


CONFIGS = {
    "default": None,
    "noncovered": {"bundled_admin_action": "noncovered", "extra_em_codes": ["99999"], "rules": {"CART-010": "fix"}},
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_findings_are_the_same_with_and_without_the_mask(name: str) -> None:
    config = config_of(CONFIGS[name])
    masked = _findings(_mix(), config, Engine(config))
    unmasked = _findings(_mix(), config, _unmasked(Engine(config), all_rules()))
    assert masked == unmasked
    assert len(masked) > 100


def test_a_rule_finds_nothing_on_claims_without_the_kinds_it_needs() -> None:
    """Run every check on every claim (mask off) and watch the claims the mask would skip."""
    config = Config()
    skippable: Counter[str] = Counter()
    ran: set[str] = set()
    wrong: list[str] = []

    def watched(rule_id: str, needs: frozenset[CodeKind], check: Check) -> Check:
        def run(ctx: RuleContext) -> list[Proposal]:
            proposals = check(ctx)
            ran.add(rule_id)
            if needs.isdisjoint(line_kinds(ctx.claim, ctx.config, ctx.codes)):
                skippable[rule_id] += 1
                if proposals:
                    wrong.append(f"{rule_id} on claim {ctx.claim.id}: {proposals[0].message}")
            return proposals

        return run

    rules = tuple(
        replace(rule, check=watched(rule.id, rule.needs, rule.check)) if rule.needs else rule for rule in all_rules()
    )
    _findings(_mix(), config, _unmasked(Engine(config), rules))
    assert not wrong
    assert len(ran) >= 10  # masked rules on by default
    assert set(skippable) == ran  # and each met claims it would skip
