"""The CAR-T rule pack: one module per CART id, registered on import, run in CART-021's order."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache

from cart837.config import RuleMode
from cart837.ids import RuleId
from cart837.rules.base import REGISTRY, Rule

# RULES.md CART-021 order; the gates CART-022 and CART-021 run first so they can block fixes.
ORDER = (
    "CART-022",
    "CART-021",
    "CART-001",
    "CART-002",
    "CART-003",
    "CART-004",
    "CART-006",
    "CART-005",
    "CART-007",
    "CART-008",
    "CART-009",
    "CART-010",
    "CART-011",
    "CART-012",
    "CART-013",
    "CART-014",
    "CART-015",
    "CART-016",
    "CART-017",
    "CART-018",
    "CART-019",
    "CART-020",
    "CART-023",
    "CART-024",
)


@cache
def all_rules() -> tuple[Rule, ...]:
    """Import every `cartNNN_*` module and return the registered rules in run order."""
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("cart") and module.name[4:7].isdigit():
            importlib.import_module(f"{__name__}.{module.name}")
    rank = {rule_id: position for position, rule_id in enumerate(ORDER)}
    return tuple(sorted(REGISTRY.values(), key=lambda r: (rank.get(r.id, len(ORDER)), r.id)))


def known_rules() -> dict[RuleId, frozenset[RuleMode]]:
    """Return rule id -> the modes it allows, for configuration checks."""
    return {rule.id: rule.modes for rule in all_rules()}


def select_rules(names: Iterable[str]) -> frozenset[RuleId]:
    """Return the rule ids of `--rules` (or the API's `rules`); ValueError names the unknown ones."""
    known = known_rules()
    wanted = frozenset(names)
    unknown = sorted(name for name in wanted if name not in known)
    if unknown:
        raise ValueError(f"unknown rule id(s): {', '.join(unknown)}")
    return frozenset(RuleId(name) for name in wanted)
