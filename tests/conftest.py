"""Test-wide set-up: quiet logs (warnings and up, JSON) unless a test captures them; Hypothesis profiles;
a user cache of the run's own (pyx12's routed maps go there, not into ~/.cache)."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import cart837
from cart837 import logs

logs.configure(0, sys.stderr)

# An extension module beside a .py in the checkout would win its import and run stale code once the
# source is edited (README, Install): the checkout holds source only; compiled builds live in build/.
_CHECKOUT = Path(__file__).resolve().parents[1]
_STALE = sorted(
    str(p.relative_to(_CHECKOUT)) for p in (_CHECKOUT / "cart837").rglob("*") if p.suffix in (".so", ".pyd")
)
if _STALE:
    pytest.exit(f"compiled modules in the checkout would shadow the source: {', '.join(_STALE)}; delete them", 2)
# `make pytest` tests the installed build in build/compiled/ (CART837_BUILD_KIND says what it is).
if os.environ.get("CART837_BUILD_KIND", "source") != "source" and Path(cart837.__file__).is_relative_to(
    _CHECKOUT / "cart837"
):
    pytest.exit(f"expected the installed build, but cart837 came from the checkout: {cart837.__file__}", 2)

# Set before any test runs, so child processes (the CLI, --jobs workers) inherit it too.
TEST_CACHE = tempfile.mkdtemp(prefix="cart837-test-cache-")
os.environ["XDG_CACHE_HOME"] = TEST_CACHE
atexit.register(shutil.rmtree, TEST_CACHE, True)

# STYLE.md §6: a quick default and an opt-in heavy profile (`make fuzz`: HYPOTHESIS_PROFILE=fuzz).
settings.register_profile(
    "quick", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile(
    "fuzz", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
