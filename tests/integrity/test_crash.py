"""Crash safety: SIGKILL in the middle of a large batch leaves only complete outputs (or none)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cart837.atomic import is_temp_name
from tests.support import gen837i

FILES, CLAIMS, DISTINCT = 20, 20_000, 4
CLI = [sys.executable, "-c", "from cart837.cli import main; main()"]


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, bytes]]:
    """4 distinct 20k-claim files: name -> (input bytes, output of an uninterrupted fix of it alone)."""
    folder = tmp_path_factory.mktemp("seeds")
    made: dict[str, tuple[bytes, bytes]] = {}
    for n in range(DISTINCT):
        source = folder / f"seed{n}.837"
        gen837i("--claims", str(CLAIMS), "--seed", str(100 + n), "--cart-share", "0.05", "--no-truth", output=source)
        run = subprocess.run([*CLI, "fix", str(source), "-o", str(folder / "out"), "-q"], capture_output=True)
        assert run.returncode == 0, run.stderr.decode(errors="replace")
        made[source.name] = (source.read_bytes(), (folder / "out" / source.name).read_bytes())
    return made


@pytest.fixture()
def batch(seeds: dict[str, tuple[bytes, bytes]], tmp_path: Path) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """20 files (each seed under 5 names); fixes depend on a claim's own lines, so each copy's output is its seed's."""
    folder = tmp_path / "in"
    folder.mkdir()
    inputs, outputs = {}, {}
    for number in range(FILES):
        data, fixed = list(seeds.values())[number % DISTINCT]
        name = f"batch{number:02d}.837"
        (folder / name).write_bytes(data)
        inputs[name], outputs[name] = data, fixed
    return folder, inputs, outputs


def _finals(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")} if folder.exists() else {}


def _kill_when(command: list[str], ready: Callable[[], bool]) -> None:
    """Start `command` and SIGKILL it as soon as `ready()` says enough has been written."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 900
    try:
        while time.monotonic() < deadline and process.poll() is None and not ready():
            time.sleep(0.005)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the batch finished before it could be killed"


def test_sigkill_mid_batch_leaves_only_complete_outputs(
    batch: tuple[Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    folder, inputs, outputs = batch
    out = tmp_path / "out"
    _kill_when([*CLI, "fix", str(folder), "-o", str(out)], lambda: bool(_finals(out)))
    finals = _finals(out)
    temps = [p.name for p in out.iterdir() if is_temp_name(p)]
    assert 1 <= len(finals) < FILES, "the kill did not land in the middle of the batch"
    assert all(data == outputs[name] for name, data in finals.items())
    assert len(temps) <= 1  # the file in progress: hidden, never under a final name (README, Guarantees)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == inputs
    (out / ".batch00.837.deadbeef.cart837-tmp").write_bytes(b"ISA")  # as a kill mid-file leaves one
    again = subprocess.run([*CLI, "fix", str(folder / "batch00.837"), "-o", str(out)], capture_output=True, check=False)
    assert again.returncode == 0, again.stderr
    assert [p.name for p in out.iterdir() if is_temp_name(p)] == []  # the next run over the output removes them
    assert _finals(out)["batch00.837"] == outputs["batch00.837"]


def test_sigkill_mid_in_place_batch_leaves_each_file_old_or_new(
    batch: tuple[Path, dict[str, bytes], dict[str, bytes]],
) -> None:
    folder, inputs, outputs = batch
    assert inputs != outputs, "no file of the batch changes: the in-place check would prove nothing"
    first = {p.name: p.stat().st_ino for p in folder.iterdir()}

    def replaced() -> bool:
        return any(p.stat().st_ino != first.get(p.name) for p in folder.iterdir() if not is_temp_name(p))

    _kill_when([*CLI, "fix", "--in-place", str(folder)], replaced)
    now = _finals(folder)
    assert set(now) == set(inputs)
    assert all(now[name] in (inputs[name], outputs[name]) for name in now)
    assert sum(now[name] == outputs[name] != inputs[name] for name in now) >= 1
    assert sum(now[name] == inputs[name] != outputs[name] for name in now) >= 1
