"""The test helpers leave nothing behind in /tmp (every pytest process made its own cache)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import ROOT


def test_the_generator_cache_is_removed_when_the_process_ends() -> None:
    script = "from tests.support import generate; print(generate(claims=2, seed=3))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    made = Path(done.stdout.strip())
    assert made.name.endswith(".837")
    assert not made.parent.exists(), f"{made.parent} left behind"
