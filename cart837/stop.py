"""Clean stops on SIGINT and SIGTERM (README, In a pipeline).

A stop starts no new file; the file being worked on is abandoned atomically (its temp file
removed, nothing renamed); the run then writes its report, in which unfinished files say
`not processed`, prints its summary and exits 128 + the signal (130 for SIGINT, 143 for
SIGTERM). The signal handler raises `Stopped` only inside `interruptible()` sections (the work
on a file); elsewhere (writing a report line) it only records the request, checked between files.
A thread no signal reaches (a Dask task) reads its input through `CheckedReader`, which raises
`Stopped` at the next chunk once its run is told to stop.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from cart837.atomic import live_temps, remove_live_temps

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(BaseException):  # noqa: N818 - not an error: a requested stop, like KeyboardInterrupt
    """Raised in the middle of a file's work when a stop signal arrives."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _State:
    signum: int | None = None
    depth: int = 0


_STATE = _State()


def requested() -> int | None:
    """Return the signal that asked this process to stop, if any."""
    return _STATE.signum


def exit_code() -> int:
    """Return 128 + the stop signal (130 SIGINT, 143 SIGTERM), the shells' convention."""
    assert _STATE.signum is not None
    return 128 + _STATE.signum


def signal_name(signum: int) -> str:
    """Return `SIGTERM` for 15."""
    return signal.Signals(signum).name


def _handle(signum: int, _frame: FrameType | None) -> None:
    first = _STATE.signum is None
    _STATE.signum = _STATE.signum or signum
    if first and _STATE.depth > 0:
        raise Stopped(signum)


def install() -> dict[int, Any]:
    """Handle SIGINT and SIGTERM in this process; return the handlers they had."""
    _STATE.signum = None
    _STATE.depth = 0
    return {signum: signal.signal(signum, _handle) for signum in SIGNALS}


def restore(previous: dict[int, Any]) -> None:
    """Put back the handlers `install` replaced."""
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def install_in_worker() -> None:
    """A worker process: a stop abandons its current file (temp removed) and ends it."""
    install()


@contextmanager
def interruptible() -> Iterator[None]:
    """A section a stop may cut short: it raises Stopped here (at once if already requested)."""
    if _STATE.signum is not None:
        raise Stopped(_STATE.signum)
    _STATE.depth += 1
    before = live_temps()
    try:
        yield
    except Stopped:
        remove_live_temps(keep=before)  # what this section began; a report being written stays
        raise
    finally:
        _STATE.depth -= 1


class CheckedReader:
    """A binary input that raises Stopped before its next read once `stopped()` is true.

    A chunk is megabytes (claims.stream.CHUNK_SIZE): the check costs nothing per claim.
    """

    __slots__ = ("source", "stopped")

    def __init__(self, source: Any, stopped: Callable[[], bool]) -> None:
        self.source = source
        self.stopped = stopped

    def read(self, size: int = -1) -> bytes:
        """Read from the source unless a stop was asked for."""
        if self.stopped():
            raise Stopped(signal.SIGTERM)
        data: bytes = self.source.read(size)
        return data
