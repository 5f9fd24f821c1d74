"""Issue 14 direction 4: one big file as parts across `--jobs` workers, byte for byte the `--jobs 1` run.

Real processes; `--split-size 64K` forces the split on small generated files (the default is 64M).
"""

from __future__ import annotations

import json
import os
import re
import signal
from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cart837 import split
from cart837.api import fix_many
from cart837.atomic import is_temp_name
from cart837.config import Config
from cart837.results import FileResult
from cart837.split import fold, plan
from tests.pipeline.support import Done, report_of, run, start, wait_for
from tests.support import generate

SPLIT = ("--split-size", "64K")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT")  # -v log lines: they carry times and run ids


@pytest.fixture(scope="module")
def one_interchange() -> Path:
    """One interchange, one group, ~45 transactions: the parts start at STs inside the group."""
    return generate(claims=2700, seed=41, cart_share=0.3, claims_per_st=60)


@pytest.fixture(scope="module")
def many_interchanges() -> Path:
    """40 interchanges of ~70 claims, several STs each: parts start at ISAs and at STs."""
    return generate(claims=2800, seed=42, cart_share=0.3, claims_per_st=25, interchanges=40)


def _fix(source: Path, folder: Path, jobs: int, *extra: str) -> tuple[Done, Path]:
    out = folder / f"jobs{jobs}"
    reports = ("--report", str(out / "r.json"), "--report-md", str(out / "r.md"), "--report-html", str(out / "r.html"))
    out.mkdir(parents=True)
    verbose = ("-v",) if jobs > 1 else ()
    done = run("fix", str(source), "-o", str(out / "fixed"), *reports, "--results", str(out / "results.jsonl"),
               "--jobs", str(jobs), *SPLIT, *verbose, *extra)  # fmt: skip
    return done, out


def _results(out: Path) -> list[dict[str, object]]:
    """The --results lines without what differs between any two runs (run id, seconds)."""
    text = (out / "results.jsonl").read_text().replace(str(out), "OUT")  # the runs write to two folders
    lines = [json.loads(line) for line in text.splitlines()]
    return [{k: v for k, v in line.items() if k not in ("run_id", "duration_s")} for line in lines]


def _parts_run(done: Done) -> int:
    """Return how many parts the -v log says the file ran as (0: it ran whole)."""
    assert "split_file_rerun" not in done.stderr, done.stderr
    found = re.search(r"file_split .*parts=(\d+)", done.stderr)
    return int(found.group(1)) if found else 0


def _messages(done: Done) -> list[str]:
    return [line for line in done.lines if not LOG_LINE.match(line)]


def _same_run(source: Path, tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    single, single_out = _fix(source, tmp_path, 1, *extra)
    split, split_out = _fix(source, tmp_path, 2, *extra)
    assert _parts_run(split) >= 4
    assert (split.code, _messages(split), split.stdout) == (single.code, _messages(single), single.stdout)
    for name in ("r.json", "r.md", "r.html", f"fixed/{source.name}"):
        assert (split_out / name).read_bytes() == (single_out / name).read_bytes(), name
    assert _results(split_out) == _results(single_out)
    assert not [p for p in split_out.rglob("*") if is_temp_name(p)]
    return single_out, split_out


def _part_of_segment(source: Path) -> tuple[list[int], int]:
    """Return the segment number each part starts at (as the split run cuts it) and the parts' count."""
    parts = plan(source, 2, 64 << 10)
    assert parts is not None
    data = source.read_bytes()
    return [data.count(b"~", 0, part.start) + 1 for part in parts], len(parts)


@pytest.mark.parametrize("layout", ["one_interchange", "many_interchanges"])
def test_a_split_file_is_byte_for_byte_the_single_process_run(
    layout: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source: Path = request.getfixturevalue(layout)
    single_out, _ = _same_run(source, tmp_path)
    report = report_of(single_out / "r.json")["files"][0]
    assert report["status"] == "changed" and report["claims"] == (2700 if layout == "one_interchange" else 2800)
    starts, count = _part_of_segment(source)
    changed_in = {bisect_right(starts, f["claim_segment"]) for f in report["findings"] if f["fixed"]}
    assert len(changed_in) >= count - 1 >= 3, "the fixes do not spread over the parts"
    data = source.read_bytes()
    if layout == "many_interchanges":  # some cuts at an ISA, some at an ST
        assert {data[p.start : p.start + 3] for p in plan(source, 2, 64 << 10) or []} == {b"ISA", b"ST*"}


def test_check_and_hold_on_a_split_file(one_interchange: Path, tmp_path: Path) -> None:
    _same_run(one_interchange, tmp_path, "--hold", str(tmp_path / "held"))
    held = []
    for jobs in (1, 2):
        folder = tmp_path / f"held{jobs}"
        out = str(tmp_path / f"o{jobs}")
        run("fix", str(one_interchange), "-o", out, "--hold", str(folder), "-j", str(jobs), *SPLIT)
        held.append((folder / one_interchange.name).read_bytes())
    assert held[0] == held[1] and held[0]
    reports = [str(tmp_path / f"c{jobs}.json") for jobs in (1, 2)]
    checks = [run("check", str(one_interchange), "--report", reports[n - 1], "-j", str(n), *SPLIT) for n in (1, 2)]
    assert checks[0].code == checks[1].code == 1 and checks[0].lines == checks[1].lines
    assert (tmp_path / "c1.json").read_bytes() == (tmp_path / "c2.json").read_bytes()


def _corrupt(source: Path, folder: Path, name: str, old: bytes, new: bytes, after: float) -> Path:
    data = source.read_bytes()
    at = data.index(old, int(len(data) * after))
    target = folder / name
    target.write_bytes(data[:at] + new + data[at + len(old) :])
    return target


@pytest.mark.parametrize(
    ("name", "old", "new", "after"),
    [
        ("se01.837", b"~\nSE*", b"~\nSE*9", 0.5),  # a count inside a middle part
        ("ge01.837", b"~\nGE*", b"~\nGE*9", 0.9),  # the group's count: checked across the parts
        ("binary.837", b"~\nCLM*", b"~\nCLM*\x01", 0.4),  # a control byte in a claim
        ("truncated.837", b"~\nIEA*", b"~\n", 0.9),  # the interchange never ends
    ],
)
def test_a_bad_segment_in_one_part_refuses_the_whole_file(
    one_interchange: Path, tmp_path: Path, name: str, old: bytes, new: bytes, after: float
) -> None:
    bad = _corrupt(one_interchange, tmp_path, name, old, new, after)
    runs = []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        report = str(tmp_path / f"r{jobs}.json")
        done = run("fix", str(bad), "-o", str(out), "--report", report, "--jobs", str(jobs), *SPLIT)
        runs.append(done)
        assert done.code == 2
        assert not [p for p in out.rglob("*") if p.name != ".cart837-output"], "a refused file left output"
    assert runs[0].lines == runs[1].lines
    assert f"{name}: byte " in runs[0].lines[0]
    assert (tmp_path / "r1.json").read_bytes() == (tmp_path / "r2.json").read_bytes()


def test_sigterm_during_a_split_run_leaves_no_temp_files(tmp_path: Path) -> None:
    source = generate(claims=20_000, seed=16, cart_share=0.3)
    out = tmp_path / "out"
    process = start("fix", str(source), "-o", str(out), "--jobs", "2", "--split-size", "1M", "-v")
    try:
        assert wait_for(lambda: out.exists() and any(is_temp_name(p) for p in out.iterdir())), "no part started"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    text = stderr.decode()
    assert "file_split" in text
    assert process.returncode == 128 + signal.SIGTERM, text
    assert "Traceback" not in text
    assert wait_for(lambda: not [p for p in out.rglob("*") if p.name != ".cart837-output"], 10), os.listdir(out)


def test_results_lines_name_the_split_file_once(many_interchanges: Path, tmp_path: Path) -> None:
    _, split_out = _fix(many_interchanges, tmp_path, 2)
    lines = [json.loads(line) for line in (split_out / "results.jsonl").read_text().splitlines()]
    assert [line["status"] for line in lines] == ["changed"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A two-worker local Dask cluster (separate processes: parts really travel)."""
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is the `dask` extra")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as local:
        yield local.scheduler_address


def _folds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record how many parts each split file ran as (in this process: the Dask client)."""
    counted: list[int] = []

    def counting(*args: Any) -> Any:
        resumes = fold(*args)
        counted.append(len(resumes) if resumes is not None else 0)
        return resumes

    monkeypatch.setattr(split, "fold", counting)
    return counted


def _facts(results: list[FileResult]) -> list[tuple[object, ...]]:
    return [
        (r.status, r.error, r.sha256_in, r.sha256_out, r.claims, r.claims_changed, [f.id for f in r.findings])
        for r in results
    ]


def test_dask_runs_a_big_file_as_parts(
    many_interchanges: Path, tmp_path: Path, cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = _corrupt(many_interchanges, tmp_path, "bad.837", b"~\nSE*", b"~\nSE*9", 0.6)
    inputs = [many_interchanges, bad]
    local = fix_many(inputs, Config(), outdir=tmp_path / "local")
    folds = _folds(monkeypatch)
    remote = fix_many(inputs, Config(), outdir=tmp_path / "remote", dask=cluster, split_size=64 << 10)
    assert folds[0] >= 4 and folds[1] == 0  # the bad file's parts fail: it is read whole, once
    assert _facts(remote) == _facts(local)
    assert [r.status.value for r in remote] == ["changed", "failed"] and "bad.837: byte " in (remote[1].error or "")
    name = many_interchanges.name
    assert (tmp_path / "remote" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "remote").iterdir()) == [".cart837-output", name]


def test_in_place_diff_and_skip_on_a_split_file(one_interchange: Path, tmp_path: Path) -> None:
    """--in-place (the parts' temp files sit beside the input), diff, and --skip by finding id."""
    fixed = []
    for jobs in (1, 2):
        copy = tmp_path / f"in{jobs}" / one_interchange.name
        copy.parent.mkdir()
        copy.write_bytes(one_interchange.read_bytes())
        done = run("fix", str(copy), "--in-place", "--jobs", str(jobs), *SPLIT)
        assert done.code == 0, done.stderr
        fixed.append(copy.read_bytes())
        assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]
    assert fixed[0] == fixed[1] != one_interchange.read_bytes()
    diffs = [run("diff", str(one_interchange), "--jobs", str(jobs), *SPLIT) for jobs in (1, 2)]
    assert diffs[0].stdout == diffs[1].stdout and diffs[0].code == diffs[1].code and diffs[0].stdout
    report = report_of(_fix(one_interchange, tmp_path / "ids", 1)[1] / "r.json")["files"][0]
    fixes = [f["id"] for f in report["findings"] if f["fixed"]]
    skip = ",".join([fixes[0], fixes[len(fixes) // 2], fixes[-1]])  # in the first, a middle and the last part
    single, single_out = _fix(one_interchange, tmp_path / "skip", 1, "--skip", skip)
    split, split_out = _fix(one_interchange, tmp_path / "skip", 2, "--skip", skip)
    assert (split.code, _messages(split)) == (single.code, _messages(single))
    assert (split_out / "r.json").read_bytes() == (single_out / "r.json").read_bytes()
    assert set(report_of(split_out / "r.json")["files"][0]["decisions"]) == set(skip.split(","))
    unknown = fixes[0][:-4] + "ffff"  # this file's tag, no finding: the file fails in both runs alike
    refused = [_fix(one_interchange, tmp_path / f"unknown{n}", n, "--skip", unknown)[0] for n in (1, 2)]
    assert refused[0].code == refused[1].code == 2 and _messages(refused[0]) == _messages(refused[1])


def test_a_transaction_number_in_two_parts_fixes_the_file_whole(one_interchange: Path, tmp_path: Path) -> None:
    """Finding ids count a claim's repeats per (ISA13, GS06, ST02): parts cannot, so the file runs whole."""
    data = re.sub(rb"ST\*837\*\d+\*", b"ST*837*0001*", one_interchange.read_bytes())
    repeated = tmp_path / "repeated.837"
    repeated.write_bytes(re.sub(rb"(SE\*\d+\*)\d+~", rb"\g<1>0001~", data))
    single, single_out = _fix(repeated, tmp_path, 1)
    split, split_out = _fix(repeated, tmp_path, 2)
    assert "split_file_rerun" in split.stderr and "file_split" in split.stderr
    assert single.code == split.code == 0 and _messages(split) == _messages(single)
    for name in ("r.json", f"fixed/{repeated.name}"):
        assert (split_out / name).read_bytes() == (single_out / name).read_bytes(), name
    assert not [p for p in split_out.rglob("*") if is_temp_name(p)]
