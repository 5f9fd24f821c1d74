"""Split a produced 837I into the outbound file and the held one (`fix --hold DIR`, issue 12).

Held claims (named by the byte offset of their CLM in the produced file) go to a second, separate 837I with the same
envelopes; the others stay in the outbound file. Each claim's 2300/2400 bytes move unchanged;
each file gets the header of every transaction it has claims of and the HL loops above them
(2000A/2000B/2000C), HL ids renumbered in each file (HL01 from 1, HL02 the new parent id). SE01,
GE01 and IEA01 are recounted; a transaction, group or interchange left with no claim is left
out of that file. HL04 (child code) is kept as read. Memory holds one transaction's header and
HL blocks, never a whole file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from cart837.claims.fields import HL_ID, HL_PARENT
from cart837.x12.envelope import TRAILER_COUNT

CHUNK = 1 << 20
_LEADING = b"\r\n \t\xef\xbb\xbf"  # what may stand before a segment's tag (a BOM before the first ISA)
_ISA_WINDOW = 64  # bytes looked at for an ISA after whitespace


def segments(source: BinaryIO) -> Iterator[bytes]:
    """Yield each segment's raw bytes (terminator and the line break after it included), in order.

    Each interchange's terminator is its ISA's 106th byte: interchanges of one file may differ.
    """
    buffer, position, terminator = source.read(CHUNK), 0, b""
    while True:
        window = buffer[position : position + _ISA_WINDOW]
        lead = len(window) - len(window.lstrip(_LEADING))
        if window[lead : lead + 3] == b"ISA":
            while len(buffer) - position < lead + 106 and (more := source.read(CHUNK)):
                buffer, position = buffer[position:] + more, 0
            if len(buffer) - position >= lead + 106:
                terminator = buffer[position + lead + 105 : position + lead + 106]
        end = buffer.find(terminator, position) if terminator else -1
        if end < 0:
            more = source.read(CHUNK)
            if more:
                buffer, position = buffer[position:] + more, 0
                continue
            if position < len(buffer):
                yield buffer[position:]
            return
        stop = end + 1
        while True:
            while stop < len(buffer) and buffer[stop : stop + 1] in (b"\r", b"\n"):
                stop += 1
            if stop < len(buffer):
                break
            more = source.read(CHUNK)  # the line break may continue in the next chunk
            if not more:
                break
            buffer, stop, position = buffer[position:] + more, stop - position, 0
        yield buffer[position:stop]
        position = stop


def _tag(raw: bytes, element: bytes) -> bytes:
    body = raw.lstrip(_LEADING)
    return body.split(element, 1)[0]


def _with(raw: bytes, element: bytes, terminator: bytes, values: dict[int, bytes]) -> bytes:
    """Return the segment with elements replaced (1-based), keeping its terminator and line break."""
    end = raw.rfind(terminator)
    body, tail = raw[:end], raw[end:]
    parts = body.split(element)
    for index, value in values.items():
        while len(parts) <= index:
            parts.append(b"")
        parts[index] = value
    return element.join(parts) + tail


@dataclass(slots=True)
class _Block:
    """An HL segment and the segments of its loop up to the next HL or CLM."""

    hl_id: bytes
    parent: bytes
    raw: list[bytes]


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
    hl_ids: dict[bytes, bytes] = field(default_factory=dict)

    def emit_claim(self, chain: list[_Block], claim: list[bytes], element: bytes, terminator: bytes) -> None:
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
            new_id = str(len(self.hl_ids) + 1).encode()
            self.hl_ids[block.hl_id] = new_id
            parent = self.hl_ids.get(block.parent, b"")
            self.out.write(_with(block.raw[0], element, terminator, {HL_ID: new_id, HL_PARENT: parent}))
            self.out.write(b"".join(block.raw[1:]))
            self.segments += len(block.raw)
        self.out.write(b"".join(claim))
        self.segments += len(claim)
        self.claims += 1

    def end_transaction(self, se: bytes, element: bytes, terminator: bytes) -> None:
        if self.st_done:
            self.out.write(_with(se, element, terminator, {TRAILER_COUNT: str(self.segments + 1).encode()}))
        self.st_done = False

    def end_group(self, ge: bytes, element: bytes, terminator: bytes) -> None:
        if self.gs_done:
            self.out.write(_with(ge, element, terminator, {TRAILER_COUNT: str(self.transactions).encode()}))
        self.gs_done = False

    def end_interchange(self, iea: bytes, element: bytes, terminator: bytes) -> None:
        if self.isa_done:
            self.out.write(_with(iea, element, terminator, {TRAILER_COUNT: str(self.groups).encode()}))
        self.isa_done = False


def split(source: BinaryIO, outbound: BinaryIO, held: BinaryIO, held_claims: frozenset[int]) -> tuple[int, int]:
    """Write the claims whose CLM starts at a byte offset in `held_claims` to `held`, the rest to `outbound`.

    Returns (claims written to outbound, claims written to held).
    """
    sinks = (_Sink(outbound), _Sink(held))
    element = terminator = b""
    blocks: dict[bytes, _Block] = {}
    current: _Block | None = None
    claim: list[bytes] | None = None
    claim_sink: _Sink | None = None
    offset = 0  # of the current segment's first byte (line breaks before a tag belong to the segment)
    in_header = False

    def flush_claim() -> None:
        nonlocal claim, claim_sink
        if claim is not None and claim_sink is not None and current is not None:
            chain: list[_Block] = []
            block: _Block | None = current
            while block is not None:
                chain.append(block)
                block = blocks.get(block.parent)
            claim_sink.emit_claim(list(reversed(chain)), claim, element, terminator)
        claim, claim_sink = None, None

    for raw in segments(source):
        start, offset = offset, offset + len(raw)
        body = raw.lstrip(_LEADING)
        if body.startswith(b"ISA") and len(body) >= 106:  # each interchange declares its own delimiters
            element, terminator = body[3:4], body[105:106]
        tag = _tag(raw, element) if element else b""
        if tag == b"ISA":
            for sink in sinks:
                sink.isa = raw
        elif tag == b"GS":
            for sink in sinks:
                sink.gs = raw
        elif tag == b"ST":
            in_header, blocks, current = True, {}, None
            for sink in sinks:
                sink.header = [raw]
        elif tag == b"HL":
            flush_claim()
            in_header = False
            parts = raw[: raw.rfind(terminator)].split(element)
            current = _Block(parts[HL_ID], parts[HL_PARENT] if len(parts) > HL_PARENT else b"", [raw])
            blocks[current.hl_id] = current
        elif tag == b"CLM":
            flush_claim()
            clm = start + len(raw) - len(raw.lstrip(_LEADING))
            claim, claim_sink = [raw], sinks[1 if clm in held_claims else 0]
        elif tag == b"SE":
            flush_claim()
            for sink in sinks:
                sink.end_transaction(raw, element, terminator)
        elif tag == b"GE":
            for sink in sinks:
                sink.end_group(raw, element, terminator)
        elif tag == b"IEA":
            for sink in sinks:
                sink.end_interchange(raw, element, terminator)
        elif claim is not None:
            claim.append(raw)
        elif in_header:
            for sink in sinks:
                sink.header.append(raw)
        elif current is not None:
            current.raw.append(raw)
    return sinks[0].claims, sinks[1].claims
