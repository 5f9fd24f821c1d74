"""Fuzz target: the streaming tokenizer and the claim reader on arbitrary bytes.

Contract checked on every input: reading either succeeds or raises a Cart837Error (a one-line
refusal) - never any other exception; on success the pass-through events join back to the input
byte for byte, and every claim read rebuilds its own bytes exactly.

    python -m tests.fuzz.run_atheris -runs=1000000 -max_len=4096 CORPUS_DIR   # atheris (make fuzz)

The same `one_input` runs under Hypothesis in `make test` (tests/fuzz/test_reader_fuzz.py).
"""

from __future__ import annotations

import io

from cart837.claims.reader import read_claim
from cart837.claims.stream import ClaimBytes, FileStream, Interest, Passthrough, TransactionEnd
from cart837.codes.tables import CART_REVENUE_CODES
from cart837.errors import Cart837Error

# Chunk sizes to cut the input at odd places (the first input byte picks one); whole-file reads are
# the common case, one- to three-byte reads are slow, so they are drawn less often.
CHUNKS = (1, 3, 7, 64, 105, 106, 107, 512, 4096, *(1 << 23,) * 7)
INTEREST = Interest(
    CART_REVENUE_CODES | frozenset({"0120", "0250", "0450"}),
    frozenset({"38225", "38226", "38227", "38228", "0537T", "0538T", "0539T", "0540T", "Q2041", "99284"}),
    frozenset({"M1", "M0001", "MEMBER001"}),
)


class ContractBroken(AssertionError):
    """The reader accepted the input but lost or changed bytes."""


def one_input(data: bytes) -> None:
    """Read `data` (after its first byte, which picks the chunk size) and check the contract."""
    read_input(data)


def read_input(data: bytes) -> Cart837Error | None:
    """Check the contract on `data`; return the refusal, or None when the reader accepted it."""
    if not data:
        return None
    chunk, body = CHUNKS[data[0] % len(CHUNKS)], data[1:]
    parts: list[bytes] = []
    try:
        for event in FileStream(io.BytesIO(body), "fuzz.837", INTEREST, chunk_size=chunk).events():
            if isinstance(event, Passthrough):
                parts.append(event.data)
            elif isinstance(event, TransactionEnd):
                parts.append(event.raw)
            elif isinstance(event, ClaimBytes):
                parts.append(event.data)
                if read_claim(event, "fuzz.837").to_bytes() != event.data:
                    raise ContractBroken("a claim does not rebuild its own bytes")
    except Cart837Error as refusal:
        return refusal
    if b"".join(parts) != body:
        raise ContractBroken("the pass-through events do not join back to the input")
    return None
