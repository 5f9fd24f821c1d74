"""Run both passes over many files in a process pool (`--jobs N`); results come in input order.

Pass 1 indexes each file in a worker and the parent merges the per-file indexes in input
order (a worker returns only its file's compact index, a few bytes per CAR-T line). Pass 2
gives every worker the merged index once, through the pool's initializer, and each worker
fixes whole files with the same Batch.process the sequential run uses.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from cart837 import logs, stop
from cart837.batch import Batch, OutputGate, index_file
from cart837.config import Config
from cart837.decisions import Decisions
from cart837.episodes import EpisodeIndex
from cart837.errors import Cart837Error, Code
from cart837.ids import RuleId
from cart837.inputs import InputFile
from cart837.results import FileResult, FileStatus, RunMode
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
    hold_on: str = "error"  # the least severity that holds a claim
    decisions: Decisions = Decisions()  # frozen: safe as a default

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
    inputs: Sequence[InputFile], config: Config, jobs: int = 1
) -> tuple[EpisodeIndex, dict[int, Cart837Error]]:
    """Pass 1 over every input, `jobs` files at a time; merge the indexes in input order."""
    if jobs <= 1 or len(inputs) <= 1:
        index, failures = merge_indexes(map(index_file, range(len(inputs)), inputs, repeat(config)))
    else:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(min(jobs, len(inputs)), mp_context=_context(), initializer=stop.install_in_worker)
        try:
            index, failures = merge_indexes(pool.map(_index_in_worker, range(len(inputs)), inputs, repeat(config)))
        finally:
            _shut_down(pool)
    log.info("episode_index_built", **index.stats())
    return index, failures


def merge_indexes(parts: Iterable[EpisodeIndex | Cart837Error]) -> tuple[EpisodeIndex, dict[int, Cart837Error]]:
    """Merge per-file pass-1 results, in input order, into one index; the failures by file number.

    The one pass-1 merge: in process, in a pool and on Dask (cart837.distributed).
    """
    index = EpisodeIndex()
    failures: dict[int, Cart837Error] = {}
    for number, part in enumerate(parts):
        if isinstance(part, Cart837Error):
            failures[number] = part
        else:
            index.merge(part)
    return index, failures


def process_files(
    settings: RunSettings,
    index: EpisodeIndex,
    failures: dict[int, Cart837Error],
    inputs: Sequence[InputFile],
    jobs: int = 1,
    stdout: BinaryIO | None = None,
) -> Iterator[FileResult]:
    """Pass 2: yield each input's result in input order, `jobs` files at a time."""
    if jobs <= 1 or len(inputs) - len(failures) <= 1 or stdout is not None:
        batch = settings.batch(index)
        for number, item in enumerate(inputs):
            yield _failed(item, failures[number]) if number in failures else batch.process(number, item, stdout)
        return
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        min(jobs, len(inputs)), mp_context=_context(), initializer=_start_worker, initargs=(settings, index)
    )
    try:
        futures = {
            number: pool.submit(_process_in_worker, number, item)
            for number, item in enumerate(inputs)
            if number not in failures
        }
        for number, item in enumerate(inputs):
            yield _failed(item, failures[number]) if number in failures else _result(item, futures[number])
    finally:
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
        log.error("worker_died", file=item.display)
        result = FileResult(item.display, FileStatus.FAILED, internal_error=True, code=Code.WORKER.value)
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
