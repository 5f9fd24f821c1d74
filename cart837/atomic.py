"""The one atomic writer: a hidden temp file beside the target, then one rename.

A reader of the final name sees the old file or the whole new one, never a part. Every file
cart837 writes (fixed files, reports, acknowledgments) goes through `AtomicFile`. A process
killed mid-write (SIGKILL, OOM) can leave only a hidden `.NAME.XXXXXXXX.cart837-tmp` beside
the target: runs never read such files as inputs, and the next run over the same output
folder removes them (`remove_stale_temps`). Temp files still open are tracked per process so a
stop on a signal can remove them (`remove_live_temps`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import IO, Any

TEMP_SUFFIX = ".cart837-tmp"
_LIVE: set[str] = set()  # this process's temp files not yet renamed or removed


def is_temp_name(path: Path) -> bool:
    """Return whether `path` is one of our unfinished temp files."""
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


@cache
def default_mode() -> int:
    """Return the mode a new file gets here (0o666 less the umask), read once per process."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


class AtomicFile:
    """A file being written under a temp name beside `target`; `commit()` renames it into place.

    Used as a context manager it commits on a normal exit and abandons (removes the temp file)
    on an exception; `abandon()` may also be called at any time. The temp file gets the mode the
    target would get: the existing target's (--in-place), else 0666 less the umask (mkstemp
    alone makes 0600, which a downstream service user cannot read). The target's folder must
    exist: the caller decides whether a missing folder is created or refused.
    """

    def __init__(self, target: Path, *, durable: bool = False) -> None:
        self.target = target
        self.durable = durable
        descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
        os.close(descriptor)
        _LIVE.add(name)
        self.temp = Path(name)
        try:
            mode = target.stat().st_mode & 0o7777 if target.exists() else default_mode()
            os.chmod(self.temp, mode)
        except OSError:
            self.abandon()
            raise
        self._handle: IO[Any] | None = None

    def open(self, text: bool = False) -> IO[Any]:
        """Open the temp file for writing (bytes, or UTF-8 text with \\n line ends); `commit` closes it."""
        self._handle = self.temp.open("w", encoding="utf-8", newline="\n") if text else self.temp.open("wb")
        return self._handle

    def close(self) -> None:
        """Close the handle `open` gave, if any."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def commit(self) -> None:
        """Rename the temp file over the target; with `durable`, fsync the data and the directory entry.

        `durable` matters when the target holds data that exists nowhere else (--in-place): after a
        power loss the name then shows the old or the new bytes, not an empty file.
        """
        self.close()
        if self.durable:
            _fsync(self.temp, os.O_RDONLY)
        os.replace(self.temp, self.target)
        _LIVE.discard(str(self.temp))
        if self.durable:
            sync_folder(self.target.parent)

    def abandon(self) -> None:
        """Remove the temp file; the target is left as it was."""
        self.close()
        self.temp.unlink(missing_ok=True)
        _LIVE.discard(str(self.temp))

    def hand_over(self) -> Path:
        """Stop tracking the closed temp file here: another process (a split file's parent) takes it over."""
        self.close()
        _LIVE.discard(str(self.temp))
        return self.temp

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None and str(self.temp) in _LIVE:
            self.commit()
        else:
            self.abandon()


def write_atomically(target: Path, data: bytes | str) -> None:
    """Write bytes, or text as UTF-8, under `target` through a temp file and one rename."""
    with AtomicFile(target) as output:
        output.open(text=isinstance(data, str)).write(data)


def live_temps() -> frozenset[str]:
    """Return this process's temp files not yet renamed or removed."""
    return frozenset(_LIVE)


def adopt_temp(name: str) -> None:
    """Track a temp file another process wrote (and handed over) as this process's own: a stop removes it."""
    _LIVE.add(name)


def discard_temp(name: str) -> None:
    """Remove a temp file of this process (adopted or not) and stop tracking it."""
    with contextlib.suppress(OSError):
        os.unlink(name)
    _LIVE.discard(name)


def remove_live_temps(keep: frozenset[str] = frozenset()) -> None:
    """Remove this process's open temp files but `keep` (a stop on a signal: nothing half-written stays)."""
    for name in list(_LIVE - keep):
        with contextlib.suppress(OSError):
            os.unlink(name)
        _LIVE.discard(name)


def remove_stale_temps(folder: Path, recursive: bool = True) -> list[Path]:
    """Remove temp files a killed run left in `folder` (at any depth when `recursive`); return them."""
    removed: list[Path] = []
    for found in _walk_temps(folder, recursive):
        try:
            found.unlink()
        except OSError:
            continue
        removed.append(found)
    return removed


def remove_stale_temps_of(target: Path) -> list[Path]:
    """Remove the temp files a killed run left beside `target` (`.NAME.*.cart837-tmp`); return them."""
    removed: list[Path] = []
    for found in target.parent.glob(f".{glob_escape(target.name)}.*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            found.unlink()
            removed.append(found)
    return removed


def glob_escape(name: str) -> str:
    """Escape glob's special characters in a file name."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _walk_temps(folder: Path, recursive: bool) -> Iterator[Path]:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if is_temp_name(Path(root, name)):
                yield Path(root, name)
        if not recursive:
            return


def sync_folder(folder: Path) -> None:
    """Make the folder's entries durable (a rename or unlink in it survives a power loss)."""
    _fsync(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def _fsync(path: Path, flags: int) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
