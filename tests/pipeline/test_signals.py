"""Issue 16 item 2: clean stops on SIGINT and SIGTERM (real processes, real signals)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from cart837.atomic import is_temp_name
from tests.pipeline.support import command, environment, report_of, results_lines, start, wait_for
from tests.support import generate

FILES = 10


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A 20k-claim file and what an uninterrupted fix makes of it."""
    source = generate(claims=20_000, seed=16, cart_share=0.05)
    out = tmp_path_factory.mktemp("reference")
    done = subprocess.run([*command("fix", str(source), "-o", str(out), "-q")], env=environment(), check=False)
    assert done.returncode == 0
    return source, (out / source.name).read_bytes()


def _batch(folder: Path, source: Path) -> Path:
    batch = folder / "in"
    batch.mkdir()
    for number in range(FILES):
        os.link(source, batch / f"f{number:02d}.837")  # read only: links save the copies
    return batch


@pytest.mark.parametrize(
    ("signum", "jobs", "whole_group"),
    [(signal.SIGTERM, 1, False), (signal.SIGINT, 1, False), (signal.SIGTERM, 2, False), (signal.SIGINT, 2, True)],
    ids=["sigterm", "sigint", "sigterm-jobs2-parent-only", "sigint-jobs2-ctrl-c"],
)
def test_a_stop_finishes_cleanly(
    reference: tuple[Path, bytes], tmp_path: Path, signum: int, jobs: int, whole_group: bool
) -> None:
    source, fixed = reference
    batch, out = _batch(tmp_path, source), tmp_path / "out"
    report, results = tmp_path / "report.json", tmp_path / "results.jsonl"
    process = start(
        "fix", str(batch), "-o", str(out), "--report", str(report), "--results", str(results), "--jobs", str(jobs)
    )
    try:
        assert wait_for(lambda: results.exists() and results.read_bytes().count(b"\n") >= 1), "no file finished"
        if whole_group:
            os.killpg(process.pid, signum)  # Ctrl-C: the terminal signals the workers too
        else:
            process.send_signal(signum)  # systemd's or Kubernetes' stop reaches the parent
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    text = stderr.decode()
    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum, text
    assert "Traceback" not in text
    assert text.splitlines()[-1] == f"exit {128 + signum}: stopped by {name}"
    files = report_of(report)["files"]  # valid JSON, valid against the schema
    statuses = [f["status"] for f in files]
    assert len(files) == FILES and set(statuses) <= {"changed", "not_processed"}
    assert 1 <= statuses.count("changed") < FILES, "the stop did not land in the middle of the batch"
    stopped = [f for f in files if f["status"] == "not_processed"]
    reason = f"not processed: the run was stopped ({name})"
    assert all(f["code"] == "S-STOPPED" and f["reason"] == reason for f in stopped)
    assert f"{len(stopped)} not processed" in text.splitlines()[-2]
    assert [line["status"] for line in results_lines(results)] == statuses  # a queue can resume from it
    for entry in files:
        written = out / Path(entry["path"]).name
        if entry["status"] == "changed":
            assert written.read_bytes() == fixed
        elif written.exists():
            assert written.read_bytes() == fixed  # finished as the stop came: whole, never a part
    assert [p.name for p in out.rglob("*") if is_temp_name(p)] == []
    assert [p.name for p in tmp_path.glob(".*") if p.name.startswith(".report.json")] == []


def test_the_next_in_place_run_removes_what_a_killed_one_left_beside_its_inputs(tmp_path: Path) -> None:
    from tests.pipeline.support import CHANGING, run

    source = tmp_path / "batch.837"
    source.write_bytes(CHANGING.read_bytes())
    ours = tmp_path / ".batch.837.deadbeef.cart837-tmp"  # as a SIGKILL mid-file leaves one
    ours.write_bytes(b"ISA")
    another = tmp_path / ".other.837.deadbeef.cart837-tmp"  # not an input of this run: not ours to remove
    another.write_bytes(b"ISA")
    done = run("fix", "--in-place", str(source))
    assert done.code == 0, done.stderr
    assert not ours.exists() and another.exists()
