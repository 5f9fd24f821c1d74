"""Issue 16 item 2: clean stops on SIGINT and SIGTERM, and a killed Dask worker (real processes, real signals)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cart837.atomic import is_temp_name
from tests.pipeline.support import command, environment, report_of, results_lines, start, wait_for
from tests.support import dask_cluster, generate

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
    _stop_part_way(reference, tmp_path, signum, ["--jobs", str(jobs)], whole_group)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """Two Dask worker processes whose temp folder (TMPDIR, Dask's local directory) the tests can look into."""
    scratch = tmp_path_factory.mktemp("dask-workers")
    with dask_cluster(env={"TMPDIR": str(scratch)}, local_directory=str(scratch / "dask")) as local:
        yield local, scratch


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_stop_under_dask_finishes_cleanly(
    reference: tuple[Path, bytes], tmp_path: Path, cluster: tuple[Any, Path], signum: int
) -> None:
    import distributed

    local, scratch = cluster
    _stop_part_way(reference, tmp_path, signum, ["--dask", local.scheduler_address])
    assert _our_files(scratch) == [], "a worker left a temp file in its temp folders"
    with distributed.Client(local) as client:  # nothing of the run goes on writing once it has exited

        def idle() -> bool:
            executing = client.run(lambda dask_worker: dask_worker.state.executing_count)
            return not any(executing.values())

        assert wait_for(idle, seconds=10), "a task of the stopped run still runs on a worker"


@pytest.mark.parametrize("retries", [0, 3], ids=["fails-at-once", "dask-retries"])
def test_a_killed_dask_worker(
    reference: tuple[Path, bytes], tmp_path: Path, cluster: tuple[Any, Path], retries: int
) -> None:
    """SIGKILL to a worker mid-file: the run ends; the file is E-WORKER or fixed again with a warning; no temp stays."""
    import distributed

    local, _ = cluster
    source, fixed = reference
    batch, out = _batch(tmp_path, source), tmp_path / "out"
    report, results = tmp_path / "report.json", tmp_path / "results.jsonl"
    local.scheduler.allowed_failures = retries  # Dask's default is 3: the task runs again elsewhere
    client = distributed.Client(local)
    try:
        process = start(*_fix_args(batch, out, report, results), "--dask", local.scheduler_address)
        try:
            assert wait_for(lambda: _lines(results) >= 1), "no file finished"
            pid, temp = _worker_writing(client, out)
            os.kill(pid, signal.SIGKILL)
            _, stderr = process.communicate(timeout=600)  # the run must end, not wait for the dead worker
        finally:
            if process.poll() is None:
                process.kill()
    finally:
        client.close()
        local.scheduler.allowed_failures = 3
    text = stderr.decode()
    assert "Traceback" not in text
    victim = str(batch / temp.name[1:].split(".837.")[0]) + ".837"  # .f03.837.XXXXXXXX.cart837-tmp
    files = {f["path"]: f for f in report_of(report)["files"]}
    if retries == 0:
        assert process.returncode == 2, text  # a file failed (README, exit codes)
        failed = [f for f in files.values() if f["status"] == "failed"]  # what was queued on that worker too
        assert files[victim] in failed
        assert all(f["code"] == "E-WORKER" and "Dask worker died" in f["error"] for f in failed)
        assert all(f"cart837: error: {f['error']}" in text.splitlines() for f in failed)  # said, not silent
    else:
        assert process.returncode == 0, text
        warning = files[victim]["warnings"][0]
        assert "an earlier attempt at this file was killed part-way" in warning
        assert f"cart837: warning: {warning}" in text.splitlines()
    for path, entry in files.items():
        written = out / Path(path).name
        assert entry["status"] in ("changed", "failed")
        assert written.read_bytes() == fixed if entry["status"] == "changed" else not written.exists()
    assert [p.name for p in out.rglob("*") if is_temp_name(p)] == [], "the dead worker's temp file is still there"
    assert [line["code"] for line in results_lines(results)] == [f["code"] for f in files.values()]


def _fix_args(batch: Path, out: Path, report: Path, results: Path) -> list[str]:
    return ["fix", str(batch), "-o", str(out), "--report", str(report), "--results", str(results)]


def _lines(results: Path) -> int:
    return results.read_bytes().count(b"\n") if results.exists() else 0


def _worker_writing(client: Any, out: Path) -> tuple[int, Path]:
    """Return the pid of a worker process with a temp file under `out` open, and that temp file (waits for one)."""
    found: list[tuple[int, Path]] = []

    def writing() -> bool:
        for pid in client.run(os.getpid).values():
            for descriptor in Path(f"/proc/{pid}/fd").glob("*"):
                with contextlib.suppress(OSError):
                    held = Path(os.readlink(descriptor))
                    if held.parent == out and is_temp_name(held):
                        found.append((pid, held))
                        return True
        return False

    assert wait_for(writing), "no worker is writing a file"
    return found[0]


def _our_files(folder: Path) -> list[str]:
    """Return what cart837 made (temp or spill files) under a folder."""
    return [p.name for p in folder.rglob("*") if is_temp_name(p) or p.name.startswith("cart837")]


def _stop_part_way(
    reference: tuple[Path, bytes], tmp_path: Path, signum: int, options: list[str], whole_group: bool = False
) -> None:
    """Stop a 10-file run once a file is done; check the exit code, report, results, outputs and temp files."""
    source, fixed = reference
    batch, out = _batch(tmp_path, source), tmp_path / "out"
    report, results = tmp_path / "report.json", tmp_path / "results.jsonl"
    process = start(*_fix_args(batch, out, report, results), *options)
    try:
        assert wait_for(lambda: _lines(results) >= 1), "no file finished"
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
    warning = "cart837: warning: removed 1 temp file(s) an earlier run left beside its inputs (killed mid-file)"
    assert warning in done.lines


def test_a_dask_cluster_that_loses_every_worker_ends_the_run(reference: tuple[Path, bytes], tmp_path: Path) -> None:
    """The only worker leaves, none restarts: the run ends (no wait for a worker); each file not done is an error."""
    source, fixed = reference
    batch, out = _batch(tmp_path, source), tmp_path / "out"
    report, results = tmp_path / "report.json", tmp_path / "results.jsonl"
    with dask_cluster(workers=1) as local:
        process = start(*_fix_args(batch, out, report, results), "--dask", local.scheduler_address)
        try:
            assert wait_for(lambda: _lines(results) >= 1), "no file finished"
            local.scale(0)  # the worker and the data scattered to it go; nothing starts another
            _, stderr = process.communicate(timeout=300)  # the run must end, not wait for a worker
        finally:
            if process.poll() is None:
                process.kill()
    text = stderr.decode()
    assert process.returncode == 2, text
    assert "Traceback" not in text
    files = report_of(report)["files"]
    failed = [f for f in files if f["status"] == "failed"]
    assert failed and all(f["code"] == "E-WORKER" for f in failed)
    assert all(f"cart837: error: {f['error']}" in text.splitlines() for f in failed)  # each said, none silent
    for entry in files:
        written = out / Path(entry["path"]).name
        assert written.read_bytes() == fixed if entry["status"] == "changed" else not written.exists()
    assert [p.name for p in out.rglob("*") if is_temp_name(p)] == []
