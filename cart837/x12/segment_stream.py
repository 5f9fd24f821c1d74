"""Read a whole X12 file as Segments in chunks, each interchange with the delimiters its ISA declares.

The segments are cut by the package's one splitter (`segment.split_bodies`): a segment's raw
bytes hold its terminator and the whitespace after it. Memory holds one chunk (and the segment
that straddles its end), never the file. For files already checked (the `fix --hold` split
reads the file it produced); the checks of a first read are `claims.stream.FileStream`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from cart837.x12.delimiters import BOM, ISA_LENGTH, WHITESPACE, Delimiters, read_isa
from cart837.x12.segment import Segment, split_bodies

CHUNK_SIZE = 1 << 20
_INTERCHANGE_END = "IEA"


class Read(NamedTuple):
    """One segment as read: where it starts in the file, the segment, its interchange's delimiters."""

    offset: int
    segment: Segment
    delimiters: Delimiters


@dataclass(slots=True)
class SegmentStream:
    """Iterate over a file's segments; `lead` holds what stood before the first ISA (a BOM, blank lines)."""

    source: BinaryIO
    file: str = "-"
    chunk_size: int = CHUNK_SIZE
    lead: bytes = b""

    def __iter__(self) -> Iterator[Read]:
        buf, eof, base = b"", False, 0  # base: the file offset of buf[0]
        start = 0
        while not eof and (len(buf) < len(BOM) or buf[start:].strip(WHITESPACE) == b""):
            more = self.source.read(self.chunk_size)
            buf, eof = buf + more, not more
            start = len(BOM) if buf.startswith(BOM) else 0
        while start < len(buf) and buf[start] in WHITESPACE:
            start += 1
        self.lead = buf[:start]
        delimiters: Delimiters | None = None
        while True:
            if delimiters is None:  # at an ISA: its own delimiters (interchanges of one file may differ)
                while len(buf) - start < ISA_LENGTH and not eof:
                    more = self.source.read(self.chunk_size)
                    buf, eof = buf + more, not more
                if start >= len(buf):
                    return
                delimiters = read_isa(buf, start, self.file)
            end = len(buf) if eof else _last_whole_segment_end(buf, start, delimiters.segment)
            if end <= start:  # not one whole segment in the buffer yet
                buf, base, start = buf[start:], base + start, 0
                more = self.source.read(self.chunk_size)
                buf, eof = buf + more, not more
                continue
            data = buf[start:end]
            bodies, ends = split_bodies(data, delimiters)
            element, position = delimiters.element.decode("latin-1"), 0
            for body, stop in zip(bodies, ends, strict=True):
                elements = tuple(body.split(element))
                raw = data[position:stop]
                yield Read(base + start + position, Segment(elements, raw, raw[len(body) :]), delimiters)
                position = stop
                if elements[0] == _INTERCHANGE_END and _next_delimiters(data, position, self.file) != delimiters:
                    delimiters = None  # the next ISA declares others (or is not read yet): split the rest anew
                    break
            start += position
            if start >= len(buf) and eof:
                return


def _next_delimiters(data: bytes, position: int, file: str) -> Delimiters | None:
    """Return the delimiters of the ISA at data[position], None when the data ends before it is whole."""
    return read_isa(data, position, file) if len(data) - position >= ISA_LENGTH else None


def _last_whole_segment_end(buf: bytes, start: int, term: bytes) -> int:
    """Return where the last segment of buf[start:] that is whole ends (after the whitespace that follows it).

    A terminator whose whitespace runs to the buffer's end does not count: the whitespace (or,
    with a line-break terminator, the next segment) may go on in the next chunk.
    """
    stop = len(buf)
    while (found := buf.rfind(term, start, stop)) >= 0:
        end = found + 1
        while end < len(buf) and buf[end] in WHITESPACE:
            end += 1
        if end < len(buf):
            return end
        stop = found
    return start
