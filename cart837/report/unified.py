"""`cart837 diff`: a unified diff of what fix would change, one segment per line.

Line numbers count segments over the whole file (as if each segment were on its own line),
so a hunk header points at the segment the same way error messages do. Each hunk stays
inside one claim (or one SE trailer) and names it after the `@@`, like git's function context.
"""

from __future__ import annotations

from collections.abc import Iterator
from difflib import SequenceMatcher

from cart837.results import ClaimChange, FileResult

CONTEXT = 3


def header_paths(path: str) -> tuple[str, str]:
    """Return the `---`/`+++` names for a path, git style (`a/PATH`, `b/PATH`)."""
    name = path.lstrip("/") if path.startswith("/") else path
    return f"a/{name}", f"b/{name}"


def file_diff(result: FileResult) -> Iterator[str]:
    """Yield the diff lines of one file (nothing when no claim changed)."""
    if not result.changes:
        return
    old_name, new_name = header_paths(result.path)
    yield f"--- {old_name}"
    yield f"+++ {new_name}"
    shift = 0  # segments added (+) or removed (-) by earlier changes in this file
    for change in sorted(result.changes, key=lambda c: c.segment_index):
        yield from _hunks(change, shift)
        shift += len(change.after) - len(change.before)


def context_of(change: ClaimChange) -> str:
    """Return what a hunk is about: the claim id, or the transaction trailer."""
    return f"claim {change.claim}" if change.claim else "SE trailer (segment count)"


Opcode = tuple[str, int, int, int, int]


def _balanced(group: list[Opcode]) -> list[Opcode]:
    """Trim a hunk's context to the same length on both sides.

    A hunk only holds its claim's segments (the ones around it carry the patient's name), and
    `patch` reads a hunk with less context on one side as touching the start or end of the file.
    """
    first, last = group[0], group[-1]
    lead = first[2] - first[1] if first[0] == "equal" else 0
    trail = last[2] - last[1] if last[0] == "equal" else 0
    keep = min(lead, trail)
    if lead > keep:
        group[0] = ("equal", first[2] - keep, first[2], first[4] - keep, first[4])
    if trail > keep:
        last = group[-1]
        group[-1] = ("equal", last[1], last[1] + keep, last[3], last[3] + keep)
    return [op for op in group if op[0] != "equal" or op[2] > op[1]]


class _Aligned(SequenceMatcher[str]):
    """A SequenceMatcher that groups opcodes it is given (difflib's hunk grouping, our alignment)."""

    def __init__(self, opcodes: list[Opcode]) -> None:
        super().__init__(None, [], [], autojunk=False)
        self._given = opcodes

    def get_opcodes(self) -> list[Opcode]:  # type: ignore[override]
        return self._given


def aligned_opcodes(change: ClaimChange) -> list[Opcode]:
    """Return opcodes that pair each kept line with itself and a removed line with nothing.

    Matching the segment texts alone pairs a collapse's removed LX loop with the next line
    (their LX numbers are equal once renumbered); so the removed loops are taken out first, the
    rest pairs segment by segment (edits change segments in place), and the removed loops come
    back as pure deletions.
    """
    gone = {i for start, end in change.removed for i in range(start, end)}
    kept = [i for i in range(len(change.before)) if i not in gone]
    steps: list[tuple[str, int | None, int | None]] = []  # (tag, before index, after index), in order
    if len(kept) == len(change.after):  # edits change segments in place: the kept ones pair by position
        for j, i in enumerate(kept):
            if change.before[i] == change.after[j]:
                steps.append(("equal", i, j))
            else:
                steps.extend((("delete", i, None), ("insert", None, j)))
    else:
        matcher = SequenceMatcher(None, [change.before[i] for i in kept], change.after, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                steps.extend(("equal", kept[i1 + k], j1 + k) for k in range(i2 - i1))
            else:
                steps.extend(("delete", kept[i], None) for i in range(i1, i2))
                steps.extend(("insert", None, j) for j in range(j1, j2))
    for index in sorted(gone):
        at = next((n for n, step in enumerate(steps) if step[1] is not None and step[1] > index), len(steps))
        steps.insert(at, ("removed", index, None))
    opcodes: list[Opcode] = []
    i = j = 0
    for kind, before, after in steps:
        name = {"equal": "equal", "removed": "delete"}.get(kind, "replace")  # a removed loop stands alone
        di, dj = (1 if before is not None else 0), (1 if after is not None else 0)
        if opcodes and opcodes[-1][0] == name:
            last = opcodes[-1]
            opcodes[-1] = (name, last[1], last[2] + di, last[3], last[4] + dj)
        else:
            opcodes.append((name, i, i + di, j, j + dj))
        i, j = i + di, j + dj
    return opcodes


def _hunks(change: ClaimChange, shift: int) -> Iterator[str]:
    matcher = (
        _Aligned(aligned_opcodes(change))
        if change.removed
        else SequenceMatcher(None, change.before, change.after, autojunk=False)
    )
    for grouped in matcher.get_grouped_opcodes(CONTEXT):
        group = _balanced(list(grouped))
        first, last = group[0], group[-1]
        old = _range(change.segment_index + first[1], last[2] - first[1])
        new = _range(change.segment_index + shift + first[3], last[4] - first[3])
        yield f"@@ -{old} +{new} @@ {context_of(change)}"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + text for text in change.before[i1:i2])
                continue
            yield from ("-" + text for text in change.before[i1:i2])
            yield from ("+" + text for text in change.after[j1:j2])


def _range(start: int, count: int) -> str:
    """Format a hunk range as unified diff does (an empty range names the line before it)."""
    if count == 1:
        return str(start)
    if count == 0:
        return f"{start - 1},0"
    return f"{start},{count}"
