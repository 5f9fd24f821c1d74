"""Issue 16 items 4, 5 and 7: codes, the results file, logs and file modes (real processes)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cart837 import fix_many
from cart837.errors import Code
from tests.pipeline.support import (
    CHANGING,
    CLEAN,
    NOT_837I,
    PROFESSIONAL,
    SE01_WRONG,
    command,
    copy_batch,
    environment,
    report_of,
    results_lines,
    run,
)
from tests.support import ROOT, generate

EXPECTED_CODES = {
    "car-t.837": None,
    "clean.edi": None,
    "se01.txt": "E-SE01",
    "4010.837": "E-NOT-837I",
    "837p.txt": "E-NOT-837I",
    "notes.txt": "S-NOT-X12",
}


def _batch(folder: Path) -> Path:
    batch = copy_batch(
        folder / "in",
        {
            "car-t.837": CHANGING,
            "clean.edi": CLEAN,
            "se01.txt": SE01_WRONG,
            "4010.837": NOT_837I,
            "837p.txt": PROFESSIONAL,
        },
    )
    (batch / "notes.txt").write_text("not a claim file\n")
    return batch


def test_codes_are_in_the_report_the_results_file_and_the_library(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    report, results = tmp_path / "report.json", tmp_path / "results.jsonl"
    results.write_text('{"earlier": "line"}\n')  # appended to, never truncated
    done = run("fix", str(batch), "-o", str(tmp_path / "out"), "--report", str(report), "--results", str(results))
    assert done.code == 2
    assert {Path(f["path"]).name: f["code"] for f in report_of(report)["files"]} == EXPECTED_CODES
    lines = results_lines(results)
    assert lines[0] == {"earlier": "line"}
    by_name = {Path(line["path"]).name: line for line in lines[1:]}
    assert {name: line["code"] for name, line in by_name.items()} == EXPECTED_CODES
    fixed = by_name["car-t.837"]
    assert fixed["status"] == "changed" and fixed["output"] == str(tmp_path / "out" / "car-t.837")
    assert fixed["fixes"] == 5 and fixed["flags"] == 0 and fixed["claims"] >= 1 and fixed["duration_s"] >= 0
    assert re.fullmatch("[0-9a-f]{64}", fixed["sha256_in"]) and fixed["sha256_out"] != fixed["sha256_in"]
    assert by_name["se01.txt"]["message"].startswith(f"{batch / 'se01.txt'}: byte ")
    assert by_name["notes.txt"]["message"] == "not an X12 file"
    assert len({line["run_id"] for line in lines[1:]}) == 1
    library = {Path(r.path).name: r.code for r in fix_many([batch])}
    assert library == EXPECTED_CODES


def test_the_results_file_grows_as_files_finish(tmp_path: Path) -> None:
    source = generate(claims=20_000, seed=16, cart_share=0.05)
    batch = tmp_path / "in"
    batch.mkdir()
    for number in range(3):
        os.link(source, batch / f"f{number}.837")
    results = tmp_path / "results.jsonl"
    process = subprocess.Popen(
        command("check", str(batch), "--results", str(results)), env=environment(), stderr=subprocess.PIPE
    )
    seen: list[int] = []
    while process.poll() is None:
        seen.append(results.read_bytes().count(b"\n") if results.exists() else 0)
        time.sleep(0.01)
    process.communicate()
    assert set(seen) >= {1, 2}, "lines did not appear one file at a time"


def test_every_code_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `([ES]-[A-Z0-9-]+)` \| (.+?) \|$", readme, re.M))
    assert set(table) == {code.value for code in Code}


def test_json_logs_of_two_workers_through_a_pipe_are_whole_json_lines(tmp_path: Path) -> None:
    batch = copy_batch(tmp_path / "in", {f"f{n}.837": CHANGING for n in range(6)})
    (batch / "notes.txt").write_text("not a claim file\n")
    (batch / "broken.837").write_bytes(SE01_WRONG.read_bytes())
    done = subprocess.run(
        command("fix", str(batch), "-o", str(tmp_path / "out"), "--jobs", "2", "-vv", "--log-format", "json"),
        env=environment(),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 2
    records = [json.loads(line) for line in done.stderr.decode().splitlines()]  # every line is JSON
    assert len({record["run_id"] for record in records}) == 1
    events = [record["event"] for record in records]
    for event in ("run_started", "file_started", "file_done", "file_failed", "file_skipped", "run_done"):
        assert event in events, event
    assert events.count("file_started") == events.count("file_done") == 6  # the broken one fails in pass 1
    failed = next(record for record in records if record["event"] == "file_failed")
    assert failed["code"] == "E-SE01" and failed["level"] == "error"
    assert records[-2]["message"].startswith("8 files: 6 changed") and records[-1]["exit_code"] == 2


def test_the_library_leaves_the_hosts_logging_alone(tmp_path: Path) -> None:
    code = (
        "import logging, structlog, sys\n"
        "from structlog.testing import LogCapture\n"
        "capture = LogCapture()\n"
        "structlog.configure(processors=[capture])\n"
        "before = structlog.get_config()\n"
        "root = logging.getLogger(); handlers = list(root.handlers)\n"
        "import cart837\n"
        f"result = cart837.fix_file({str(CHANGING)!r}, output={str(tmp_path / 'o.837')!r})\n"
        "assert result.status.value == 'changed'\n"
        "assert structlog.get_config() == before and list(root.handlers) == handlers\n"
        "assert capture.entries == [], capture.entries\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=environment(), capture_output=True, text=True, check=False)
    assert done.stdout == "ok\n", done.stderr


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_reports_and_outputs_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    out = tmp_path / "out"
    reports = [tmp_path / name for name in ("r.json", "r.md", "r.html", "r.jsonl")]
    done = run(
        "fix",
        str(CHANGING),
        "-o",
        str(out),
        "--report",
        str(reports[0]),
        "--report-md",
        str(reports[1]),
        "--report-html",
        str(reports[2]),
        "--results",
        str(reports[3]),
        umask=umask,
    )
    assert done.code == 0, done.stderr
    for path in [*reports, out / CHANGING.name]:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path.name


def test_with_json_logs_even_a_usage_error_is_a_json_line(tmp_path: Path) -> None:
    done = run("fix", str(CHANGING), "--log-format", "json", "--jobs", "0")
    assert done.code == 2
    records = [json.loads(line) for line in done.lines]
    assert [(r["event"], r["code"]) for r in records] == [("usage_error", "E-USAGE")]
    assert "--jobs" in records[0]["message"]


@pytest.mark.parametrize("option", [["--skip", "CART-001"], ["--only", "zz"], ["--decisions", "missing.json"]])
def test_a_bad_finding_id_or_decisions_file_carries_its_code_in_json_logs(tmp_path: Path, option: list[str]) -> None:
    given = [str(tmp_path / part) if part.endswith(".json") else part for part in option]
    done = run("fix", str(CHANGING), "--log-format", "json", *given)
    assert done.code == 2
    records = [json.loads(line) for line in done.lines]
    assert [(r["event"], r["code"]) for r in records] == [("run_failed", "E-DECISIONS")]
    if option[0] == "--skip":
        assert "'CART-001'" in records[0]["message"]  # the id as the user typed it


def test_every_json_log_record_writes_its_timestamp_the_same_way(tmp_path: Path) -> None:
    done = run("fix", str(CHANGING), "-o", str(tmp_path / "out"), "-v", "--log-format", "json")
    assert done.code == 0, done.stderr
    stamps = {json.loads(line)["event"]: json.loads(line)["timestamp"] for line in done.lines}
    assert {"run_done", "claim_fixed"} <= set(stamps)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", stamp) for stamp in stamps.values()), stamps
