"""What a FileStream yields (pass-through bytes, claim blocks, SEs) and what it looks for (Interest)."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import Protocol

from cart837.x12.delimiters import Delimiters


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
