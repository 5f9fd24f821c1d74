"""Write a FileStream's events back as bytes: untouched bytes as read, changed claims rebuilt.

A changed claim may have more or fewer segments (a removed line): the SE of its transaction is
recounted (DESIGN.md, Lossless X12). Nothing else is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from cart837.claims.model import Claim
from cart837.claims.stream import ClaimBytes, Event, Passthrough, TransactionEnd
from cart837.x12.envelope import recount_se

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
            delta += len(fixed.segments()) - event.data.count(event.delimiters.segment)
            yield fixed.to_bytes()
        elif isinstance(event, TransactionEnd):
            trailer = recount_se(event.raw, event.delimiters, delta)
            if recounted is not None and trailer != event.raw:
                recounted(event, trailer)
            yield trailer
            delta = 0
