"""Benchmark cart837 against pyx12's round trip and a pure-Python split/join floor (`make bench`).

Files come from ../shared/tools/gen837i.py for the two mixes of DESIGN.md (Scale) and are
cached in bench/cache/. Every measurement runs in its own child process: wall time is taken
around the child (interpreter start and imports included); CPU time (user + system) and peak
RSS come from os.wait4's rusage for that child (its own waited-for children included). MB/s,
claims/s and the ratios use CPU time, which other work on the machine does not inflate; the
wall time is reported beside it. Results go to stdout and bench/results.json.

    python bench/run.py [--sizes 10000,100000,1000000] [--skip-batch]
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT.parent / "shared" / "tools" / "gen837i.py"
CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results.json"
MIXES = {"clearinghouse": 0.01, "cancer-centre": 0.3}
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
SEED = 837
PYX12_MAX_CLAIMS = 10_000  # pyx12 runs at ~2 MB/s: bigger files use its rate on the 10k file of the mix
BATCH_FILES, BATCH_CLAIMS, BATCH_MIX = 8, 10_000, "cancer-centre"
FLOOR_CHUNK = 1 << 20  # the floor splits whole chunks into lists: 1 MB keeps its memory small
TARGET_PYX12 = {"clearinghouse": 30.0, "cancer-centre": 10.0}  # issue 14: x pyx12 round trip, per mix
TARGET_FLOOR, TARGET_RSS_MB = 0.40, 150.0


@dataclass(frozen=True, slots=True)
class Run:
    """One timed child process."""

    mix: str
    claims: int
    megabytes: float
    tool: str
    seconds: float  # wall
    cpu_seconds: float
    work_seconds: float | None  # in-process, without interpreter start (library, pyx12, floor)
    rss_mb: float
    note: str = ""

    @property
    def mb_s(self) -> float:
        """Return throughput in MB/s (10**6 bytes) over the CPU time."""
        return self.megabytes / self.cpu_seconds

    @property
    def claims_s(self) -> float:
        """Return claims per second over the CPU time."""
        return self.claims / self.cpu_seconds


# -- files --------------------------------------------------------------------------------------


def _generator_args(claims: int, share: float, seed: int) -> list[str]:
    return ["--claims", str(claims), "--seed", str(seed), "--cart-share", str(share), "--all-scenarios", "--no-truth"]


def cached_file(name: str, claims: int, share: float, seed: int = SEED) -> Path:
    """Return a generated file from the cache, generating it when missing or made differently."""
    path = CACHE / f"{name}.837"
    args = _generator_args(claims, share, seed)
    stamp = {"args": args, "generator_sha256": hashlib.sha256(GENERATOR.read_bytes()).hexdigest()}
    meta = path.with_suffix(".meta.json")
    if path.is_file() and meta.is_file() and json.loads(meta.read_text()) == stamp:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    _say(f"generating {path.name} ({claims} claims, cart-share {share}) ...")
    temp = path.with_suffix(".tmp")
    subprocess.run([sys.executable, str(GENERATOR), *args, "-o", str(temp)], check=True)
    temp.replace(path)
    meta.write_text(json.dumps(stamp))
    return path


def batch_dir() -> Path:
    """Return a directory of BATCH_FILES files of the batch mix (one seed each), for --jobs."""
    folder = CACHE / f"batch-{BATCH_MIX}-{BATCH_FILES}x{BATCH_CLAIMS}"
    for number in range(BATCH_FILES):
        made = cached_file(f"batch-{BATCH_MIX}-{number}", BATCH_CLAIMS, MIXES[BATCH_MIX], SEED + 1 + number)
        link = folder / made.name
        if not link.exists():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(made, link)
    return folder


# -- child processes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measured:
    """What a child process cost and reported."""

    seconds: float
    cpu_seconds: float
    rss_mb: float
    report: dict[str, float]


def measure(argv: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run `argv` as a child; return its wall time, peak RSS and the JSON it printed (if any)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        printed, errors = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {child.returncode}:\n{errors[-3000:]}")
    report: dict[str, float] = {}
    if printed.strip().startswith("{"):
        report = json.loads(printed)
    return Measured(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, report)


def _child(kind: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args]


def compile_package() -> None:
    """Write the checkout's bytecode, as pip does at install (the compiled build has its own), so
    children do not compile it at start."""
    compileall.compile_dir(ROOT / "cart837", quiet=1)


def _env() -> dict[str, str]:
    """Children import cart837 from PYTHONPATH when set (`make bench`: the compiled build), else this checkout."""
    env = dict(os.environ)
    # Start-up as installed: with the package's bytecode (compile_package), not every module compiled
    # from source at every start, which PYTHONDONTWRITEBYTECODE=1 would make the children do.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(ROOT)) if p)
    # Time cart837 as installed (pip writes .pyc files): with PYTHONDONTWRITEBYTECODE set, as on the
    # shared machine, every child compiled cart837's source again (~30% of a small file's CPU).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _compile_once() -> None:
    """Write the .pyc files of the cart837 the children import (its __pycache__) before any child is timed."""
    code = "import compileall, os, cart837; compileall.compile_dir(os.path.dirname(cart837.__file__), quiet=1)"
    subprocess.run([sys.executable, "-c", code], check=True, env=_env())


def _build_kind() -> str:
    code = "import cart837; print(cart837.build_kind())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True)
    return done.stdout.strip()


def run_tool(tool: str, mix: str, claims: int, path: Path, scratch: Path) -> Run:
    """Time one tool on one file."""
    megabytes = path.stat().st_size / 1e6
    out = scratch / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    if tool == "cart837 fix (CLI)":
        argv = [sys.executable, "-m", "cart837", "fix", str(path), "-o", str(out), "-q"]
    elif tool == "cart837.fix_file (library)":
        argv = _child("library", str(path), str(out / path.name))
    elif tool == "pyx12 read+write":
        argv = _child("pyx12", str(path), str(out / path.name))
    else:
        argv = _child("floor", str(path), str(out / path.name))
    measured = measure(argv, _env())
    shutil.rmtree(out, ignore_errors=True)
    work = measured.report.get("seconds")
    return Run(mix, claims, megabytes, tool, measured.seconds, measured.cpu_seconds, work, measured.rss_mb)


# -- what the children do -----------------------------------------------------------------------


def child_floor(source: Path, target: Path) -> dict[str, float]:
    """Read in 1 MB chunks cut at segment ends; split segments and elements; join; write."""
    start = time.perf_counter()
    with source.open("rb") as handle, target.open("wb") as sink:
        head = handle.read(FLOOR_CHUNK)
        isa = head.find(b"ISA")
        sep, term = head[isa + 3 : isa + 4], head[isa + 105 : isa + 106]
        rest = b""
        while head:
            data = rest + head
            cut = data.rfind(term) + 1
            rest = data[cut:]
            segments = [segment.split(sep) for segment in data[:cut].split(term)]
            sink.write(term.join(sep.join(elements) for elements in segments))
            head = handle.read(FLOOR_CHUNK)
        sink.write(rest)
    return {"seconds": time.perf_counter() - start}


def child_pyx12(source: Path, target: Path) -> dict[str, float]:
    """Round-trip through pyx12's X12Reader and X12Writer (its own segment objects)."""
    from pyx12.x12file import X12Reader, X12Writer

    start = time.perf_counter()
    with source.open(encoding="latin-1") as handle, target.open("w", encoding="latin-1") as sink:
        reader = X12Reader(handle)
        writer = None
        for segment in reader:
            if writer is None:
                seg_term, ele_term, sub_term, _, rep_term = reader.get_term()
                writer = X12Writer(sink, seg_term or "~", ele_term or "*", sub_term or ":", "", rep_term or "^")
            writer.Write(segment)
        if writer is not None:
            writer.close()
    return {"seconds": time.perf_counter() - start}


def child_library(source: Path, target: Path) -> dict[str, float]:
    """Fix one file through the library API (`cart837.fix_file`)."""
    start = time.perf_counter()
    import cart837
    from cart837 import logs

    logs.configure(-1)  # as `cart837 fix -q`: the library leaves logging to its caller
    result = cart837.fix_file(source, output=target)
    if result.error:
        raise SystemExit(result.error)
    return {"seconds": time.perf_counter() - start, "claims": result.claims, "findings": len(result.findings)}


STAGES = (
    "startup",
    "pass 1 scan",
    "claim build",
    "episode index",
    "rules",
    "edits",
    "pass 2 scan",
    "write",
    "re-check",
)


def child_stages(source: Path, target: Path) -> dict[str, float]:
    """Fix one file through the library with CPU timers around each stage; return CPU seconds per stage.

    The timers wrap module attributes from outside (the package has no timing code): pass 1
    (`index_file`) less its claim summaries and index rows is its scan; pass 2 (`Batch._run`) less
    claim building, rules and scanning is writing (hashing, the writer, SE recounts). Each timer
    costs ~1 us, a little on claim-heavy files.
    """
    started = time.process_time()
    import cart837
    from cart837 import batch, episodes, logs
    from cart837.claims import stream, writer
    from cart837.rules import engine

    logs.configure(-1)
    spent: dict[str, float] = {}

    def timed(owner: object, name: str, stage: str) -> None:
        inner = getattr(owner, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            begin = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[stage] = spent.get(stage, 0.0) + time.process_time() - begin

        setattr(owner, name, wrapper)

    def timed_events(events: Iterator[object], stage: str) -> Iterator[object]:
        while True:
            begin = time.process_time()
            try:
                event = next(events)
            except StopIteration:
                return
            finally:
                spent[stage] = spent.get(stage, 0.0) + time.process_time() - begin
            yield event

    class TimedStream:
        """batch's FileStream with its events timed: a compiled (mypyc) class takes no new attributes."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            self._stream = stream.FileStream(*args, **kwargs)

        def events(self) -> Iterator[object]:
            return timed_events(iter(self._stream.events()), "scan")

        def __getattr__(self, name: str) -> object:
            return getattr(self._stream, name)

    for owner, name, stage in (
        (batch, "index_file", "pass 1"),
        (batch, "read_summary", "summaries"),
        (episodes.EpisodeIndex, "add_summary", "episode index"),
        (batch.Batch, "_run", "pass 2"),
        (batch, "read_claim", "claim objects"),
        (engine.Engine, "run", "engine"),
        (engine, "apply", "edits"),
        (writer, "recheck_claim", "re-check"),
    ):
        timed(owner, name, stage)
    batch.FileStream = TimedStream  # pass 1, pass 2 and the re-check
    setup = time.process_time() - started
    result = cart837.fix_file(source, output=target)
    if result.error:
        raise SystemExit(result.error)
    total = time.process_time() - started
    get = spent.get
    pass1, pass2, scan = get("pass 1", 0.0), get("pass 2", 0.0), get("scan", 0.0)
    summaries, index_rows = get("summaries", 0.0), get("episode index", 0.0)
    pass1_scan = pass1 - summaries - index_rows
    recheck = get("re-check", 0.0)  # changed claims only (inside pass 2's writing)
    pass2_scan = max(scan - pass1_scan, 0.0)
    claims, rules_all, edits = get("claim objects", 0.0), get("engine", 0.0), get("edits", 0.0)
    stages = {
        "startup": setup,
        "pass 1 scan": pass1_scan,
        "claim build": summaries + claims,
        "episode index": index_rows,
        "rules": rules_all - edits,
        "edits": edits,
        "pass 2 scan": pass2_scan,
        "write": pass2 - claims - rules_all - pass2_scan - recheck,
        "re-check": recheck,
    }
    stages["other"] = total - sum(stages.values())
    return {"cpu_seconds": total, **{k: round(v, 4) for k, v in stages.items()}}


# -- the run ------------------------------------------------------------------------------------

TOOLS = ("cart837 fix (CLI)", "cart837.fix_file (library)", "pyx12 read+write", "pure-Python floor")


def bench_file(mix: str, claims: int, scratch: Path, pyx12_rate: dict[str, Run]) -> Iterator[Run]:
    """Time every tool on one generated file (pyx12 only up to PYX12_MAX_CLAIMS)."""
    path = cached_file(f"{mix}-{claims}", claims, MIXES[mix])
    for tool in TOOLS:
        if tool == "pyx12 read+write" and claims > PYX12_MAX_CLAIMS:
            if mix not in pyx12_rate:
                small = cached_file(f"{mix}-{PYX12_MAX_CLAIMS}", PYX12_MAX_CLAIMS, MIXES[mix])
                pyx12_rate[mix] = run_tool(tool, mix, PYX12_MAX_CLAIMS, small, scratch)
            ref = pyx12_rate[mix]
            megabytes = path.stat().st_size / 1e6
            scale = megabytes / ref.megabytes
            yield Run(
                mix,
                claims,
                megabytes,
                tool,
                ref.seconds * scale,
                ref.cpu_seconds * scale,
                None,
                ref.rss_mb,
                f"estimated: pyx12's {ref.mb_s:.2f} MB/s on the {PYX12_MAX_CLAIMS}-claim file (too slow to run)",
            )
            continue
        _say(f"  {mix} {claims}: {tool} ...")
        run = run_tool(tool, mix, claims, path, scratch)
        if tool == "pyx12 read+write" and claims == PYX12_MAX_CLAIMS:
            pyx12_rate[mix] = run
        yield run


def _spin(count: int) -> float:
    start = time.perf_counter()
    total = 0
    for number in range(count):
        total += number
    return time.perf_counter() - start


def machine_speedup(count: int = 20_000_000) -> float:
    """Return what two processes gain over one on this machine now (a busy loop: other jobs take cores)."""
    from concurrent.futures import ProcessPoolExecutor

    one = _spin(count)
    start = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [count, count]))
    return round(2 * one / (time.perf_counter() - start), 2)


def bench_batch(scratch: Path) -> dict[str, object]:
    """Time `cart837 fix DIR --jobs N` for N = 1 and 2 on a batch of files."""
    folder = batch_dir()
    megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    out: dict[str, object] = {
        "files": BATCH_FILES,
        "claims_per_file": BATCH_CLAIMS,
        "mix": BATCH_MIX,
        "megabytes": round(megabytes, 2),
    }
    for jobs in (1, 2):
        target = scratch / f"jobs{jobs}"
        shutil.rmtree(target, ignore_errors=True)
        _say(f"  batch {BATCH_FILES}x{BATCH_CLAIMS}: --jobs {jobs} ...")
        argv = [sys.executable, "-m", "cart837", "fix", str(folder), "-o", str(target), "-q", "--jobs", str(jobs)]
        load = os.getloadavg()[0]  # other work on the machine takes cores from the pool
        measured = measure(argv, _env())
        shutil.rmtree(target, ignore_errors=True)
        out[f"jobs{jobs}"] = {
            "seconds": round(measured.seconds, 3),
            "mb_s": round(megabytes / measured.seconds, 2),
            "cpu_seconds": round(measured.cpu_seconds, 3),
            "rss_mb": round(measured.rss_mb, 1),
            "cores_used": round(measured.cpu_seconds / measured.seconds, 2),
            "load_average": load,
        }
    one, two = out["jobs1"], out["jobs2"]
    assert isinstance(one, dict) and isinstance(two, dict)
    out["speedup"] = round(one["seconds"] / two["seconds"], 2)
    out["machine_speedup"] = machine_speedup()  # the most two processes could gain here just now
    return out


def ratios(runs: list[Run]) -> list[dict[str, object]]:
    """Return, per file, the CLI's speed against pyx12 and the floor, and the targets."""
    rows: list[dict[str, object]] = []
    keyed = {(r.mix, r.claims, r.tool): r for r in runs}
    for mix, claims in sorted({(r.mix, r.claims) for r in runs}):
        cli = keyed[(mix, claims, TOOLS[0])]
        pyx12, floor = keyed[(mix, claims, TOOLS[2])], keyed[(mix, claims, TOOLS[3])]
        vs_pyx12, vs_floor = cli.mb_s / pyx12.mb_s, cli.mb_s / floor.mb_s
        rows.append(
            {
                "mix": mix,
                "claims": claims,
                "cli_vs_pyx12": round(vs_pyx12, 1),
                "cli_vs_floor": round(vs_floor, 2),
                "cli_rss_mb": round(cli.rss_mb, 1),
                "pyx12_target": TARGET_PYX12[mix],
                "pyx12_target_met": vs_pyx12 >= TARGET_PYX12[mix],
                "floor_target_met": vs_floor >= TARGET_FLOOR,
                "rss_target_met": cli.rss_mb < TARGET_RSS_MB,
                "pyx12_estimated": bool(pyx12.note),
            }
        )
    return rows


def rule_ids() -> list[str]:
    """Return the rules this checkout registers (the benchmark runs all of them)."""
    code = "import json; from cart837.rules import all_rules; print(json.dumps([r.id for r in all_rules()]))"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=_env())
    return list(json.loads(done.stdout))


def table(runs: list[Run]) -> str:
    """Return the runs as a Markdown table."""
    lines = [
        "| mix | claims | MB | tool | wall s | CPU s | MB/s | claims/s | peak RSS MB |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        mark = " *" if r.note else ""
        lines.append(
            f"| {r.mix} | {r.claims:,} | {r.megabytes:.1f} | {r.tool}{mark} | {r.seconds:.2f} | {r.cpu_seconds:.2f} | "
            f"{r.mb_s:.1f} | {r.claims_s:,.0f} | {r.rss_mb:.0f} |"
        )
    return "\n".join(lines)


def ratio_table(rows: list[dict[str, object]]) -> str:
    """Return the target checks as a Markdown table."""
    lines = [
        f"| mix | claims | CLI vs pyx12 (target) | CLI vs floor (target >= "
        f"{TARGET_FLOOR:.0%}) | CLI peak RSS (target < {TARGET_RSS_MB:.0f} MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        ok = {True: "ok", False: "MISSED"}
        lines.append(
            f"| {row['mix']} | {row['claims']:,} | {row['cli_vs_pyx12']}x (>= {row['pyx12_target']}x) "
            f"{ok[bool(row['pyx12_target_met'])]} | "
            f"{float(str(row['cli_vs_floor'])):.0%} {ok[bool(row['floor_target_met'])]} | "
            f"{row['cli_rss_mb']} MB {ok[bool(row['rss_target_met'])]} |"
        )
    return "\n".join(lines)


def bench_stages(mix: str, claims: int, scratch: Path) -> dict[str, float]:
    """Return the CPU seconds per stage of fixing one generated file (child_stages)."""
    path = cached_file(f"{mix}-{claims}", claims, MIXES[mix])
    _say(f"  {mix} {claims}: stages ...")
    measured = measure(_child("stages", str(path), str(scratch / "stages.837")), _env())
    (scratch / "stages.837").unlink(missing_ok=True)
    return {"mix": mix, "claims": claims, **measured.report}  # type: ignore[dict-item]


def stage_table(rows: list[dict[str, float]]) -> str:
    """Return each file's share of CPU per stage as a Markdown table."""
    head = " | ".join(("mix", "claims", "CPU s", *STAGES, "other"))
    lines = [f"| {head} |", "|---|" + "---:|" * (len(STAGES) + 3)]
    for row in rows:
        total = float(row["cpu_seconds"])
        shares = " | ".join(f"{float(row[name]) / total:.0%}" for name in (*STAGES, "other"))
        lines.append(f"| {row['mix']} | {int(row['claims']):,} | {total:.2f} | {shares} |")
    return "\n".join(lines)


def _batch_only() -> int:
    with tempfile.TemporaryDirectory(prefix="cart837-bench-") as scratch:
        batch = bench_batch(Path(scratch))
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results["jobs"] = batch
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.write(_batch_line(batch) + "\n")
    return 0


def _batch_line(batch: dict[str, object]) -> str:
    one, two = batch["jobs1"], batch["jobs2"]
    assert isinstance(one, dict) and isinstance(two, dict)
    return (
        f"--jobs on {BATCH_FILES} files x {BATCH_CLAIMS:,} claims ({BATCH_MIX}, {batch['megabytes']} MB): "
        f"--jobs 1 {one['seconds']} s wall ({one['cores_used']} cores busy), --jobs 2 {two['seconds']} s wall "
        f"({two['cores_used']} cores busy): speed-up {batch['speedup']}x on {os.cpu_count()} CPUs "
        f"(two busy loops gained {batch.get('machine_speedup')}x at the same time; "
        f"load average {two['load_average']:.1f} before the run)"
    )


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with --child, one measured piece of it)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES), help="claims per file")
    parser.add_argument("--mixes", default=",".join(MIXES), help="which mixes")
    parser.add_argument("--skip-batch", action="store_true", help="do not measure --jobs on a batch")
    parser.add_argument("--batch-only", action="store_true", help="measure only --jobs (results.json keeps the rest)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SOURCE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, source, target = args.child
        workers = {"floor": child_floor, "pyx12": child_pyx12, "library": child_library, "stages": child_stages}
        sys.stdout.write(json.dumps(workers[kind](Path(source), Path(target))) + "\n")
        return 0
    compile_package()
    if args.batch_only:
        _compile_once()
        return _batch_only()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    mixes = [m for m in args.mixes.split(",") if m.strip()]
    _compile_once()
    rules = rule_ids()
    load_at_start = os.getloadavg()
    _say(f"rules registered: {len(rules)} ({', '.join(rules) or 'none'})")
    runs: list[Run] = []
    stages: list[dict[str, float]] = []
    pyx12_rate: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="cart837-bench-") as scratch:
        for mix in mixes:
            for claims in sorted(sizes):
                runs.extend(bench_file(mix, claims, Path(scratch), pyx12_rate))
                stages.append(bench_stages(mix, claims, Path(scratch)))
        batch = None if args.skip_batch else bench_batch(Path(scratch))
    checks = ratios(runs)
    results = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg(),
            "cart837_build": _build_kind(),  # "compiled" (mypyc) or "pure Python"
        },
        "generator": {"seed": SEED, "args": _generator_args(0, 0.0, SEED)[4:], "mixes": MIXES},
        "rules": rules,
        "runs": [{**asdict(r), "mb_s": round(r.mb_s, 2), "claims_s": round(r.claims_s)} for r in runs],
        "targets": checks,
        "stages": stages,
        "jobs": batch,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    out = [f"cart837 build: {results['machine']['cart837_build']}", "", table(runs), ""]
    if any(r.note for r in runs):
        out.append(
            f"\\* pyx12 is far slower (~2 MB/s): above {PYX12_MAX_CLAIMS:,} claims its time is estimated from "
            f"its MB/s on the {PYX12_MAX_CLAIMS:,}-claim file of the same mix.\n"
        )
    out.extend(
        [
            ratio_table(checks),
            "",
            "Share of CPU per stage (cart837.fix_file with a CPU timer per stage):",
            "",
            stage_table(stages),
            "",
        ]
    )
    if batch is not None:
        out.append(_batch_line(batch))
    sys.stdout.write("\n".join(out) + f"\nresults written to {RESULTS.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
