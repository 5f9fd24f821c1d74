"""Write a FileStream's events back as bytes: untouched bytes as read, changed claims rebuilt.

A changed claim may have more or fewer segments (a removed line): the SE of its transaction is
recounted (DESIGN.md, Lossless X12). Nothing else is rebuilt.

Like black's assert_stable, output is re-read before it is trusted, but only where it differs
from the input (issue 14): every other byte is a slice of the input that the stream has just
checked. A changed claim's bytes are split again and must give back the segments they were
written from (so no value holds a delimiter), with no control byte and no envelope or SV1
segment; the SE recount uses the terminators counted in those bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from cart837.claims.model import Claim
from cart837.claims.stream import ClaimBytes, Event, Passthrough, TransactionEnd, banned_bytes
from cart837.errors import InvariantError
from cart837.x12.envelope import recount_se
from cart837.x12.segment import segment_list

_NOT_IN_A_CLAIM = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "HL", "CLM", "SV1"})  # CLM: only first

Fixer = Callable[[ClaimBytes], Claim | None]  # the changed claim, or None to keep the block's bytes
Recounted = Callable[[TransactionEnd, bytes], None]  # told the new SE bytes when SE01 moved


def write_events(events: Iterable[Event], fix: Fixer, recounted: Recounted | None = None) -> Iterator[bytes]:
    """Yield the output bytes for `events`, asking `fix` about every claim block."""
    delta = 0  # segments added (+) or removed (-) in the open transaction
    for event in events:
        if isinstance(event, Passthrough):
            yield event.data
        elif isinstance(event, ClaimBytes):
            fixed = fix(event)
            if fixed is None:
                yield event.data
                continue
            written = fixed.to_bytes()
            delta += recheck_claim(event, fixed, written)
            yield written
        elif isinstance(event, TransactionEnd):
            trailer = recount_se(event.raw, event.delimiters, delta)
            if recounted is not None and trailer != event.raw:
                recounted(event, trailer)
            yield trailer
            delta = 0


def recheck_claim(block: ClaimBytes, fixed: Claim, written: bytes) -> int:
    """Re-read a changed claim's output bytes; return the segments it gained (+) or lost (-).

    Raises InvariantError (a bug: the file fails, nothing is written) when the bytes do not
    read back as the claim's segments.
    """
    delimiters = block.delimiters
    reread = segment_list(written, delimiters)
    problem = None
    if not reread or [s.elements for s in reread] != [s.elements for s in fixed.segments()] or not reread[-1].suffix:
        problem = "its bytes do not read back as its segments (a value holds a delimiter?)"
    elif reread[0].elements[0] != "CLM" or any(s.elements[0] in _NOT_IN_A_CLAIM for s in reread[1:]):
        problem = "it holds an envelope, HL, CLM or SV1 segment"
    elif len(written.translate(None, banned_bytes(delimiters))) < len(written):
        problem = "it holds a control byte"
    if problem:
        raise InvariantError(f"output failed its own check: claim {fixed.id}: {problem}", fixed.location)
    return len(reread) - block.data.count(delimiters.segment)
