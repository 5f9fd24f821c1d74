"""Segments that keep their original bytes; rebuilt only when an element changes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from cart837.x12.delimiters import Delimiters

_WS = b" \t\r\n"


class Segment(NamedTuple):
    """One segment: its elements as text and its raw bytes (terminator and suffix included).

    Text is latin-1 decoded so every byte round-trips. `elements[0]` is the segment id.
    Immutable; a named tuple, not a frozen dataclass: a built claim makes ~25 of them and a
    tuple is made ~3x faster (issue 14).
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


def split_bodies(data: bytes, delimiters: Delimiters) -> tuple[list[str], list[int]]:
    """Return each segment's text without its terminator, and where its raw bytes end.

    The package's one segment splitter: segment_list, split_segments and the claim reader's
    element lists are made from it. A segment's raw bytes run from the previous end to its own:
    its terminator and the whitespace after it (line breaks, indentation) belong to it. An
    unterminated tail is a last segment ending at len(data); the envelope check reports it.
    Text is latin-1, one character per byte, so text positions are byte positions.
    """
    if not data:
        return [], []
    term = delimiters.segment
    text = data.decode("latin-1")
    if term not in _WS and _space_after(term).search(data) is None:
        # the usual file: nothing between a terminator and the next segment, one split at C speed
        bodies = text.split(term.decode("latin-1"))
        if not bodies[-1]:
            bodies.pop()  # nothing after the last terminator
        ends = list(accumulate(len(body) + 1 for body in bodies))
        if ends[-1] > len(data):
            ends[-1] = len(data)  # the unterminated tail
        return bodies, ends
    bodies, ends = [], []
    pos, size = 0, len(data)
    while pos < size:  # a line-break terminator is also whitespace after the one before it
        stop = data.find(term, pos)
        if stop < 0:
            stop = after = size
        else:
            after = stop + 1
            while after < size and data[after] in _WS:
                after += 1
        bodies.append(text[pos:stop])
        ends.append(after)
        pos = after
    return bodies, ends


def segment_texts(data: bytes, delimiters: Delimiters) -> list[str]:
    """Return split_bodies(data)[0]: each segment's text without its terminator (no ends computed)."""
    term = delimiters.segment
    if data and term not in _WS and _space_after(term).search(data) is None:
        bodies = data.decode("latin-1").split(term.decode("latin-1"))
        if not bodies[-1]:
            bodies.pop()
        return bodies
    return split_bodies(data, delimiters)[0]


def segment_list(data: bytes, delimiters: Delimiters) -> list[Segment]:
    """Split bytes that start at a segment into Segments; each keeps its terminator and suffix."""
    bodies, ends = split_bodies(data, delimiters)
    sep = delimiters.element.decode("latin-1")
    out: list[Segment] = []
    start = 0
    make = _new_tuple  # Segment(...) without the named tuple's Python-level __new__ (~3x faster)
    for body, end in zip(bodies, ends, strict=True):
        stop = start + len(body)
        out.append(make(Segment, (tuple(body.split(sep)), data[start:end], data[stop:end])))
        start = end
    return out


def split_segments(data: bytes, delimiters: Delimiters) -> Iterator[Segment]:
    """Iterate over segment_list(data): for a few segments (an SE, a test's block)."""
    return iter(segment_list(data, delimiters))


_new_tuple: Callable[[type[Segment], tuple[tuple[str, ...], bytes, bytes]], Segment] = tuple.__new__


@lru_cache(maxsize=16)
def _space_after(term: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(term) + b"[ \t\r\n]")


def components(value: str, delimiters: Delimiters) -> list[str]:
    """Split a composite element on the component separator."""
    return value.split(delimiters.component.decode("latin-1"))


def join_components(parts: list[str], delimiters: Delimiters) -> str:
    """Join composite parts, dropping trailing empty ones."""
    while len(parts) > 1 and parts[-1] == "":
        parts = parts[:-1]
    return delimiters.component.decode("latin-1").join(parts)
