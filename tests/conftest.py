"""Test-wide set-up: quiet logs (warnings and up, JSON) unless a test captures them; Hypothesis profiles."""

from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, settings

from cart837 import logs

logs.configure(0, sys.stderr)

# STYLE.md §6: a quick default and an opt-in heavy profile (`make fuzz`: HYPOTHESIS_PROFILE=fuzz).
settings.register_profile(
    "quick", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile(
    "fuzz", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
