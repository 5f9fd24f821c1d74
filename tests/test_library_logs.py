"""Library use prints no info logs on stdout (structlog's own default would)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

SOURCE = ROOT / "fixtures" / "scenarios" / "medicare-outpatient-episode" / "input.837"


def test_fix_file_as_a_library_keeps_stdout_clean(tmp_path: Path) -> None:
    target = tmp_path / "out.837"
    code = (
        "import cart837, pathlib, sys\n"
        f"result = cart837.fix_file(pathlib.Path({str(SOURCE)!r}), output=pathlib.Path({str(target)!r}))\n"
        "sys.stderr.write(result.status.value)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout == ""
    assert done.stderr.endswith("changed")
    assert target.is_file()
