"""Which claims of a buffered chunk a rule wants, and the subscriber and patient blocks they sit under.

FileStream's byte searches for claims (claims/stream.py): pass 1 takes the claims whose bytes hold a
code of interest or whose subscriber has CAR-T lines in the run; pass 2 takes pass 1's candidates.
A claim's 2000B/2000C blocks are found by looking back for HL segments, carried across chunk cuts.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

from cart837.claims.events import Interest
from cart837.claims.fields import HL_LEVEL
from cart837.claims.patterns import Patterns
from cart837.claims.scan_record import ScanRecord, changed_error
from cart837.x12.delimiters import Delimiters, last_segment, terminator_before


class ClaimFinder:
    """The claim searches of FileStream (a base class: the stream's buffer and state are its own)."""

    __slots__ = ()
    # FileStream's fields these searches read
    buf: bytes
    base: int
    pos: int
    file: str
    interest: Interest
    known: ScanRecord | None
    delimiters: list[Delimiters]
    carried_context: tuple[bytes | None, bytes | None]

    def _wanted_claims(self, lo: int, hi: int, delimiters: Delimiters, patterns: Patterns) -> set[int]:
        wanted: set[int] = set()
        term = delimiters.segment
        if self.known is not None:
            wanted.update(self._known_candidates(hi, delimiters))
        elif patterns.hits is not None:
            for hit in patterns.hits.finditer(self.buf, lo, hi):
                start = last_segment(self.buf, b"CLM", delimiters, hit.start(), self.pos)
                if start is not None:
                    wanted.add(start)
        if patterns.subscriber is not None:
            # A subscriber's claims may run on past the previous cut: its 2000B block is carried over.
            carried = self.carried_context[0]
            if carried is not None and self._member_of_interest(patterns.subscriber.search(carried)):
                wanted.update(self._claims_of_subscriber(lo, hi, patterns, term))
            assert patterns.subscriber_anywhere is not None
            members = patterns.members
            for sub in patterns.subscriber_anywhere.finditer(self.buf, lo, hi):
                if (
                    sub.group(1) in members if members is not None else self._member_of_interest(sub)
                ) and terminator_before(self.buf, sub.start(), term[0], lo) is not None:
                    wanted.update(self._claims_of_subscriber(sub.end(), hi, patterns, term))
        return wanted

    def _known_candidates(self, hi: int, delimiters: Delimiters) -> Iterator[int]:
        """Yield the candidate claims pass 1 found from pos to buf[hi] (checked to start with CLM)."""
        assert self.known is not None
        offsets, needle = self.known.candidates, b"CLM" + delimiters.element
        for at in range(bisect_left(offsets, self.base + self.pos), len(offsets)):
            start = offsets[at] - self.base
            if start >= hi:
                return
            if not self.buf.startswith(needle, start):
                raise changed_error(self.file)
            yield start

    def _member_of_interest(self, nm1: re.Match[bytes] | None) -> bool:
        return nm1 is not None and nm1.group(1).decode("latin-1") in self.interest.member_ids

    def _claims_of_subscriber(self, index: int, hi: int, patterns: Patterns, term: bytes) -> list[int]:
        """Return the CLM starts from `index` to the next subscriber (HL 20/22) or envelope."""
        starts: list[int] = []
        for m in patterns.boundary.finditer(self.buf, index, hi):
            tag = m.group(1)
            if tag == b"CLM":
                starts.append(m.start(1))
            elif tag == b"HL":
                level = self._hl_level(m.start(1), term)
                if level in (b"20", b"22"):
                    break
            else:
                break
        return starts

    def _hl_level(self, index: int, term: bytes) -> bytes:
        stop = self.buf.find(term, index)
        parts = self.buf[index:stop].split(self._sep)
        return parts[HL_LEVEL] if len(parts) > HL_LEVEL else b""

    @property
    def _sep(self) -> bytes:
        return self.delimiters[-1].element

    def _next_boundary(self, index: int, cut: int, patterns: Patterns) -> int:
        found = patterns.boundary.search(self.buf, index, cut)
        return found.start(1) if found is not None else cut

    def _context(self, before: int, delimiters: Delimiters, patterns: Patterns) -> tuple[bytes | None, bytes | None]:
        """Return the 2000B and 2000C blocks that govern a claim starting at `before`."""
        patient: bytes | None = None
        index = before
        while True:
            hl = last_segment(self.buf, b"HL", delimiters, index, 0)
            if hl is None:
                sub, carried_patient = self.carried_context
                return sub, patient if patient is not None else carried_patient
            level = self._hl_level(hl, delimiters.segment)
            block = self.buf[hl : self._next_boundary(hl + 2, len(self.buf), patterns)]
            if level == b"23" and patient is None:
                patient = block
            elif level == b"22":
                return block, patient
            elif level != b"23":
                return None, patient
            index = hl
