"""One error tree for everything cart837 refuses, and the stable codes automation routes on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    """Stable codes for every way a file (or a run) fails or is skipped (README, In a pipeline).

    Automation routes on these, not on the message text: a code is never renamed or reused.
    """

    USAGE = "E-USAGE"
    READ = "E-READ"
    WRITE = "E-WRITE"
    EMPTY = "E-EMPTY"
    ISA = "E-ISA"
    ENVELOPE = "E-ENVELOPE"
    SE01 = "E-SE01"
    SE02 = "E-SE02"
    GE01 = "E-GE01"
    GE02 = "E-GE02"
    IEA01 = "E-IEA01"
    IEA02 = "E-IEA02"
    TRUNCATED = "E-TRUNCATED"
    BINARY = "E-BINARY"
    X12 = "E-X12"
    NOT_837I = "E-NOT-837I"
    CLAIM = "E-CLAIM"
    VALIDATION = "E-VALIDATION"
    CONFIG = "E-CONFIG"
    REPORT = "E-REPORT"
    DECISIONS = "E-DECISIONS"
    DASK = "E-DASK"
    WORKER = "E-WORKER"
    INVARIANT = "E-INVARIANT"
    INTERNAL = "E-INTERNAL"
    NOT_X12 = "S-NOT-X12"
    NOT_FILE = "S-NOT-FILE"
    STOPPED = "S-STOPPED"


_ELEMENT_CODES = {code.value[2:]: code for code in (Code.SE01, Code.SE02, Code.GE01, Code.GE02, Code.IEA01, Code.IEA02)}


def classify_syntax(message: str) -> Code:
    """Return the code of an X12 syntax error from its message (the raise sites stay plain)."""
    first = message.split(" ", 1)[0]
    if first in _ELEMENT_CODES:
        return _ELEMENT_CODES[first]
    if message.startswith("empty input"):
        return Code.EMPTY
    if message.startswith(("no ISA", "short ISA", "garbled ISA", "expected an ISA")):
        return Code.ISA
    if message.startswith(("input ends", "segment has no terminator")):
        return Code.TRUNCATED
    if message.startswith("binary data"):
        return Code.BINARY
    if any(word in message for word in (" before ", " outside ", " without ", "missing", "after IEA")):
        return Code.ENVELOPE
    return Code.X12


@dataclass(frozen=True, slots=True)
class Location:
    """Where in which file a problem sits (segment_index is 1-based over the whole file)."""

    file: str = "-"
    byte_offset: int | None = None
    segment_index: int | None = None
    segment_id: str | None = None

    def describe(self) -> str:
        """Render as `byte B, segment N (SEG)`, leaving out what is unknown."""
        parts: list[str] = []
        if self.byte_offset is not None:
            parts.append(f"byte {self.byte_offset}")
        if self.segment_index is not None:
            seg = f"segment {self.segment_index}"
            if self.segment_id:
                seg += f" ({self.segment_id})"
            parts.append(seg)
        return ", ".join(parts)


class Cart837Error(Exception):
    """Base of every error cart837 reports as a one-line refusal; `code` is its stable code."""

    default_code = Code.INTERNAL

    def __init__(self, message: str, location: Location | None = None, code: Code | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        self.code = code or self._classify()

    def _classify(self) -> Code:
        return self.default_code

    def __reduce__(self) -> tuple[type[Cart837Error], tuple[str, Location, Code]]:
        """Pickle with the location and code (a worker process or Dask task reports it to the parent)."""
        return (type(self), (self.message, self.location, self.code))

    def with_file(self, file: str) -> Cart837Error:
        """Return the same error located in `file` (the reader may not know the name)."""
        loc = self.location
        self.location = Location(file, loc.byte_offset, loc.segment_index, loc.segment_id)
        return self

    def one_line(self) -> str:
        """Format as `FILE: byte B, segment N (SEG): message` (no newlines)."""
        where = self.location.describe()
        text = f"{self.location.file}: {where}: {self.message}" if where else (f"{self.location.file}: {self.message}")
        return " ".join(text.split("\n"))


class X12SyntaxError(Cart837Error):
    """The bytes are not a well-formed X12 interchange (delimiters, envelopes, counts)."""

    def _classify(self) -> Code:
        return classify_syntax(self.message)


class UnsupportedTransactionError(Cart837Error):
    """Well-formed X12, but not a 5010 837I (837P, 835, 4010, X292, ...)."""

    default_code = Code.NOT_837I


class ClaimStructureError(Cart837Error):
    """An 837I claim whose loops or fields cannot be read."""

    default_code = Code.CLAIM


class ConfigError(Cart837Error):
    """An unknown configuration key or a bad value."""

    default_code = Code.CONFIG


class ValidationError(Cart837Error):
    """pyx12 implementation-guide validation failed or could not run."""

    default_code = Code.VALIDATION


class InvariantError(Cart837Error):
    """A bug: an edit broke a guarantee (charges, counts, idempotence)."""

    default_code = Code.INVARIANT


class ReportError(Cart837Error):
    """A JSON report that cannot be read or does not follow its schema (1 or 2)."""

    default_code = Code.REPORT


class DecisionsError(Cart837Error):
    """A decisions file that cannot be read, or a finding id (--skip/--only) that names no finding."""

    default_code = Code.DECISIONS
