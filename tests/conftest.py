"""Test-wide set-up: quiet logs (warnings and up, JSON) unless a test captures them; Hypothesis profiles;
a user cache of the run's own (pyx12's routed maps go there, not into ~/.cache)."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

from hypothesis import HealthCheck, settings

from cart837 import logs

logs.configure(0, sys.stderr)

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
