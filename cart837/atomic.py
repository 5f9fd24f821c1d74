"""Atomic file replacement: a hidden temp file beside the target, then one rename.

A reader of the final name sees the old file or the whole new one, never a part. A process
killed mid-write (SIGKILL, OOM) can leave only a hidden `.NAME.XXXXXXXX.cart837-tmp` beside
the target: the next run ignores such files as inputs, and deleting them is always safe.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

TEMP_SUFFIX = ".cart837-tmp"


def is_temp_name(path: Path) -> bool:
    """Return whether `path` is one of our unfinished temp files."""
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


@cache
def default_mode() -> int:
    """Return the mode a new file gets here (0o666 less the umask), read once per process."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def temp_beside(target: Path) -> Path:
    """Create an empty hidden temp file in the target's directory, with the target's future mode."""
    with tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX, delete=False
    ) as handle:
        temp = Path(handle.name)
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else default_mode()
        os.chmod(temp, mode)  # mkstemp makes 0600; an output (or --in-place input) keeps its usual mode
    except OSError:
        temp.unlink(missing_ok=True)
        raise
    return temp


def replace_atomically(temp: Path, target: Path, durable: bool = False) -> None:
    """Rename `temp` over `target`; with `durable`, fsync the data and the directory entry too.

    `durable` matters when the target holds data that exists nowhere else (--in-place): after a
    power loss the name then shows the old or the new bytes, not an empty file.
    """
    if durable:
        _fsync(temp, os.O_RDONLY)
    os.replace(temp, target)
    if durable:
        _fsync(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def write_atomically(target: Path, data: bytes) -> None:
    """Write `data` under `target` through a temp file and one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_beside(target)
    try:
        temp.write_bytes(data)
        replace_atomically(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _fsync(path: Path, flags: int) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
