"""gen837i.py files with every scenario (`--all-scenarios`), made once per argument set."""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support import GENERATOR


@functools.cache
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
    name = f"a{claims}-{seed}-{cart_share}-{line_ending}-{delims.encode().hex()}-{claims_per_st}-{interchanges}.837"
    path = Path(_folder()) / name
    subprocess.run(
        [
            sys.executable, str(GENERATOR), "--claims", str(claims), "--seed", str(seed),
            "--cart-share", str(cart_share), "--line-ending", line_ending, "--delims", delims,
            "--claims-per-st", str(claims_per_st), "--interchanges", str(interchanges),
            "--all-scenarios", "--no-truth", "-o", str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path


@functools.cache
def _folder() -> str:
    return tempfile.mkdtemp(prefix="cart837-scale-")
