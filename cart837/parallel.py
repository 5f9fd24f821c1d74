"""Run both passes over many files in a process pool (`--jobs N`); results come in input order.

Pass 1 indexes each file in a worker and the parent merges the per-file indexes in input
order (a worker returns only its file's compact index, a few bytes per CAR-T line). Pass 2
gives every worker the merged index once, through the pool's initializer, and each worker
fixes whole files with the same Batch.process the sequential run uses. A file of at least
`split_size` bytes runs as parts, both passes, and is joined here (cart837.split).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from cart837 import logs, split, stop
from cart837.batch import Batch, OutputGate, file_sha256, index_file
from cart837.claims.stream import Resume
from cart837.config import Config
from cart837.decisions import Decisions
from cart837.episodes import EpisodeIndex
from cart837.errors import Cart837Error, Code
from cart837.ids import RuleId
from cart837.inputs import InputFile
from cart837.results import FileResult, FileStatus, RunMode
from cart837.rules.base import Severity
from cart837.rules.engine import Engine

if TYPE_CHECKING:  # a process pool only for --jobs N: one file at a time does not import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.context import BaseContext

log = logs.get_logger()


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything a worker needs to rebuild the run's Batch (it pickles)."""

    config: Config
    only: frozenset[RuleId] | None = None
    mode: RunMode = RunMode.FIX
    outdir: Path | None = None
    in_place: bool = False
    show_phi: bool = False
    keep_changes: bool = False
    gate: OutputGate | None = None
    logging: logs.LogSettings | None = None  # log in workers as in the parent; None leaves them alone
    hold: Path | None = None  # fix --hold DIR
    hold_on: Severity = Severity.ERROR  # the least severity that holds a claim
    decisions: Decisions = Decisions()  # frozen: safe as a default
    split_size: int = split.SPLIT_SIZE  # with jobs > 1, files of at least this many bytes run as parts

    def batch(self, index: EpisodeIndex) -> Batch:
        """Return the Batch these settings describe, over `index`."""
        return Batch(
            config=self.config,
            engine=Engine(self.config, self.only),
            index=index,
            mode=self.mode,
            outdir=self.outdir,
            in_place=self.in_place,
            show_phi=self.show_phi,
            keep_changes=self.keep_changes,
            gate=self.gate,
            hold=self.hold,
            hold_on=self.hold_on,
            decisions=self.decisions,
        )


def build_index(
    inputs: Sequence[InputFile],
    config: Config,
    jobs: int = 1,
    split_size: int = split.SPLIT_SIZE,
    splits: dict[int, split.SplitFile] | None = None,
) -> tuple[EpisodeIndex, dict[int, Cart837Error]]:
    """Pass 1 over every input, `jobs` files (or parts of big files) at a time.

    Return the index (merged in input order) and the failures by file number; `splits` (when
    given) receives the files that ran as parts, for pass 2 to run them as parts too.
    """
    plans = {
        number: parts
        for number, item in enumerate(inputs)
        if not item.is_stdin and (parts := split.plan(item.path, jobs, split_size)) is not None
    }
    splits = {} if splits is None else splits
    if jobs <= 1 or (len(inputs) <= 1 and not plans):
        index, failures = merge_indexes(map(index_file, range(len(inputs)), inputs, repeat(config)))
    else:
        tasks = len(inputs) + sum(len(parts) for parts in plans.values())
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(min(jobs, tasks), mp_context=_context(), initializer=stop.install_in_worker)
        try:
            index, failures = merge_indexes(pass1_results(pool.submit, inputs, config, plans, splits))
        finally:
            _shut_down(pool)
    log.info("episode_index_built", **index.stats())
    return index, failures


def pass1_results(
    submit: Callable[..., Any],
    inputs: Sequence[InputFile],
    config: Config,
    plans: dict[int, list[split.Part]],
    splits: dict[int, split.SplitFile],
    task_config: object = None,
) -> Iterator[EpisodeIndex | Cart837Error]:
    """Yield each input's pass-1 result in input order; a split file's parts are folded and merged.

    `submit(function, *args)` runs a task (a pool's submit, or a Dask client's); the tasks get
    `task_config` (a scattered Config on Dask), the parent's own reads use `config`.
    """
    shared = config if task_config is None else task_config
    futures: dict[int, Any] = {}
    pieces: dict[int, tuple[Any, list[Any]]] = {}
    for number, item in enumerate(inputs):
        parts = plans.get(number)
        if parts is None:
            futures[number] = submit(_index_in_worker, number, item, shared)
            continue
        last = len(parts) - 1
        pieces[number] = (
            submit(_sha256_in_worker, item.path),
            [submit(split.index_part, number, item, shared, part, n == last) for n, part in enumerate(parts)],
        )
    for number, item in enumerate(inputs):
        if number in futures:
            yield _taken(futures.pop(number))
            continue
        sha_future, part_futures = pieces.pop(number)
        found = [_taken(future) for future in part_futures]
        resumes = split.fold(item.display, plans[number], found)
        if resumes is None:  # a part failed or the parts disagree: read the file whole, as --jobs 1 does
            log.info("split_file_rerun", file=item.display, why="pass 1 over its parts did not go through")
            yield index_file(number, item, config)
            continue
        splits[number] = split.SplitFile(tuple(plans[number]), tuple(resumes), _taken(sha_future))
        log.info("file_split", file=item.display, parts=len(resumes))
        yield split.merged_index(found)


def _taken(future: Any) -> Any:
    """Return a task's result and let the cluster drop it (Dask futures hold it until released)."""
    result = future.result()
    release = getattr(future, "release", None)
    if release is not None:
        release()
    return result


def merge_indexes(parts: Iterable[EpisodeIndex | Cart837Error]) -> tuple[EpisodeIndex, dict[int, Cart837Error]]:
    """Merge per-file pass-1 results, in input order, into one index; the failures by file number.

    In process, in a pool and on Dask (cart837.distributed); the merge itself is EpisodeIndex.merged.
    """
    failures: dict[int, Cart837Error] = {}

    def indexes() -> Iterator[EpisodeIndex]:
        for number, part in enumerate(parts):
            if isinstance(part, Cart837Error):
                failures[number] = part
            else:
                yield part

    return EpisodeIndex.merged(indexes()), failures


def process_files(
    settings: RunSettings,
    index: EpisodeIndex,
    failures: dict[int, Cart837Error],
    inputs: Sequence[InputFile],
    jobs: int = 1,
    stdout: BinaryIO | None = None,
    splits: dict[int, split.SplitFile] | None = None,
) -> Iterator[FileResult]:
    """Pass 2: yield each input's result in input order, `jobs` files (or parts of split files) at a time."""
    splits = splits or {}
    if jobs <= 1 or stdout is not None or (len(inputs) - len(failures) <= 1 and not splits):
        batch = settings.batch(index)
        for number, item in enumerate(inputs):
            yield _failed(item, failures[number]) if number in failures else batch.process(number, item, stdout)
        return
    tasks = len(inputs) + sum(len(s.parts) for s in splits.values())
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        min(jobs, tasks), mp_context=_context(), initializer=_start_worker, initargs=(settings, index)
    )
    parts: dict[int, list[Future[split.PartOutput]]] = {}
    try:
        futures: dict[int, Future[FileResult]] = {}
        for number, item in enumerate(inputs):
            if number in failures:
                continue
            if number in splits:
                plan = splits[number]
                parts[number] = [
                    pool.submit(_fix_part_in_worker, number, item, part, resume, plan.sha256)
                    for part, resume in zip(plan.parts, plan.resumes, strict=True)
                ]
            else:
                futures[number] = pool.submit(_process_in_worker, number, item)
        joining = settings.batch(index) if splits else None
        for number, item in enumerate(inputs):
            if number in failures:
                yield _failed(item, failures[number])
            elif number in parts:
                assert joining is not None
                run = split.joiner(joining, splits[number], [_PartInPool(f) for f in parts.pop(number)])
                result = joining.process(number, item, run=run)
                yield result
            else:
                yield _result(item, futures[number])
    finally:
        for remaining in parts.values():
            split.discard(remaining)
        _shut_down(pool)


def _shut_down(pool: ProcessPoolExecutor) -> None:
    """Close the pool; after a stop, tell its workers to abandon the files they hold (their temp files go)."""
    if stop.requested() is not None:
        for process in list(getattr(pool, "_processes", {}).values()):  # no public way to reach them
            with contextlib.suppress(OSError, ValueError):
                os.kill(process.pid, signal.SIGTERM)
    pool.shutdown(wait=True, cancel_futures=True)


def _context() -> BaseContext:
    """Return how worker processes start.

    fork when this process runs one thread (the CLI): workers start at once and share the
    index's pages. Otherwise forkserver, as forking a threaded process can deadlock.
    """
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _failed(item: InputFile, error: Cart837Error) -> FileResult:
    return FileResult(item.display, FileStatus.FAILED, error=error.one_line(), code=error.code.value)


def _result(item: InputFile, future: Future[FileResult]) -> FileResult:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        return _worker_died(item)


@dataclass(frozen=True, slots=True)
class _PartInPool:
    """A part's future whose lost worker reads as E-WORKER, as a whole file's does."""

    future: Future[split.PartOutput]

    def result(self) -> split.PartOutput:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.future.result()
        except BrokenProcessPool:
            raise Cart837Error("internal error: its worker process died (out of memory?)", code=Code.WORKER) from None

    def done(self) -> bool:
        return self.future.done()

    def add_done_callback(self, callback: Callable[[_PartInPool], None]) -> None:
        self.future.add_done_callback(lambda _: callback(self))


def _worker_died(item: InputFile) -> FileResult:
    log.info("worker_died", file=item.display)  # the failure itself is the file's error line
    result = FileResult(item.display, FileStatus.FAILED, code=Code.WORKER.value)
    result.error = f"{item.display}: internal error: its worker process died (out of memory?)"
    return result


_WORKER: list[Batch] = []  # this worker process's Batch, set once by _start_worker


def _start_worker(settings: RunSettings, index: EpisodeIndex) -> None:
    """Set up one worker process: logging as in the parent, stops, and the run's Batch."""
    stop.install_in_worker()
    if settings.logging is not None:
        logs.apply(settings.logging)
    _WORKER[:] = [settings.batch(index)]


def _index_in_worker(number: int, item: InputFile, config: Config) -> EpisodeIndex | Cart837Error:
    """Pass 1 for one file in a worker; a stop abandons it."""
    with stop.interruptible():
        return index_file(number, item, config)


def _process_in_worker(number: int, item: InputFile) -> FileResult:
    """Fix one file in a worker (never to stdout: that is the parent's)."""
    result = _WORKER[0].process(number, item)
    result.findings.by_reference()  # a big file's spilled findings travel as a file, not in memory
    return result


def _sha256_in_worker(path: Path) -> str:
    with stop.interruptible():
        return file_sha256(path)


def _fix_part_in_worker(
    number: int, item: InputFile, part: split.Part, resume: Resume, sha256: str
) -> split.PartOutput:
    """Pass 2 over one part of a split file in a worker (the parent joins the parts)."""
    return split.fix_part(_WORKER[0], number, item, part, resume, sha256)
