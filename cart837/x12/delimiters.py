"""Read the delimiters an interchange declares in its fixed-length ISA segment."""

from __future__ import annotations

import mmap
from dataclasses import dataclass

from cart837.errors import Location, X12SyntaxError

ISA_LENGTH = 106  # ISA01..ISA16 are fixed width; byte 106 is the segment terminator
BOM = b"\xef\xbb\xbf"
WHITESPACE = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators of one interchange, as single bytes."""

    element: bytes
    component: bytes
    repetition: bytes | None  # None: ISA11 is a letter/digit (4010 `U`) or equals ISA16
    segment: bytes

    def as_text(self) -> dict[str, str | None]:
        """Return the report form: {"element": "*", ...}."""
        rep = self.repetition.decode("latin-1") if self.repetition else None
        return {
            "element": self.element.decode("latin-1"),
            "component": self.component.decode("latin-1"),
            "repetition": rep,
            "segment": self.segment.decode("latin-1"),
        }


def read_isa(data: bytes, offset: int, file: str = "-", segment_index: int = 1) -> Delimiters:
    """Return the delimiters of the ISA starting at `offset`; refuse a short or garbled one."""
    where = Location(file, offset, segment_index, "ISA")
    isa = data[offset : offset + ISA_LENGTH]
    if not isa.startswith(b"ISA"):
        raise X12SyntaxError("expected an ISA segment", where)
    if len(isa) < ISA_LENGTH:
        raise X12SyntaxError(f"short ISA: {len(isa)} bytes, a full ISA has {ISA_LENGTH}", where)
    element = isa[3:4]
    if element.isalnum() or element in WHITESPACE:
        raise X12SyntaxError(f"garbled ISA: element separator {element!r} is not usable", where)
    separators = [i for i in range(ISA_LENGTH - 1) if isa[i : i + 1] == element]
    if len(separators) < 16 or separators[15] != ISA_LENGTH - 3:
        raise X12SyntaxError("garbled ISA: expected 16 elements of fixed width ending at byte 105", where)
    component, segment = isa[104:105], isa[105:106]
    if segment.isalnum() or segment in (element, component) or segment == b" ":
        raise X12SyntaxError(f"garbled ISA: segment terminator {segment!r} is not usable", where)
    if component.isalnum() or component == element:
        raise X12SyntaxError(f"garbled ISA: component separator {component!r} is not usable", where)
    repetition: bytes | None = isa[82:83]
    if repetition is None or repetition.isalnum() or repetition in (component, element, segment, b" "):
        repetition = None
    return Delimiters(element, component, repetition, segment)


def _before_whitespace(data: bytes | mmap.mmap, index: int, term: int, lo: int) -> int:
    """Return where the last byte before `index` that is not whitespace (a terminator counts) is; lo - 1 if none."""
    back = index - 1
    while back >= lo and data[back] in WHITESPACE and data[back] != term:
        back -= 1
    return back


def terminator_before(data: bytes | mmap.mmap, index: int, term: int, lo: int = 0) -> int | None:
    """Return where the terminator before a segment starting at `index` is (not before `lo`), or None.

    Only whitespace may lie between them; None means data[index] does not start a segment.
    """
    back = _before_whitespace(data, index, term, lo)
    return back if back >= lo and data[back] == term else None


def last_segment(data: bytes, tag: bytes, delimiters: Delimiters, before: int, lo: int) -> int | None:
    """Return where the last `tag` segment starting before `before` (and not before `lo`) starts.

    A segment with only whitespace before it in `data` counts (the buffer starts with it).
    """
    needle, term = tag + delimiters.element, delimiters.segment[0]
    index = before
    while (index := data.rfind(needle, lo, index)) >= 0:
        back = _before_whitespace(data, index, term, 0)
        if back < 0 or data[back] == term:
            return index
    return None


def segment_tag_at(data: bytes, index: int, delimiters: Delimiters) -> str | None:
    """Return the id of the segment that holds data[index], when it can be read."""
    start = data.rfind(delimiters.segment, 0, index) + 1
    while start < index and data[start] in WHITESPACE:
        start += 1
    tag = data[start : data.find(delimiters.element, start, index + 1)]
    return tag.decode("latin-1") if 2 <= len(tag) <= 3 and tag.isalnum() else None
