"""Which files a run reads: PATHs given, directories scanned, and what is refused or skipped.

Nothing is dropped in silence (README, In a pipeline): a file or directory that cannot be read
is a failed result (E-READ); only a readable file that is not X12 is skipped, with its reason
(S-NOT-X12); hidden names (`.snapshot/`, `.x.837`, our temp files) are left out of scans unless
named; a symlinked directory is followed once (a loop or a second link to it is not re-read);
an output tree (the `-o` folder of this run, or any folder holding the marker an earlier `-o`
run left in its root) is never scanned as input.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from cart837 import logs
from cart837.errors import Code
from cart837.results import FileResult, FileStatus
from cart837.x12.delimiters import BOM, WHITESPACE

log = logs.get_logger()

OUTPUT_MARKER = ".cart837-output"
MARKER_TEXT = "This folder holds files written by cart837 fix -o; cart837 never reads it as input.\n"


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input: where it is read from and, for `-o`, its path relative to what was given."""

    path: Path
    display: str
    relative: Path
    is_stdin: bool = False


class Inputs(NamedTuple):
    """The files to process, and the results already known: skipped and unreadable entries, in scan order."""

    files: list[InputFile]
    known: list[FileResult]


def refused(path: str, code: Code, message: str) -> FileResult:
    """Return the result of an entry that failed before it was opened as X12."""
    return FileResult(path, FileStatus.FAILED, error=f"{path}: {message}", code=code.value)


def skipped(path: str, reason: str, code: Code = Code.NOT_X12) -> FileResult:
    """Return the result of a readable entry that is not X12 (or not a regular file)."""
    return FileResult(path, FileStatus.SKIPPED, code=code.value, reason=reason)


def sniff_x12(path: Path) -> str | None:
    """Return None when a file's first non-blank bytes after an optional BOM are `ISA`, else why not.

    Raises OSError when the file cannot be read.
    """
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head:
        return "not an X12 file (empty)"
    head = head.removeprefix(BOM).lstrip(WHITESPACE)
    return None if head.startswith(b"ISA") else "not an X12 file"


def looks_like_x12(path: Path) -> bool:
    """Return whether a file reads and starts like X12."""
    try:
        return sniff_x12(path) is None
    except OSError:
        return False


def is_output_tree(folder: Path) -> bool:
    """Return whether `folder` is the root of a cart837 `-o` tree (an unreadable folder is not: reading it fails)."""
    try:
        return (folder / OUTPUT_MARKER).is_file()
    except OSError:
        return False


def mark_output_tree(folder: Path) -> None:
    """Create `folder` if needed and leave the marker that keeps later scans out of it."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / OUTPUT_MARKER
    if not marker.exists():
        marker.write_text(MARKER_TEXT, encoding="utf-8")


def expand_inputs(paths: list[str], exclude: Path | None = None) -> Inputs:
    """Return the files to process and the entries already decided (skipped, unreadable).

    A file reached twice (named twice, or named and inside a directory given) is processed once:
    read twice, its claims would form episodes with themselves in the index. A file or directory
    named explicitly is always taken (hidden or not); scans leave out hidden names and output trees.
    """
    found = Inputs([], [])
    seen: set[Path] = set()
    excluded = exclude.resolve() if exclude is not None else None

    def add(item: InputFile) -> None:
        key = item.path.resolve()
        if key not in seen:
            seen.add(key)
            found.files.append(item)

    for given in paths:
        if given == "-":  # standard input given twice is a usage error (cli)
            found.files.append(InputFile(Path("-"), "-", Path("stdin.837"), is_stdin=True))
            continue
        path = Path(given)
        try:
            is_dir = path.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            _Scan(path, excluded, found, add).folder(path)
        else:
            add(InputFile(path, given, Path(path.name)))
    return found


@dataclass(slots=True)
class _Scan:
    """One directory given as PATH, walked in sorted order."""

    root: Path
    excluded: Path | None
    found: Inputs
    add: Callable[[InputFile], None]
    visited: set[tuple[int, int]] = field(default_factory=set)

    def folder(self, folder: Path) -> None:
        try:
            info = folder.stat()
            identity = (info.st_dev, info.st_ino)
            if identity in self.visited:
                text = f"{folder}: not read again: the folder was already read (a symlink loop or a second link)"
                logs.warn("directory_already_read", text, directory=str(folder))
                return
            self.visited.add(identity)
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            self.found.known.append(refused(str(folder), Code.READ, f"cannot read the directory: {_why(error)}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden: .snapshot/, editor files, our temp files and marker
            self.entry(Path(entry.path))

    def entry(self, path: Path) -> None:
        try:
            info = path.stat()  # follows a symlink: a dangling one cannot be read
        except OSError as error:
            self.found.known.append(refused(str(path), Code.READ, f"cannot read: {_why(error)}"))
            return
        if stat.S_ISDIR(info.st_mode):
            if is_output_tree(path) or (self.excluded is not None and path.resolve() == self.excluded):
                log.info("output_tree_not_read", directory=str(path))
                return
            self.folder(path)
            return
        if not stat.S_ISREG(info.st_mode):
            self.found.known.append(skipped(str(path), "not a regular file", Code.NOT_FILE))
            return
        try:
            reason = sniff_x12(path)
        except OSError as error:
            self.found.known.append(refused(str(path), Code.READ, f"cannot read: {_why(error)}"))
            return
        if reason is not None:
            self.found.known.append(skipped(str(path), reason))
            return
        self.add(InputFile(path, str(path), path.relative_to(self.root)))


def _why(error: OSError) -> str:
    return error.strerror or str(error)
