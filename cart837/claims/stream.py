"""Stream an 837I file in chunks: pass-through bytes, claim blocks that need a look, SEs.

Most claims never become objects. Regex scans over a chunk find the envelope segments and the
claims whose bytes hold a code someone asked about (or whose subscriber is a patient someone
asked about); everything else is handed on as its original bytes (DESIGN.md, Scale).
Envelope order, counts and control numbers are checked on the way.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from cart837.claims.claim_finder import ClaimFinder
from cart837.claims.events import ClaimBytes, Event, Interest, Passthrough, Readable, Resume, TransactionEnd
from cart837.claims.patterns import Patterns, banned_bytes, first_control_byte, scan_patterns
from cart837.claims.scan_record import Recorder, ScanRecord, changed_error
from cart837.errors import Location, UnsupportedTransactionError, X12SyntaxError
from cart837.x12.delimiters import BOM, ISA_LENGTH, WHITESPACE, Delimiters, read_isa, segment_tag_at
from cart837.x12.envelope import EnvelopeChecker

# The events and patterns live in their own modules; callers import them from here too.
__all__ = [
    "CHUNK_SIZE",
    "ClaimBytes",
    "Event",
    "FileStream",
    "Interest",
    "Passthrough",
    "Readable",
    "Resume",
    "TransactionEnd",
    "banned_bytes",
]

CHUNK_SIZE = 8 << 20
_ENVELOPE_TAGS = frozenset({b"ISA", b"IEA", b"GS", b"GE", b"ST", b"SE"})


@dataclass(slots=True)
class FileStream(ClaimFinder):
    """Iterate over one file's events; afterwards `claims`, `delimiters` and `versions` hold what was seen."""

    source: Readable
    file: str
    interest: Interest = field(default_factory=Interest)
    passthrough: bool = True
    chunk_size: int = CHUNK_SIZE
    count_claims: bool = True  # a regex over every byte: only when someone reads `claims`
    recorder: Recorder | None = None  # pass 1: note what pass 2 needs (claims/scan_record.py)
    known: ScanRecord | None = None  # pass 2: pass 1's record of this file, which it checks the bytes against
    claims: int = 0
    delimiters: list[Delimiters] = field(default_factory=list)
    buf: bytes = b""
    base: int = 0  # file offset of buf[0]
    pos: int = 0
    eof: bool = False
    counted: int = 0  # segment terminators in the file before base + counted_pos
    counted_pos: int = 0
    carried_context: tuple[bytes | None, bytes | None] = (None, None)
    resume: Resume | None = None  # a part of a file, not the whole (cart837.split)
    checker: EnvelopeChecker = field(init=False)
    _digest: hashlib._Hash | None = field(init=False, default=None)  # what was read, with `known` or a recorder

    def __post_init__(self) -> None:
        self.checker = EnvelopeChecker(self.file)
        if (self.recorder is not None or self.known is not None) and self.resume is not None:
            raise ValueError("a scan record is of a whole file, not of a part")
        if self.recorder is not None:
            self._digest = self.recorder.digest
        elif self.known is not None:
            self._digest = hashlib.sha256()
        if self.resume is not None:
            self.base, self.counted = self.resume.offset - self.resume.lead, self.resume.segments_before
            if self.resume.checker is not None:
                self.checker = self.resume.checker

    def segments_read(self) -> int:
        """Return the segment terminators in the file up to the end of what was read (after events())."""
        if not self.delimiters:
            return self.counted
        return self._ordinal(len(self.buf), self.delimiters[-1].segment) - 1

    @property
    def versions(self) -> set[str]:
        """Return the GS08/ST03 labels of the transactions read."""
        return self.checker.versions

    def events(self) -> Iterator[Event]:
        """Yield pass-through bytes, claim blocks of interest and SE segments, in file order."""
        if self.resume is not None and self.resume.delimiters is not None:
            # a part that starts at an ST inside an open interchange: go on from there
            delimiters = self.resume.delimiters
            self.delimiters.append(delimiters)
            self._fill(self.resume.lead)
            self.pos = self.resume.lead
            self.counted -= self.buf.count(delimiters.segment, 0, self.pos)
            if not (yield from self._interchange_body(delimiters, scan_patterns(delimiters, self.interest))):
                return
            pending = self._trailing_whitespace()
        else:
            self._fill(len(BOM))
            start = len(BOM) if self.buf.startswith(BOM) else 0
            start = self._skip_ws(start)
            if start >= len(self.buf):
                raise X12SyntaxError("empty input: no X12 data", Location(self.file, start, 1, None))
            self._fill(start + 3)
            if self.buf[start : start + 3] != b"ISA":
                raise X12SyntaxError(
                    "no ISA: the file does not start with an ISA segment", Location(self.file, start, 1, None)
                )
            pending = self.buf[:start]
            self.pos = start
        while self.pos < len(self.buf) or not self.eof:
            delimiters = self._open_interchange()
            patterns = scan_patterns(delimiters, self.interest)
            if self.passthrough and pending:
                yield Passthrough(pending)
            if not (yield from self._interchange(delimiters, patterns)):
                return  # a part that ends inside this interchange
            pending = self._trailing_whitespace()
        if self.passthrough and pending:
            yield Passthrough(pending)
        self._finish()

    def _finish(self) -> None:
        if self.known is not None:
            assert self._digest is not None
            if self._digest.hexdigest() != self.known.sha256:
                raise changed_error(self.file)
            self.claims = self.known.claims
        elif self.recorder is not None:
            self.recorder.finish(self.claims)

    # -- reading ---------------------------------------------------------------------------

    def _read(self) -> bool:
        if self.eof:
            return False
        more = self.source.read(self.chunk_size)
        if not more:
            self.eof = True
            return False
        if self._digest is not None:
            self._digest.update(more)
        self.buf += more
        return True

    def _fill(self, size: int) -> None:
        """Read until the buffer holds `size` bytes or the input ends (reads may come back short)."""
        while len(self.buf) < size and self._read():
            pass

    def _skip_ws(self, index: int) -> int:
        while True:
            while index < len(self.buf) and self.buf[index] in WHITESPACE:
                index += 1
            if index < len(self.buf) or not self._read():
                return index

    def _ordinal(self, index: int, term: bytes) -> int:
        """Return the 1-based file-wide number of the segment that starts at buf[index]."""
        if self.known is not None and index > self.counted_pos:
            self._count_from_known(index)
        if index < self.counted_pos:
            return self.counted - self.buf.count(term, index, self.counted_pos) + 1
        self.counted += self.buf.count(term, self.counted_pos, index)
        self.counted_pos = index
        return self.counted + 1

    def _count_from_known(self, index: int) -> None:
        """Move the count to the last segment pass 1 numbered at or before buf[index], if later than it."""
        assert self.known is not None
        at, last, number = self.base + index, -1, 0
        for offsets, ordinals in (
            (self.known.envelope, self.known.envelope_ordinals),
            (self.known.candidates, self.known.candidate_ordinals),
        ):
            found = bisect_right(offsets, at) - 1
            if found >= 0 and offsets[found] > last:
                last, number = offsets[found], ordinals[found]
        if last - self.base > self.counted_pos:
            self.counted, self.counted_pos = number - 1, last - self.base

    def _drop_processed(self, term: bytes) -> None:
        """Forget bytes before the current position, keeping the terminator that precedes it."""
        keep = self.buf.rfind(term, 0, self.pos)
        if keep <= 0:
            return
        self._ordinal(keep, term)
        self.buf = self.buf[keep:]
        self.base += keep
        self.pos -= keep
        self.counted_pos -= keep

    def _loc(self, index: int, tag: str | None, term: bytes) -> Location:
        return Location(self.file, self.base + index, self._ordinal(index, term), tag)

    # -- interchanges ----------------------------------------------------------------------

    def _open_interchange(self) -> Delimiters:
        self._fill(self.pos + ISA_LENGTH + 1)
        ordinal = self._ordinal(self.pos, self.delimiters[-1].segment) if self.delimiters else self.counted + 1
        delimiters = read_isa(self.buf, self.pos, self.file, ordinal)
        self.delimiters.append(delimiters)
        return delimiters

    def _trailing_whitespace(self) -> bytes:
        """After an IEA: return whitespace up to the next ISA (or the end); refuse anything else."""
        start = self.pos
        self.pos = self._skip_ws(self.pos)
        if self.pos < len(self.buf) and self.buf[self.pos : self.pos + 3] != b"ISA":
            raise X12SyntaxError(
                "data after IEA is not another interchange (expected ISA)",
                self._loc(self.pos, None, self.delimiters[-1].segment),
            )
        return self.buf[start : self.pos]

    def _interchange(self, delimiters: Delimiters, patterns: Patterns) -> Generator[Event, None, bool]:
        """Read one interchange from its ISA; return False when the input (a part) ends inside it."""
        term = delimiters.segment
        self._ordinal(self.pos, term)
        isa_end = self.pos + ISA_LENGTH
        isa_elements = self.buf[self.pos : isa_end - 1].decode("latin-1").split(delimiters.element.decode("latin-1"))
        self.checker.isa(isa_elements, self.base + self.pos, self._ordinal(self.pos, term))
        region_start = isa_end
        while region_start < len(self.buf) and self.buf[region_start] in WHITESPACE:
            region_start += 1
        if self.passthrough:
            yield Passthrough(self.buf[self.pos : region_start])
        self.pos = region_start
        return (yield from self._interchange_body(delimiters, patterns))

    def _interchange_body(self, delimiters: Delimiters, patterns: Patterns) -> Generator[Event, None, bool]:
        term = delimiters.segment
        while True:
            cut = self._cut(patterns)
            closed = yield from self._region(cut, delimiters, patterns)
            if closed:
                return True
            if self.eof and self.pos >= len(self.buf):
                if self.resume is not None and not self.resume.last:
                    return False  # a part ends at an ST: the next part goes on
                self.checker.finish(self.base + self.pos, self._ordinal(self.pos, term))
                raise X12SyntaxError(  # finish() raises first; this guards a closed-but-unterminated file
                    "input ends without IEA", self._loc(self.pos, None, term)
                )
            self._context_at_cut(delimiters, patterns)
            self._drop_processed(term)

    def _cut(self, patterns: Patterns) -> int:
        """Return where this round stops: the start of the last envelope/HL/CLM segment read."""
        while True:
            if self.eof:
                return len(self.buf)
            window = 1 << 16
            while True:
                lo = max(self.pos, len(self.buf) - window)
                last = None
                for found in patterns.boundary.finditer(self.buf, lo):
                    last = found
                if last is not None and last.start(1) > self.pos:
                    return last.start(1)
                if lo == self.pos:
                    break
                window *= 8
            self._read()

    # -- one region of complete segments ------------------------------------------------------

    def _region(self, cut: int, delimiters: Delimiters, patterns: Patterns) -> Generator[Event, None, bool]:
        buf, term = self.buf, delimiters.segment
        scan_from = buf.rfind(term, 0, self.pos)
        scan_from = max(scan_from, 0)
        marks: list[tuple[int, str]] = []
        professional = None  # the first SV1 (837P) segment: the envelope scan finds those too
        for start, tag in self._envelope_marks(scan_from, cut, delimiters, patterns):
            if tag == "SV1":
                professional = start if professional is None else professional
                continue
            marks.append((start, tag))
            if tag == "IEA":
                # What follows the IEA is another interchange with its own delimiters: look no further.
                cut = self._segment_end(start, cut, term)
                break
        if self.known is None:  # else pass 1 refused it, and the bytes are checked to be the same
            self._refuse_bad_content(cut, delimiters, patterns, professional)
        wanted = self._wanted_claims(scan_from, cut, delimiters, patterns)
        marks.extend((start, "CLM") for start in wanted)
        marks.sort()
        cursor = self.pos
        for index, tag in marks:
            if index < cursor:
                continue
            if self.passthrough and index > cursor:
                yield Passthrough(buf[cursor:index])
            if tag == "CLM":
                end = self._next_boundary(index, cut, patterns)
                if end == len(buf) and self.eof:
                    self._refuse_unterminated(index, end, term)
                yield self._claim(index, end, delimiters, patterns)
                cursor = end
                continue
            end = self._segment_end(index, cut, term)
            elements = buf[index : buf.find(term, index)].decode("latin-1").split(delimiters.element.decode("latin-1"))
            self._envelope(tag, elements, index, term)
            if tag == "SE":
                yield TransactionEnd(buf[index:end], delimiters, self._ordinal(index, term))
            elif self.passthrough:
                yield Passthrough(buf[index:end])
            cursor = end
            if tag == "IEA":
                self._count_claims(scan_from, index, patterns)
                self.pos = end
                return True
        if self.passthrough and cut > cursor:
            yield Passthrough(buf[cursor:cut])
        self._count_claims(scan_from, cut, patterns)
        self.pos = cut
        return False

    def _count_claims(self, lo: int, hi: int, patterns: Patterns) -> None:
        if self.count_claims and self.known is None:
            self.claims += len(patterns.claim.findall(self.buf, lo, hi))

    def _envelope_marks(
        self, lo: int, hi: int, delimiters: Delimiters, patterns: Patterns
    ) -> Iterator[tuple[int, str]]:
        """Yield where each envelope (and SV1) segment from buf[lo] to buf[hi] starts, and its tag."""
        if self.known is None:
            for m in patterns.envelope.finditer(self.buf, lo, hi):
                yield m.start(1), m.group(1).decode()
            return
        offsets = self.known.envelope
        sep = delimiters.element
        for at in range(bisect_left(offsets, self.base + lo), len(offsets)):
            start = offsets[at] - self.base
            if start >= hi:
                return
            tag = self.buf[start : self.buf.find(sep, start, start + 4)]
            if tag not in _ENVELOPE_TAGS:
                raise changed_error(self.file)
            yield start, tag.decode()

    def _segment_end(self, index: int, cut: int, term: bytes) -> int:
        stop = self.buf.find(term, index)
        if stop < 0:
            raise X12SyntaxError("segment has no terminator (input truncated?)", self._loc(index, None, term))
        end = stop + 1
        while end < len(self.buf) and self.buf[end] in WHITESPACE:
            end += 1
        return end

    def _refuse_unterminated(self, start: int, end: int, term: bytes) -> None:
        """A claim that runs to the end of the input must end with a terminator (else: truncated)."""
        tail = self.buf.rfind(term, start, end) + 1 or start
        while tail < end and self.buf[tail] in WHITESPACE:
            tail += 1
        if tail < end:
            raise X12SyntaxError("segment has no terminator (input truncated?)", self._loc(tail, None, term))

    def _envelope(self, tag: str, elements: list[str], index: int, term: bytes) -> None:
        offset, ordinal = self.base + index, self._ordinal(index, term)
        if self.recorder is not None:
            self.recorder.record.envelope.append(offset)
            self.recorder.record.envelope_ordinals.append(ordinal)
        if tag == "ST":
            self.checker.st(elements, offset, ordinal)
            self.carried_context = (None, None)
        elif tag == "SE":
            self.checker.se(elements, offset, ordinal)
        elif tag == "GS":
            self.checker.gs(elements, offset, ordinal)
        elif tag == "GE":
            self.checker.ge(elements, offset, ordinal)
        elif tag == "IEA":
            self.checker.iea(elements, offset, ordinal)
        else:
            self.checker.isa(elements, offset, ordinal)

    def _refuse_bad_content(self, hi: int, delimiters: Delimiters, patterns: Patterns, sv1: int | None) -> None:
        term = delimiters.segment
        binary = first_control_byte(self.buf, self.pos, hi, patterns)
        if binary is not None:
            at = binary.start()
            raise X12SyntaxError(
                f"binary data: control byte 0x{binary.group()[0]:02x} in the segment data",
                self._loc(at, segment_tag_at(self.buf, at, delimiters), term),
            )
        if sv1 is not None:
            raise UnsupportedTransactionError(
                "not a 5010 837I: 837P (professional) content, SV1 service lines",
                self._loc(sv1, "SV1", term),
            )

    def _context_at_cut(self, delimiters: Delimiters, patterns: Patterns) -> None:
        self.carried_context = self._context(self.pos, delimiters, patterns)

    def _claim(self, start: int, end: int, delimiters: Delimiters, patterns: Patterns) -> ClaimBytes:
        subscriber, patient = self._context(start, delimiters, patterns)
        segment_index = self._ordinal(start, delimiters.segment)
        if self.recorder is not None:
            self.recorder.record.candidates.append(self.base + start)
            self.recorder.record.candidate_ordinals.append(segment_index)
        return ClaimBytes(
            data=self.buf[start:end],
            subscriber=subscriber,
            patient=patient,
            delimiters=delimiters,
            offset=self.base + start,
            segment_index=segment_index,
            interchange=self.checker.interchange or "",
            transaction=self.checker.transaction or "",
            group=self.checker.group or "",
            transaction_start=self.checker.transaction_start,
        )
