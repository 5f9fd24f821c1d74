"""What pass 1 learnt of a file's bytes, so pass 2 does not scan them again (issue 14: each byte once).

Pass 1 runs the content checks (control bytes, SV1 lines), finds the envelope segments and the
claims that hold a code of interest, counts claims and hashes the bytes. Pass 2 on the same file
(same size and modification time, same codes of interest) takes those from here: it copies
untouched bytes as slices, reads the envelope segments at the recorded offsets (and still checks
their order, counts and control numbers), and scans only for the subscribers it must look at.
It hashes what it reads and refuses the file if the bytes are not the ones pass 1 read.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cart837.errors import Cart837Error, Code, Location

if TYPE_CHECKING:
    from cart837.claims.events import Interest

Identity = tuple[int, int]  # (size, mtime in ns) of the open file
Codes = tuple[frozenset[str], frozenset[str], frozenset[str]]  # an Interest's codes, without member ids


def codes_of(interest: Interest) -> Codes:
    """Return what makes a claim a candidate in both passes (the member ids are pass 2's own)."""
    return interest.revenue_codes, interest.procedure_codes, interest.icd_procedure_codes


@dataclass(slots=True)
class ScanRecord:
    """One file's pass-1 facts; a few bytes a file, plus 16 bytes per candidate claim."""

    identity: Identity
    codes: Codes
    chunk_size: int
    sha256: str = ""
    claims: int = 0
    # File offsets of the envelope segments (GS/ST/SE/GE/IEA) and of the candidate CLMs, each with
    # its segment number in the file: pass 2 counts terminators only from the last one before it.
    envelope: array[int] = field(default_factory=lambda: array("q"))
    envelope_ordinals: array[int] = field(default_factory=lambda: array("q"))
    candidates: array[int] = field(default_factory=lambda: array("q"))
    candidate_ordinals: array[int] = field(default_factory=lambda: array("q"))

    def fits(self, identity: Identity, interest: Interest, chunk_size: int) -> bool:
        """Return whether pass 2 may use this record for a file it has open."""
        return identity == self.identity and codes_of(interest) == self.codes and chunk_size == self.chunk_size


@dataclass(slots=True)
class Recorder:
    """Pass 1's side: collects a ScanRecord while the stream reads."""

    record: ScanRecord
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)

    def finish(self, claims: int) -> ScanRecord:
        """Return the record, once the stream has read the whole file."""
        self.record.sha256 = self.digest.hexdigest()
        self.record.claims = claims
        return self.record


def changed_error(file: str) -> Cart837Error:
    """The bytes pass 2 reads are not the ones pass 1 read."""
    return Cart837Error(
        "the file changed while it was being read (between the two passes): nothing was written, run again",
        Location(file),
        Code.READ,
    )
