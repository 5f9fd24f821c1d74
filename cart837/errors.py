"""One error tree for everything cart837 refuses; only cli.py formats these."""

from __future__ import annotations

from dataclasses import dataclass


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
    """Base of every error cart837 reports as a one-line refusal."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()

    def __reduce__(self) -> tuple[type[Cart837Error], tuple[str, Location]]:
        """Pickle with the location (a worker process or Dask task reports it to the parent)."""
        return (type(self), (self.message, self.location))

    def with_file(self, file: str) -> Cart837Error:
        """Return the same error located in `file` (the reader may not know the name)."""
        loc = self.location
        self.location = Location(file, loc.byte_offset, loc.segment_index, loc.segment_id)
        return self

    def one_line(self) -> str:
        """Format as `FILE: byte B, segment N (SEG): message` (no newlines)."""
        where = self.location.describe()
        text = f"{self.location.file}: {where}: {self.message}" if where else (
            f"{self.location.file}: {self.message}"
        )
        return " ".join(text.split("\n"))


class X12SyntaxError(Cart837Error):
    """The bytes are not a well-formed X12 interchange (delimiters, envelopes, counts)."""


class UnsupportedTransactionError(Cart837Error):
    """Well-formed X12, but not a 5010 837I (837P, 835, 4010, X292, ...)."""


class ClaimStructureError(Cart837Error):
    """An 837I claim whose loops or fields cannot be read."""


class ConfigError(Cart837Error):
    """An unknown configuration key or a bad value."""


class ValidationError(Cart837Error):
    """pyx12 implementation-guide validation failed or could not run."""


class InvariantError(Cart837Error):
    """A bug: an edit broke a guarantee (charges, counts, idempotence)."""


class ReportError(Cart837Error):
    """A JSON report that cannot be read or does not follow its schema (1 or 2)."""


class DecisionsError(Cart837Error):
    """A decisions file that cannot be read, or a finding id (--skip/--only) that names no finding."""
