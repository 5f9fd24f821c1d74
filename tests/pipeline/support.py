"""Helpers of the pipeline tests: real cart837 processes, as a queue worker runs them."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import CHILD_PYTHONPATH, PUBLIC, ROOT

SCENARIO = ROOT / "fixtures" / "scenarios" / "catiii-2025-crosswalk"
CHANGING = SCENARIO / "input.837"
CLEAN = PUBLIC / "stupidedi" / "ppo-repriced-claim.edi"
SE01_WRONG = PUBLIC / "imsweb-x12-parser" / "x223-test.txt"
NOT_837I = PUBLIC / "linuxforhealth-x12" / "institutional.837"
PROFESSIONAL = PUBLIC / "hccinfhir" / "sample_837_1.txt"
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def command(*args: str) -> list[str]:
    """The cart837 command line of this checkout."""
    return [sys.executable, "-c", "from cart837.cli import main; main()", *args]


def environment() -> dict[str, str]:
    """This checkout's code first on the path, whatever user runs it."""
    return {**os.environ, "PYTHONPATH": CHILD_PYTHONPATH}


@dataclass(frozen=True)
class Done:
    """A finished cart837 process."""

    code: int
    stdout: bytes
    stderr: str

    @property
    def lines(self) -> list[str]:
        """Standard error, line by line."""
        return self.stderr.splitlines()


def drop_file_override() -> None:
    """Take from this process (and what it execs) root's power to read any file whatever its mode.

    The tests run as root on CI; a 0000 file is unreadable only once CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH are out of the bounding set (prctl PR_CAPBSET_DROP).
    """
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run(*args: str, modes_bind: bool = False, umask: int | None = None, cwd: Path | None = None) -> Done:
    """Run cart837 to its end; with `modes_bind` file modes stop it even when the tests run as root."""

    def before() -> None:
        if umask is not None:
            os.umask(umask)
        if modes_bind:
            drop_file_override()

    done = subprocess.run(
        command(*args), capture_output=True, env=environment(), preexec_fn=before, timeout=600, check=False, cwd=cwd
    )
    return Done(done.returncode, done.stdout, done.stderr.decode())


def start(*args: str) -> subprocess.Popen[bytes]:
    """Start cart837 in the background (its own process group, like a service's)."""
    return subprocess.Popen(
        command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(), start_new_session=True
    )


def report_of(path: Path) -> dict[str, Any]:
    """Load a JSON report and check it against the shipped schema."""
    from cart837.report import schema

    return schema.load(path)


def results_lines(path: Path) -> list[dict[str, Any]]:
    """Read a results file: one JSON object per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def copy_batch(folder: Path, files: dict[str, Path]) -> Path:
    """Copy fixture files under `folder` by relative name."""
    for name, source in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return folder


def wait_for(condition: Callable[[], bool], seconds: float = 300) -> bool:
    """Poll `condition` every 10 ms for up to `seconds`."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
