"""Issue 16 item 3: every failure is one line and exit 2, checked before any work (real processes)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pipeline.support import CHANGING, CLEAN, Done, copy_batch, run, start
from tests.support import error_lines, generate


def _one_line(done: Done) -> str:
    """The run's single error line (and no traceback)."""
    assert done.code == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = error_lines(done.stderr)
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_report_into_a_missing_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    report = tmp_path / "no-such-folder" / "report.json"
    done = run("fix", str(CHANGING), "-o", str(tmp_path / "out"), "--report", str(report))
    assert _one_line(done) == (
        f"cart837: error: {report}: cannot write --report: the folder {report.parent} does not exist"
    )
    assert not (tmp_path / "out").exists() and not report.parent.exists()


def test_report_path_that_is_a_folder_and_results_in_a_missing_folder(tmp_path: Path) -> None:
    done = run("check", str(CHANGING), "--report-md", str(tmp_path))
    assert done.code == 2 and done.lines[-1].endswith(f"File '{tmp_path}' is a directory.")  # click's usage error
    results = tmp_path / "gone" / "r.jsonl"
    done = run("check", str(CHANGING), "--results", str(results))
    assert _one_line(done).endswith(f"cannot write --results: the folder {results.parent} does not exist")


def test_report_dash_goes_to_stdout_and_then_x12_needs_o(tmp_path: Path) -> None:
    done = run("fix", str(CHANGING), "-o", str(tmp_path / "out"), "--report", "-")
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    assert [f["status"] for f in document["files"]] == ["changed"]
    assert not (tmp_path / "-").exists()
    refused = run("fix", str(CHANGING), "--report", "-", cwd=tmp_path)
    assert refused.code == 2 and refused.stdout == b""
    assert refused.lines[-1] == "Error: --report - writes the report to stdout: give -o DIR or --in-place for the X12"


def test_a_write_error_names_the_path_not_written(tmp_path: Path) -> None:
    batch = copy_batch(tmp_path / "in", {"car-t.837": CHANGING, "sub/clean.edi": CLEAN})
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").write_text("a file where -o needs a folder\n")
    done = run("fix", str(batch), "-o", str(out))
    line = _one_line(done)
    assert line.startswith(f"cart837: error: {batch / 'sub' / 'clean.edi'}: cannot write {out / 'sub' / 'clean.edi'}: ")
    assert (out / "car-t.837").is_file()


def test_an_output_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file\n")
    done = run("fix", str(CHANGING), "-o", str(blocker / "out"))
    assert _one_line(done).startswith(f"cart837: error: {blocker / 'out'}: cannot create the output folder: ")


def test_a_malformed_dask_address_is_one_line(tmp_path: Path) -> None:
    done = run("fix", str(CHANGING), "-o", str(tmp_path / "out"), "--dask", "tcp://127.0.0.1:notaport")
    errors = error_lines(done.stderr)
    assert done.code == 2 and "Traceback" not in done.stderr
    assert errors[0].startswith("cart837: error: cannot reach the Dask scheduler at tcp://127.0.0.1:notaport: ")
    assert errors[1].startswith(f"cart837: error: {CHANGING}: not processed: cannot reach the Dask scheduler")


@pytest.fixture
def scheduler_without_workers() -> Iterator[str]:
    """A Dask scheduler with no worker (in this process; the CLI connects to it)."""
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    cluster = distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


def test_a_scheduler_without_workers_is_one_line(tmp_path: Path, scheduler_without_workers: str) -> None:
    os.environ["CART837_DASK_WAIT_SECONDS"] = "1"
    try:
        done = run("fix", str(CHANGING), "-o", str(tmp_path / "out"), "--dask", scheduler_without_workers)
    finally:
        del os.environ["CART837_DASK_WAIT_SECONDS"]
    errors = error_lines(done.stderr)
    assert done.code == 2 and "Traceback" not in done.stderr
    assert errors[0] == f"cart837: error: the Dask scheduler at {scheduler_without_workers} has no workers (waited 1 s)"


def test_report_dash_into_a_reader_that_leaves_is_one_line_not_an_internal_error(tmp_path: Path) -> None:
    batch = copy_batch(tmp_path / "in", {f"c{n}.837": CHANGING for n in range(12)})  # far past a pipe's buffer
    process = start("check", str(batch), "--report", "-")  # like `cart837 check DIR --report - | head`
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(100).startswith(b"{")
    process.stdout.close()
    process.wait(timeout=300)
    done = Done(process.returncode, b"", process.stderr.read().decode())
    assert _one_line(done) == "cart837: error: cannot write to stdout: the reading process closed the pipe"


def test_x12_to_stdout_into_a_reader_that_leaves_names_stdout(tmp_path: Path) -> None:
    big = generate(claims=3000, seed=5)  # 1.7 MB: past a pipe's buffer and one copy chunk
    process = start("fix", str(big))  # like `cart837 fix FILE | head`
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(3) == b"ISA"
    process.stdout.close()
    process.wait(timeout=300)
    done = Done(process.returncode, b"", process.stderr.read().decode())
    assert _one_line(done) == f"cart837: error: {big}: cannot write to stdout: the reading process closed the pipe"
