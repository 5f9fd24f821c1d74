"""Run the per-file work on a Dask cluster: `cart837 fix --dask ADDRESS`, `fix_many(..., dask=...)`.

No scheduler of our own: Dask places the tasks. Pass 1 is one task per file (each returns its
file's compact episode index; they are merged here in input order); the merged index is
broadcast to every worker once; pass 2 is one task per file running the same Batch.process as
a local run, and the results come back in input order. A big file of `fix` with an output
path runs as parts, one task each, as with `--jobs` (cart837.split): the parts' outputs are
hidden temp files on the shared output path, joined here. Workers need cart837 (and its
configuration's code tables) installed, and must see the input and output paths under the
same names: a shared filesystem.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cart837 import logs, split, stop
from cart837.atomic import remove_stale_temps_of
from cart837.batch import Batch
from cart837.claims.stream import Resume
from cart837.episodes import EpisodeIndex
from cart837.errors import Cart837Error, Code
from cart837.inputs import InputFile
from cart837.parallel import RunSettings, merge_indexes, pass1_results
from cart837.results import FileResult, FileStatus, RunMode

if TYPE_CHECKING:
    from distributed import Client

log = logs.get_logger()
CONNECT_SECONDS = 10
ABANDON_SECONDS = 120  # a stop waits this long at most for running tasks to drop their files
WORKER_WAIT_SECONDS = float(os.environ.get("CART837_DASK_WAIT_SECONDS", "30"))  # for a scheduler with none yet


def _connect(cluster: str | Client) -> tuple[Any, bool]:
    """Return a client for a scheduler address (ours to close) or the client given (not ours).

    Typed Any inside this module: distributed's own annotations are partial.
    """
    import distributed

    if isinstance(cluster, distributed.Client):
        return cluster, False
    make: Any = distributed.Client
    try:
        client = make(cluster, timeout=CONNECT_SECONDS)
    except Exception as error:  # noqa: BLE001 - a bad address is a ValueError, a dead one OSError/TimeoutError
        raise Cart837Error(f"cannot reach the Dask scheduler at {cluster}: {_why(error)}", code=Code.DASK) from None
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
    except Exception:  # noqa: BLE001 - distributed raises TimeoutError, older releases others
        client.close()
        raise Cart837Error(
            f"the Dask scheduler at {cluster} has no workers (waited {WORKER_WAIT_SECONDS:g} s)", code=Code.DASK
        ) from None
    return client, True


def _why(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def run_on_dask(cluster: str | Client, settings: RunSettings, inputs: Sequence[InputFile]) -> Iterator[FileResult]:
    """Run both passes on the cluster; yield each input's result in input order.

    A stop (SIGINT/SIGTERM, or the caller closing this generator) cancels the tasks not begun,
    tells the running ones to abandon their files (temp files removed, on their workers) and
    waits for them to end, so nothing of this run is left writing once it returns.
    """
    client, ours = _connect(cluster)
    run = _Run(client, uuid.uuid4().hex)
    try:
        items = [_absolute(item) for item in inputs]
        if settings.outdir is not None:
            settings = replace(settings, outdir=settings.outdir.resolve())
        try:
            index, failures, splits = _index_on(run, settings, items)
            yield from _fix_on(run, settings, items, index, failures, splits)
        except Cart837Error:
            raise
        except Exception as error:  # noqa: BLE001 - the cluster itself failed (no worker left, lost scheduler)
            raise Cart837Error(f"the Dask cluster failed: {_why(error)}", code=Code.DASK) from None
        except (stop.Stopped, GeneratorExit):
            run.abandon()
            raise
    finally:
        if ours:
            client.close()


class _Run:
    """One run's tasks on the cluster, and how to stop them."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token  # names this run's tasks on the workers (a cluster may serve several runs)
        self.futures: list[Any] = []

    def abandon(self) -> None:
        """Stop every task of this run: none starts, the running ones abandon their files; wait for them.

        Finished futures are left alone: a finished part's output is removed by its done-callback.
        """
        pending = [future for future in self.futures if not future.done()]
        if not pending:
            return  # every result is in (the generator closed after its last file): nothing runs
        with contextlib.suppress(Exception):  # a cluster that is gone has nothing left running
            self.client.run(_abandon_on_worker, self.token, on_error="return")
            self.client.cancel(pending)
            deadline = time.monotonic() + ABANDON_SECONDS
            while time.monotonic() < deadline:
                running = self.client.run(_running_on_worker, self.token, on_error="return")
                if not any(isinstance(count, int) and count > 0 for count in running.values()):
                    log.info("dask_run_stopped", seconds=round(ABANDON_SECONDS - (deadline - time.monotonic()), 3))
                    return
                time.sleep(0.05)
            text = f"tasks of the stopped run still run on the Dask cluster after {ABANDON_SECONDS} s"
            logs.warn("dask_tasks_still_running", text, seconds=ABANDON_SECONDS)


def _absolute(item: InputFile) -> InputFile:
    if item.is_stdin:
        raise Cart837Error("a Dask cluster cannot read standard input; give files on a shared path", code=Code.USAGE)
    return replace(item, path=item.path.resolve())


def _index_on(
    run: _Run, settings: RunSettings, items: list[InputFile]
) -> tuple[EpisodeIndex, dict[int, Cart837Error], dict[int, split.SplitFile]]:
    """Pass 1: one task per file (or per part of a big file); merge the indexes in input order."""
    client = run.client
    config = client.scatter(settings.config, broadcast=True)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    splittable = settings.mode is RunMode.FIX and (settings.outdir is not None or settings.in_place)
    plans = {
        number: parts
        for number, item in enumerate(items)
        if splittable and (parts := split.plan(item.path, max(2, workers), settings.split_size)) is not None
    }
    splits: dict[int, split.SplitFile] = {}

    def submit(function: Any, *args: Any) -> Any:
        future = client.submit(function, *args, pure=False)
        run.futures.append(future)
        return future

    index, failures = merge_indexes(pass1_results(submit, items, settings.config, plans, splits, config))
    log.info("episode_index_built", cluster=True, **index.stats())
    return index, failures, splits


def _fix_on(
    run: _Run,
    settings: RunSettings,
    items: list[InputFile],
    index: EpisodeIndex,
    failures: dict[int, Cart837Error],
    splits: dict[int, split.SplitFile],
) -> Iterator[FileResult]:
    """Pass 2: the index and settings go to every worker once; one task per file (or part)."""
    client = run.client
    shared_index = client.scatter(index, broadcast=True)
    shared_settings = client.scatter(settings, broadcast=True)
    wanted = [number for number in range(len(items)) if number not in failures and number not in splits]
    futures = dict(
        zip(
            wanted,
            client.map(
                fix_task,
                wanted,
                [items[n] for n in wanted],
                settings=shared_settings,
                index=shared_index,
                run=run.token,
                pure=False,
            ),
            strict=True,
        )
    )
    shared = (shared_settings, shared_index)
    parts = {
        number: [
            client.submit(
                fix_part_task, number, items[number], part, resume, plan.sha256, *shared, run=run.token, pure=False
            )
            for part, resume in zip(plan.parts, plan.resumes, strict=True)
        ]
        for number, plan in splits.items()
    }
    run.futures = [*futures.values(), *(future for part_futures in parts.values() for future in part_futures)]
    joining = settings.batch(index) if splits else None
    try:
        for number, item in enumerate(items):
            if number in failures:
                failure = failures[number]
                yield FileResult(item.display, FileStatus.FAILED, error=failure.one_line(), code=failure.code.value)
                continue
            if stop.requested() is not None:
                run.abandon()
                return
            if number in parts:
                assert joining is not None
                join = split.joiner(joining, splits[number], [_PartOnDask(f) for f in parts.pop(number)])
                yield joining.process(number, item, run=join)
                continue
            yield _result(item, futures.pop(number))
    finally:
        for remaining in parts.values():
            split.discard([_PartOnDask(f) for f in remaining])


class _PartOnDask:
    """A part's Dask future whose lost worker reads as E-WORKER, as a whole file's does."""

    def __init__(self, future: Any) -> None:
        self.future = future

    def result(self) -> split.PartOutput:
        try:
            output: split.PartOutput = self.future.result()
        except (Cart837Error, OSError):
            raise
        except Exception as error:
            if type(error).__module__.startswith(("distributed", "concurrent", "asyncio")):
                raise Cart837Error(_lost(error), code=Code.WORKER) from None
            raise
        finally:
            self.future.release()
        return output

    def done(self) -> bool:
        return bool(self.future.done())

    def add_done_callback(self, callback: Any) -> None:
        self.future.add_done_callback(lambda _: callback(self))


def _lost(error: BaseException) -> str:
    """Say why a task came back without its result (KilledWorker: Dask gave up after its worker died)."""
    kind = type(error).__name__
    why = "its Dask worker died while fixing it" if kind == "KilledWorker" else "internal error on the Dask cluster"
    return f"{why} ({kind})"


def _result(item: InputFile, future: Any) -> FileResult:
    try:
        result: FileResult = future.result()
    except Exception as error:  # noqa: BLE001 - a lost worker fails its file alone
        log.info("dask_task_failed", file=item.display, error=type(error).__name__)  # said in the file's error line
        result = FileResult(item.display, FileStatus.FAILED, code=Code.WORKER.value)
        result.error = f"{item.display}: {_lost(error)}"
    future.release()
    return result


_BATCHES: dict[tuple[int, int], tuple[RunSettings, EpisodeIndex, Batch]] = {}
_ABANDONED: set[str] = set()  # runs whose client stopped: their tasks abandon their files
_RUNNING: dict[str, int] = {}  # run token -> its tasks fixing a file in this worker now
_RUNNING_LOCK = threading.Lock()


def fix_task(number: int, item: InputFile, settings: RunSettings, index: EpisodeIndex, run: str = "") -> FileResult:
    """Fix one file on a worker (the Batch is built once per run and worker).

    When its run is stopped the file is abandoned at its next chunk (temp file removed) and the
    task returns it `not_processed`; the client counts such tasks until none is left running.
    A temp file of its own target found at the start is an earlier attempt's whose worker died
    (the CLI swept the output before the run): removed, and said in a warning.
    """
    with _running(run):
        if run in _ABANDONED:
            return _abandoned(item)
        batch = _batch(settings, index, run)
        target = batch.target(item)
        earlier = remove_stale_temps_of(target) if target is not None else []  # an attempt whose worker died
        try:
            result = batch.process(number, item)
        except stop.Stopped:
            return _abandoned(item)
        if earlier:
            result.warnings.append(
                f"{item.display}: an earlier attempt at this file was killed part-way (a lost Dask worker?); "
                "its temp file was removed and the file fixed again"
            )
        return result


def fix_part_task(
    number: int,
    item: InputFile,
    part: split.Part,
    resume: Resume,
    sha256: str,
    settings: RunSettings,
    index: EpisodeIndex,
    run: str = "",
) -> split.PartOutput:
    """Pass 2 over one part of a big file on a worker (the client joins the parts)."""
    with _running(run):
        try:
            if run in _ABANDONED:
                raise stop.Stopped(signal.SIGTERM)
            return split.fix_part(_batch(settings, index, run), number, item, part, resume, sha256)
        except stop.Stopped:  # not a BaseException inside Dask: the client no longer waits for it
            raise Cart837Error("not processed: the run was stopped", code=Code.STOPPED) from None


def _batch(settings: RunSettings, index: EpisodeIndex, run: str) -> Batch:
    key = (id(settings), id(index))
    cached = _BATCHES.get(key)
    if cached is None:
        if settings.logging is not None:
            logs.apply(settings.logging)
        _BATCHES.clear()  # one run at a time per worker keeps memory flat
        batch = settings.batch(index)
        batch.stopped = lambda: run in _ABANDONED  # checked at each input chunk
        cached = _BATCHES[key] = (settings, index, batch)
    return cached[2]


@contextlib.contextmanager
def _running(run: str) -> Iterator[None]:
    """Count this worker's tasks of `run` while they work (the client waits for none after a stop)."""
    with _RUNNING_LOCK:
        _RUNNING[run] = _RUNNING.get(run, 0) + 1
    try:
        yield
    finally:
        with _RUNNING_LOCK:
            _RUNNING[run] -= 1
            if not _RUNNING[run]:
                del _RUNNING[run]


def _abandoned(item: InputFile) -> FileResult:
    reason = "not processed: the run was stopped"
    return FileResult(item.display, FileStatus.NOT_PROCESSED, code=Code.STOPPED.value, reason=reason)


def _abandon_on_worker(run: str) -> None:
    """On each worker (Client.run): the tasks of `run` abandon their files at their next chunk."""
    _ABANDONED.add(run)


def _running_on_worker(run: str) -> int:
    """On each worker (Client.run): how many tasks of `run` are still fixing a file."""
    with _RUNNING_LOCK:
        return _RUNNING.get(run, 0)
