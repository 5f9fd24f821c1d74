"""Test-wide set-up: quiet logs (warnings and up, JSON) unless a test captures them."""

from __future__ import annotations

import sys

from cart837 import logs

logs.configure(0, sys.stderr)
