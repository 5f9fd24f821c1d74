"""Compare a finding's before/after segment element by element, for people's reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cart837.x12.delimiters import Delimiters
from cart837.x12.segment import segment_list


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of segment text; `changed` marks an element that differs from the other side."""

    text: str
    changed: bool = False


@dataclass(frozen=True, slots=True)
class ElementChange:
    """One element that differs: its X12 name (`SV205`) and both values ("" when absent)."""

    name: str
    before: str
    after: str


def segment_elements(text: str, delimiters: Mapping[str, str | None]) -> tuple[list[str], str]:
    """Return a segment's elements and its terminator ("" when the text has none)."""
    separators = Delimiters(
        element=(delimiters.get("element") or "*").encode("latin-1"),
        component=(delimiters.get("component") or ":").encode("latin-1"),
        repetition=None,
        segment=(delimiters.get("segment") or "~").encode("latin-1"),
    )
    parsed = segment_list(text.encode("latin-1"), separators)  # the package's one splitter
    if not parsed:
        return [""], ""
    return list(parsed[0].elements), parsed[0].suffix.decode("latin-1")


def compare(before: str, after: str | None, delimiters: Mapping[str, str | None]) -> tuple[list[Piece], list[Piece]]:
    """Return both segments as pieces; elements that differ are marked on each side.

    With no `after` (a flag) nothing is marked: the segment is shown as it is.
    """
    old, old_end = segment_elements(before, delimiters)
    if after is None:
        return [Piece(before)], []
    new, new_end = segment_elements(after, delimiters)
    separator = delimiters.get("element") or "*"
    return _pieces(old, new, separator, old_end), _pieces(new, old, separator, new_end)


def _pieces(mine: list[str], other: list[str], separator: str, end: str) -> list[Piece]:
    pieces: list[Piece] = []
    for index, value in enumerate(mine):
        if index:
            pieces.append(Piece(separator))
        changed = index >= len(other) or other[index] != value
        pieces.append(Piece(value, changed and value != ""))
    if end:
        pieces.append(Piece(end))
    return _merged(pieces)


def _merged(pieces: list[Piece]) -> list[Piece]:
    """Join neighbouring pieces of the same kind, so unchanged text is one run."""
    out: list[Piece] = []
    for piece in pieces:
        if out and out[-1].changed == piece.changed and not piece.changed:
            out[-1] = Piece(out[-1].text + piece.text)
        else:
            out.append(piece)
    return out


def changes(before: str | None, after: str | None, delimiters: Mapping[str, str | None]) -> list[ElementChange]:
    """Return the elements that differ, named like `SV205` (nothing for a flag)."""
    if before is None or after is None:
        return []
    old, _ = segment_elements(before, delimiters)
    new, _ = segment_elements(after, delimiters)
    tag = new[0] if new else ""
    out: list[ElementChange] = []
    for index in range(1, max(len(old), len(new))):
        was = old[index] if index < len(old) else ""
        now = new[index] if index < len(new) else ""
        if was != now:
            out.append(ElementChange(f"{tag}{index:02d}", was, now))
    return out
