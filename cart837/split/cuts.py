"""Where to cut a big file: a few C-speed searches over a memory map, never a loop over segments.

Each interchange's ISA and IEA are found first; then, near each target offset, the next
interchange start or ST, whichever comes first. A part starting at an ST carries what is open
there: the interchange's delimiters and ISA13, the group's GS06/GS08 (`cart837.split.pass1`
checks them against the part before).
"""

from __future__ import annotations

import mmap
from bisect import bisect_right
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from cart837.errors import Cart837Error
from cart837.x12.delimiters import BOM, ISA_LENGTH, WHITESPACE, Delimiters, read_isa, terminator_before
from cart837.x12.envelope import GS_CONTROL, GS_VERSION, ISA_CONTROL

SPLIT_SIZE = 64 << 20  # files of at least this many bytes are split when --jobs > 1 (--split-size)
PARTS_PER_JOB = 4  # more parts than workers: a slow part does not hold the others up
SMALLEST_PART = 1 << 16  # and never parts below split_size / 16 (or 64 KiB): each costs a task


@dataclass(frozen=True, slots=True)
class Part:
    """A byte range of one file that starts at an ISA or an ST (and what is open at an ST)."""

    start: int
    end: int
    lead: int = 0  # bytes before `start` the reader also reads: the terminator of the segment before an ST
    delimiters: Delimiters | None = None  # the open interchange's (None: the part starts at an ISA)
    interchange: str | None = None  # its ISA13
    group: str | None = None  # the open group's GS06
    group_version: str = ""  # its GS08


def plan(path: Path, jobs: int, split_size: int) -> list[Part] | None:
    """Return the parts to run `path` as, or None to run it whole (small, or not cut cleanly)."""
    if jobs <= 1 or split_size <= 0:
        return None
    try:
        size = path.stat().st_size
        if size < split_size:
            return None
        count = min(PARTS_PER_JOB * jobs, size // max(split_size // 16, SMALLEST_PART))
        if count < 2:
            return None
        with path.open("rb") as source, mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _cut(data, size, count)
    except (OSError, ValueError, Cart837Error):
        return None  # the whole-file run says what is wrong, as it would without --jobs


@dataclass(frozen=True, slots=True)
class _Interchange:
    start: int
    iea: int  # where its IEA starts
    delimiters: Delimiters
    control: str  # ISA13


def _cut(data: mmap.mmap, size: int, count: int) -> list[Part] | None:
    interchanges = _interchanges(data, size)
    if interchanges is None:
        return None
    starts = [i.start for i in interchanges]
    parts: list[Part] = []
    previous = Part(0, 0)
    for number in range(1, count):
        target = number * size // count
        if target <= previous.start:
            continue
        which = bisect_right(starts, target) - 1
        if which < 0:
            continue
        cut = _st_part(data, interchanges[which], target, previous)
        if which + 1 < len(interchanges) and (cut is None or interchanges[which + 1].start <= cut.start):
            cut = Part(interchanges[which + 1].start, 0)
        if cut is None or cut.start <= previous.start:
            continue
        parts.append(_ending(previous, cut.start))
        previous = cut
    parts.append(_ending(previous, size))
    return parts if len(parts) > 1 else None


def _ending(part: Part, end: int) -> Part:
    return replace(part, end=end)


def _interchanges(data: mmap.mmap, size: int) -> list[_Interchange] | None:
    """Return each interchange's ISA and IEA offsets, or None when the file is not a clean sequence of them."""
    position = len(BOM) if data[: len(BOM)] == BOM else 0
    position = _skip_whitespace(data, position, size)
    found: list[_Interchange] = []
    while position < size:
        if data[position : position + 3] != b"ISA":
            return None
        isa = bytes(data[position : position + ISA_LENGTH])
        delimiters = read_isa(isa, 0)
        elements = isa[: ISA_LENGTH - 1].decode("latin-1").split(delimiters.element.decode("latin-1"))
        control = elements[ISA_CONTROL].strip() if len(elements) > ISA_CONTROL else ""
        iea = _find_segment(data, b"IEA", delimiters, position + ISA_LENGTH, size)
        if iea is None:
            return None
        end = data.find(delimiters.segment, iea)
        if end < 0:
            return None
        found.append(_Interchange(position, iea, delimiters, control))
        position = _skip_whitespace(data, end + 1, size)
    return found


def _skip_whitespace(data: mmap.mmap, position: int, size: int) -> int:
    while position < size and data[position] in WHITESPACE:
        position += 1
    return position


def _find_segment(data: mmap.mmap, tag: bytes, delimiters: Delimiters, start: int, end: int) -> int | None:
    """Return where the first `tag` segment from `start` (before `end`) starts."""
    needle, term = tag + delimiters.element, delimiters.segment[0]
    index = start
    while (index := data.find(needle, index, end)) >= 0:
        if terminator_before(data, index, term) is not None:
            return index
        index += 1
    return None


def _st_part(data: mmap.mmap, interchange: _Interchange, target: int, previous: Part) -> Part | None:
    """Return a part starting at the first ST from `target` in this interchange, with its open group.

    The GS is looked for back to the previous cut only (one huge group would otherwise be read
    again for every cut); none there means the previous part's group, when it started in here.
    """
    delimiters = interchange.delimiters
    term, gs_tag = delimiters.segment[0], b"GS" + delimiters.element
    st = _find_segment(data, b"ST", delimiters, max(target, interchange.start + ISA_LENGTH), interchange.iea)
    before = terminator_before(data, st, term) if st is not None else None
    if st is None or before is None:
        return None
    floor = max(interchange.start, previous.start)
    gs = data.rfind(gs_tag, floor, st)
    while gs >= 0 and terminator_before(data, gs, term) is None:
        gs = data.rfind(gs_tag, floor, gs)
    group: str | None
    if gs >= 0:
        elements = bytes(data[gs : data.find(delimiters.segment, gs)]).decode("latin-1").split(separator(delimiters))
        group = elements[GS_CONTROL].strip() if len(elements) > GS_CONTROL else ""
        version = elements[GS_VERSION].strip() if len(elements) > GS_VERSION else ""
    elif previous.delimiters is not None and previous.start > interchange.start:
        group, version = previous.group, previous.group_version
    else:
        return None
    return Part(st, 0, st - before, delimiters, interchange.control, group, version)


def separator(delimiters: Delimiters) -> str:
    """Return the element separator as text (envelope elements are read as latin-1)."""
    return delimiters.element.decode("latin-1")


class PartReader:
    """Read at most `size` bytes of a file from where it was positioned."""

    def __init__(self, source: BinaryIO, size: int) -> None:
        self.source, self.left = source, size

    def read(self, size: int = -1, /) -> bytes:
        wanted = self.left if size < 0 else min(size, self.left)
        data = self.source.read(wanted)
        self.left -= len(data)
        return data
