"""Split a produced 837I into the outbound file and the held one (`fix --hold DIR`, issue 12).

Held claims (named by the byte offset of their CLM in the produced file) go to a second, separate 837I with the same
envelopes; the others stay in the outbound file. Each claim's 2300/2400 bytes move unchanged;
each file gets the header of every transaction it has claims of and the HL loops above them
(2000A/2000B/2000C), HL ids renumbered in each file (HL01 from 1, HL02 the new parent id). SE01,
GE01 and IEA01 are recounted; a transaction, group or interchange left with no claim is left
out of that file. HL04 (child code) is kept as read. Segments come from the package's one
reader (x12.segment_stream, each interchange with its own delimiters); memory holds one chunk,
one transaction's header and HL blocks, never a whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from cart837.claims.fields import HL_ID, HL_PARENT
from cart837.x12.delimiters import Delimiters
from cart837.x12.envelope import TRAILER_COUNT
from cart837.x12.segment import Segment
from cart837.x12.segment_stream import CHUNK_SIZE, SegmentStream


@dataclass(slots=True)
class _Block:
    """An HL segment and the segments of its loop up to the next HL or CLM."""

    hl: Segment
    rest: list[bytes] = field(default_factory=list)

    @property
    def hl_id(self) -> str:
        return self.hl.element(HL_ID)

    @property
    def parent(self) -> str:
        return self.hl.element(HL_PARENT)


@dataclass(slots=True)
class _Sink:
    """One output file being written, with its own counts and HL numbering."""

    out: BinaryIO
    isa: bytes = b""
    gs: bytes = b""
    header: list[bytes] = field(default_factory=list)
    isa_done: bool = False
    gs_done: bool = False
    st_done: bool = False
    groups: int = 0
    transactions: int = 0
    segments: int = 0
    claims: int = 0
    hl_ids: dict[str, str] = field(default_factory=dict)

    def emit_claim(self, chain: list[_Block], claim: list[bytes], delimiters: Delimiters) -> None:
        if not self.isa_done:
            self.out.write(self.isa)
            self.isa_done, self.groups = True, 0
        if not self.gs_done:
            self.out.write(self.gs)
            self.gs_done, self.transactions = True, 0
            self.groups += 1
        if not self.st_done:
            self.out.write(b"".join(self.header))
            self.st_done, self.segments, self.hl_ids = True, len(self.header), {}
            self.transactions += 1
        for block in chain:
            if block.hl_id in self.hl_ids:
                continue
            new_id = self.hl_ids[block.hl_id] = str(len(self.hl_ids) + 1)
            hl = block.hl.with_element(HL_ID, new_id, delimiters)
            self.out.write(hl.with_element(HL_PARENT, self.hl_ids.get(block.parent, ""), delimiters).raw)
            self.out.write(b"".join(block.rest))
            self.segments += 1 + len(block.rest)
        self.out.write(b"".join(claim))
        self.segments += len(claim)
        self.claims += 1

    def end_transaction(self, se: Segment, delimiters: Delimiters) -> None:
        if self.st_done:
            self.out.write(se.with_element(TRAILER_COUNT, str(self.segments + 1), delimiters).raw)
        self.st_done = False

    def end_group(self, ge: Segment, delimiters: Delimiters) -> None:
        if self.gs_done:
            self.out.write(ge.with_element(TRAILER_COUNT, str(self.transactions), delimiters).raw)
        self.gs_done = False

    def end_interchange(self, iea: Segment, delimiters: Delimiters) -> None:
        if self.isa_done:
            self.out.write(iea.with_element(TRAILER_COUNT, str(self.groups), delimiters).raw)
        self.isa_done = False


def split(
    source: BinaryIO,
    outbound: BinaryIO,
    held: BinaryIO,
    held_claims: frozenset[int],
    chunk_size: int = CHUNK_SIZE,
) -> tuple[int, int]:
    """Write the claims whose CLM starts at a byte offset in `held_claims` to `held`, the rest to `outbound`.

    Returns (claims written to outbound, claims written to held).
    """
    sinks = (_Sink(outbound), _Sink(held))
    blocks: dict[str, _Block] = {}
    current: _Block | None = None
    claim: list[bytes] | None = None
    claim_sink: _Sink | None = None
    in_header = False
    stream = SegmentStream(source, chunk_size=chunk_size)
    first = True

    def flush_claim(delimiters: Delimiters) -> None:
        nonlocal claim, claim_sink
        if claim is not None and claim_sink is not None and current is not None:
            chain: list[_Block] = []
            block: _Block | None = current
            while block is not None:
                chain.append(block)
                block = blocks.get(block.parent)
            claim_sink.emit_claim(list(reversed(chain)), claim, delimiters)
        claim, claim_sink = None, None

    for offset, segment, delimiters in stream:
        tag, raw = segment.tag, segment.raw
        if tag == "ISA":
            isa = stream.lead + raw if first else raw  # a BOM before the first ISA goes into both files
            first = False
            for sink in sinks:
                sink.isa = isa
        elif tag == "GS":
            for sink in sinks:
                sink.gs = raw
        elif tag == "ST":
            in_header, blocks, current = True, {}, None
            for sink in sinks:
                sink.header = [raw]
        elif tag == "HL":
            flush_claim(delimiters)
            in_header = False
            current = blocks[segment.element(HL_ID)] = _Block(segment)
        elif tag == "CLM":
            flush_claim(delimiters)
            claim, claim_sink = [raw], sinks[1 if offset in held_claims else 0]
        elif tag == "SE":
            flush_claim(delimiters)
            for sink in sinks:
                sink.end_transaction(segment, delimiters)
        elif tag == "GE":
            for sink in sinks:
                sink.end_group(segment, delimiters)
        elif tag == "IEA":
            for sink in sinks:
                sink.end_interchange(segment, delimiters)
        elif claim is not None:
            claim.append(raw)
        elif in_header:
            for sink in sinks:
                sink.header.append(raw)
        elif current is not None:
            current.rest.append(raw)
    return sinks[0].claims, sinks[1].claims
