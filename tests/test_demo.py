"""`make demo`, the README's first command, runs from a fresh checkout (no out/ folder yet)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_make_demo_writes_every_report_from_scratch(tmp_path: Path) -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    # The recipe as make would run it (the install step treated as done), run in a scratch folder.
    recipe = subprocess.run(
        [
            make,
            "--no-print-directory",
            "-s",
            "-n",
            "-C",
            str(ROOT),
            "-o",
            ".venv/.installed",
            "demo",
            f"BIN={Path(sys.executable).parent}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    done = subprocess.run(["bash", "-ec", recipe], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in ("report.json", "report.md", "report.html", "worklist.csv"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name
    assert any((tmp_path / "out" / "fixed").iterdir())
