"""gen837i.py files with every scenario (`--all-scenarios`), made once per argument set."""

from __future__ import annotations

from pathlib import Path

from tests.support import generate


def generate_all(
    claims: int = 100,
    seed: int = 7,
    cart_share: float = 0.5,
    line_ending: str = "lf",
    delims: str = "*:^~",
    claims_per_st: int = 5000,
    interchanges: int = 1,
) -> Path:
    """Return a generated .837 drawing CAR-T claims from every scenario of the generator."""
    return generate(
        claims, seed, cart_share, line_ending, delims, claims_per_st, interchanges, all_scenarios=True
    )
