"""Segments that keep their original bytes; rebuilt only when an element changes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import NamedTuple

from cart837.x12.delimiters import Delimiters

_WS = b" \t\r\n"
_WS_TEXT = _WS.decode("latin-1")


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


def segment_list(data: bytes, delimiters: Delimiters) -> list[Segment]:
    """Return split_segments(data) as a list, made with one decode and one split of the whole block.

    The claim reader's hot path: a claim block is split at C speed, then cut into raw byte
    ranges by the pieces' lengths (latin-1 keeps one character per byte).
    """
    term = delimiters.segment
    if term in _WS:  # a line-break terminator is also whitespace after the one before it
        return list(split_segments(data, delimiters))
    if not data:
        return []
    pieces = data.decode("latin-1").split(term.decode("latin-1"))
    sep = delimiters.element.decode("latin-1")
    if _space_after(term).search(data) is None:
        return _plain_segments(data, pieces, sep, term)
    bodies = [pieces[0], *(piece.lstrip(_WS_TEXT) for piece in pieces[1:])]
    out: list[Segment] = []
    pos = 0
    last = len(bodies) - 1
    for number in range(last):
        body = bodies[number]
        stop = pos + len(body)
        end = stop + 1 + len(pieces[number + 1]) - len(bodies[number + 1])
        out.append(Segment(tuple(body.split(sep)), data[pos:end], data[stop:end]))
        pos = end
    if bodies[last]:  # an unterminated tail; the envelope check reports it
        out.append(Segment(tuple(bodies[last].split(sep)), data[pos:], b""))
    return out


_new_tuple: Callable[[type[Segment], tuple[tuple[str, ...], bytes, bytes]], Segment] = tuple.__new__


@lru_cache(maxsize=16)
def _space_after(term: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(term) + b"[ \t\r\n]")


def _plain_segments(data: bytes, pieces: list[str], sep: str, term: bytes) -> list[Segment]:
    """segment_list when no whitespace follows a terminator (the usual one-line file): no strips."""
    out: list[Segment] = []
    pos = 0
    make = _new_tuple  # Segment(...) without the named tuple's Python-level __new__
    for body in pieces[:-1]:
        end = pos + len(body) + 1
        out.append(make(Segment, (tuple(body.split(sep)), data[pos:end], term)))
        pos = end
    if pieces[-1]:  # an unterminated tail; the envelope check reports it
        out.append(Segment(tuple(pieces[-1].split(sep)), data[pos:], b""))
    return out


def components(value: str, delimiters: Delimiters) -> list[str]:
    """Split a composite element on the component separator."""
    return value.split(delimiters.component.decode("latin-1"))


def join_components(parts: list[str], delimiters: Delimiters) -> str:
    """Join composite parts, dropping trailing empty ones."""
    while len(parts) > 1 and parts[-1] == "":
        parts = parts[:-1]
    return delimiters.component.decode("latin-1").join(parts)
