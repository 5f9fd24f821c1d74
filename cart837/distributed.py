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

import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cart837 import logs, split, stop
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
    """Run both passes on the cluster; yield each input's result in input order."""
    client, ours = _connect(cluster)
    try:
        items = [_absolute(item) for item in inputs]
        if settings.outdir is not None:
            settings = replace(settings, outdir=settings.outdir.resolve())
        try:
            index, failures, splits = _index_on(client, settings, items)
            yield from _fix_on(client, settings, items, index, failures, splits)
        except Cart837Error:
            raise
        except Exception as error:  # noqa: BLE001 - the cluster itself failed (no worker left, lost scheduler)
            raise Cart837Error(f"the Dask cluster failed: {_why(error)}", code=Code.DASK) from None
    finally:
        if ours:
            client.close()


def _absolute(item: InputFile) -> InputFile:
    if item.is_stdin:
        raise Cart837Error("a Dask cluster cannot read standard input; give files on a shared path", code=Code.USAGE)
    return replace(item, path=item.path.resolve())


def _index_on(
    client: Any, settings: RunSettings, items: list[InputFile]
) -> tuple[EpisodeIndex, dict[int, Cart837Error], dict[int, split.SplitFile]]:
    """Pass 1: one task per file (or per part of a big file); merge the indexes in input order."""
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
        return client.submit(function, *args, pure=False)

    index, failures = merge_indexes(pass1_results(submit, items, settings.config, plans, splits, config))
    log.info("episode_index_built", cluster=True, **index.stats())
    return index, failures, splits


def _fix_on(
    client: Any,
    settings: RunSettings,
    items: list[InputFile],
    index: EpisodeIndex,
    failures: dict[int, Cart837Error],
    splits: dict[int, split.SplitFile],
) -> Iterator[FileResult]:
    """Pass 2: the index and settings go to every worker once; one task per file (or part)."""
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
                pure=False,
            ),
            strict=True,
        )
    )
    shared = (shared_settings, shared_index)
    parts = {
        number: [
            client.submit(fix_part_task, number, items[number], part, resume, plan.sha256, *shared, pure=False)
            for part, resume in zip(plan.parts, plan.resumes, strict=True)
        ]
        for number, plan in splits.items()
    }
    joining = settings.batch(index) if splits else None
    try:
        for number, item in enumerate(items):
            if number in failures:
                failure = failures[number]
                yield FileResult(item.display, FileStatus.FAILED, error=failure.one_line(), code=failure.code.value)
                continue
            if stop.requested() is not None:
                client.cancel(list(futures.values()) + [f for fs in parts.values() for f in fs])
                return
            if number in parts:
                assert joining is not None
                run = split.joiner(joining, splits[number], [_PartOnDask(f) for f in parts.pop(number)])
                yield joining.process(number, item, run=run)
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
                why = f"internal error on the Dask cluster ({type(error).__name__})"
                raise Cart837Error(why, code=Code.WORKER) from None
            raise
        finally:
            self.future.release()
        return output

    def done(self) -> bool:
        return bool(self.future.done())

    def add_done_callback(self, callback: Any) -> None:
        self.future.add_done_callback(lambda _: callback(self))


def _result(item: InputFile, future: Any) -> FileResult:
    try:
        result: FileResult = future.result()
    except Exception as error:  # noqa: BLE001 - a lost worker fails its file alone
        log.error("dask_task_failed", file=item.display, error=type(error).__name__)
        result = FileResult(item.display, FileStatus.FAILED, internal_error=True, code=Code.WORKER.value)
        result.error = f"{item.display}: internal error on the Dask cluster ({type(error).__name__})"
    future.release()
    return result


_BATCHES: dict[tuple[int, int], tuple[RunSettings, EpisodeIndex, Batch]] = {}


def fix_task(number: int, item: InputFile, settings: RunSettings, index: EpisodeIndex) -> FileResult:
    """Fix one file on a worker (the Batch is built once per run and worker)."""
    return _batch(settings, index).process(number, item)


def fix_part_task(
    number: int,
    item: InputFile,
    part: split.Part,
    resume: Resume,
    sha256: str,
    settings: RunSettings,
    index: EpisodeIndex,
) -> split.PartOutput:
    """Pass 2 over one part of a big file on a worker (the client joins the parts)."""
    return split.fix_part(_batch(settings, index), number, item, part, resume, sha256)


def _batch(settings: RunSettings, index: EpisodeIndex) -> Batch:
    key = (id(settings), id(index))
    cached = _BATCHES.get(key)
    if cached is None:
        if settings.logging is not None:
            logs.apply(settings.logging)
        _BATCHES.clear()  # one run at a time per worker keeps memory flat
        cached = _BATCHES[key] = (settings, index, settings.batch(index))
    return cached[2]
