"""Run the CLI in a child process whose stdout and/or stderr is a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support import CHILD_PYTHONPATH


@dataclass(frozen=True)
class Outcome:
    """Exit code and what each stream received (terminal output as text)."""

    code: int
    stdout: str
    stderr: str


def _drain(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def run_cli(args: list[str], *, stdout_tty: bool = False, stderr_tty: bool = False, cwd: Path | None = None) -> Outcome:
    """Run `cart837 ARGS` with the chosen streams on a terminal; the others are pipes."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": CHILD_PYTHONPATH, "COLUMNS": "120", "TERM": "xterm"}
    child = subprocess.Popen(
        [sys.executable, "-c", "from cart837.cli import main; main()", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=slave if stderr_tty else subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    os.close(slave)
    on_terminal = _drain(master).decode("utf-8", "replace").replace("\r\n", "\n")
    os.close(master)
    out, err = child.communicate(timeout=120)
    stdout = on_terminal if stdout_tty else out.decode()
    stderr = on_terminal if stderr_tty and not stdout_tty else err.decode() if err else ""
    return Outcome(child.returncode, stdout, stderr)
