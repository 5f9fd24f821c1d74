"""Segments that keep their original bytes; rebuilt only when an element changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cart837.x12.delimiters import Delimiters

_WS = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its elements as text and its raw bytes (terminator and suffix included).

    Text is latin-1 decoded so every byte round-trips. `elements[0]` is the segment id.
    """

    elements: tuple[str, ...]
    raw: bytes
    suffix: bytes  # the terminator and whatever followed it (CR, LF, indentation)

    @property
    def tag(self) -> str:
        """Return the segment id, e.g. `SV2`."""
        return self.elements[0]

    def element(self, index: int) -> str:
        """Return element `index` (1-based as in SV203), or "" when absent."""
        return self.elements[index] if index < len(self.elements) else ""

    def with_element(self, index: int, value: str, delimiters: Delimiters) -> Segment:
        """Return a copy with element `index` set, rebuilt with the file's own delimiters."""
        elements = list(self.elements)
        while len(elements) <= index:
            elements.append("")
        elements[index] = value
        while len(elements) > 1 and elements[-1] == "":
            elements.pop()  # X12 drops trailing empty elements
        return build_segment(tuple(elements), delimiters, self.suffix)

    def text(self) -> str:
        """Return the segment without its suffix, for reports (`SV2*0874*HC:38228*100*UN*1~`)."""
        body = self.raw[: len(self.raw) - len(self.suffix)]
        return (body + self.suffix.rstrip(_WS)).decode("latin-1")


def build_segment(elements: tuple[str, ...], delimiters: Delimiters, suffix: bytes) -> Segment:
    """Make a segment from elements, joined with `delimiters`, followed by `suffix`."""
    body = delimiters.element.decode("latin-1").join(elements).encode("latin-1")
    return Segment(elements, body + suffix, suffix)


def split_segments(data: bytes, delimiters: Delimiters) -> Iterator[Segment]:
    """Split bytes that start at a segment into Segments; each keeps its terminator and suffix.

    Whitespace after a terminator (line breaks, indentation) belongs to the segment before it.
    """
    term = delimiters.segment
    sep = delimiters.element.decode("latin-1")
    pos, end = 0, len(data)
    while pos < end:
        stop = data.find(term, pos)
        if stop < 0:
            stop = end  # an unterminated tail; the envelope check reports it
            after = end
        else:
            after = stop + 1
            while after < end and data[after] in _WS:
                after += 1
        body = data[pos:stop].decode("latin-1")
        yield Segment(tuple(body.split(sep)), data[pos:after], data[stop:after])
        pos = after


def components(value: str, delimiters: Delimiters) -> list[str]:
    """Split a composite element on the component separator."""
    return value.split(delimiters.component.decode("latin-1"))


def join_components(parts: list[str], delimiters: Delimiters) -> str:
    """Join composite parts, dropping trailing empty ones."""
    while len(parts) > 1 and parts[-1] == "":
        parts = parts[:-1]
    return delimiters.component.decode("latin-1").join(parts)
