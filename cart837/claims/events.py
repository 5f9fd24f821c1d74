"""What a FileStream yields (pass-through bytes, claim blocks, SEs) and what it looks for (Interest)."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cart837.x12.delimiters import Delimiters

if TYPE_CHECKING:  # the claim reader imports this module: it needs no envelope checker
    from cart837.x12.envelope import EnvelopeChecker


class Readable(Protocol):
    """Anything with a binary `read(size)` (files, sockets, hashing wrappers)."""

    def read(self, size: int = -1, /) -> bytes:
        """Return up to `size` bytes; b"" at the end."""
        ...


@dataclass(frozen=True, slots=True)
class Interest:
    """What makes a claim worth building: codes in SV201/SV202-2 or HI procedures, or a member id."""

    revenue_codes: frozenset[str] = frozenset()
    procedure_codes: frozenset[str] = frozenset()
    member_ids: Container[str] = frozenset()  # a set, or the episode index's compact MemberIds
    icd_procedure_codes: frozenset[str] = frozenset()  # ICD-10-PCS in HI BBR/BBQ (inpatient claims)


@dataclass(frozen=True, slots=True)
class Passthrough:
    """Bytes to copy to the output unchanged."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ClaimBytes:
    """One 2300 loop with its 2400 lines, plus its 2000B (and 2000C) blocks for context."""

    data: bytes
    subscriber: bytes | None
    patient: bytes | None
    delimiters: Delimiters
    offset: int
    segment_index: int
    interchange: str
    transaction: str
    group: str = ""  # GS06
    transaction_start: int = 0  # segment_index of the transaction's ST (finding ids: position in it)


@dataclass(frozen=True, slots=True)
class TransactionEnd:
    """The SE segment, held back so a writer can recount it."""

    raw: bytes
    delimiters: Delimiters
    segment_index: int = 0  # 1-based over the whole file, as ClaimBytes (for `diff`)


Event = Passthrough | ClaimBytes | TransactionEnd


@dataclass(slots=True)
class Resume:
    """Where a part of a file starts, for a stream over that byte range alone (cart837.split).

    A part starts at an ISA or at an ST; the stream over it reports file offsets and segment
    numbers, and checks envelopes, exactly as a stream over the whole file would there.
    """

    offset: int  # the file offset of the part's first byte
    segments_before: int  # segment terminators in the file before it
    delimiters: Delimiters | None = None  # the interchange open at an ST start (None: the part starts at an ISA)
    checker: EnvelopeChecker | None = None  # the envelopes open there (None: none)
    last: bool = True  # the part runs to the end of the file: its end closes every envelope
    lead: int = 0  # bytes before `offset` the source starts with: the previous segment's terminator (the scans want it)
