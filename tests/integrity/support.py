"""Helpers shared by the integrity tests: an independent X12 reader, the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from click.testing import CliRunner, Result

from cart837.cli import main


def cart837(*args: str, stdin: bytes | None = None) -> Result:
    """Run the CLI in-process and return click's result (stdout, stderr, exit code)."""
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


@dataclass(frozen=True)
class LiteClaim:
    """A claim as an independent reader sees it: its bytes, CLM02 and the SV203s."""

    id: str
    raw: bytes
    clm02: Decimal
    charges: tuple[Decimal, ...]


@dataclass(frozen=True)
class LiteFile:
    """An X12 file split by a reader that shares no code with cart837 (for property checks)."""

    segments: list[tuple[str, list[str], bytes]]  # (tag, elements, raw with suffix)
    claims: list[LiteClaim]
    component: str

    @classmethod
    def parse(cls, data: bytes) -> LiteFile:
        """Split on the ISA-declared terminator; whitespace after it belongs to the segment."""
        start = data.find(b"ISA")
        element, component, term = data[start + 3 : start + 4], data[start + 104 : start + 105], data[start + 105]
        segments: list[tuple[str, list[str], bytes]] = []
        pos = start
        while pos < len(data):
            stop = data.index(bytes([term]), pos) + 1
            end = stop
            while end < len(data) and data[end] in b" \t\r\n":
                end += 1
            body = data[pos : stop - 1].decode("latin-1")
            fields = body.split(element.decode("latin-1"))
            segments.append((fields[0], fields, data[pos:end]))
            pos = end
        return cls(segments, _claims(segments), component.decode("latin-1"))

    def count(self, tag: str) -> int:
        """Return how many segments have this tag."""
        return sum(1 for s in self.segments if s[0] == tag)


def _claims(segments: list[tuple[str, list[str], bytes]]) -> list[LiteClaim]:
    claims: list[LiteClaim] = []
    current: list[tuple[str, list[str], bytes]] | None = None
    for segment in [*segments, ("HL", ["HL"], b"")]:
        if segment[0] in ("CLM", "HL", "SE") and current is not None:
            raw = b"".join(s[2] for s in current)
            charges = tuple(Decimal(s[1][3]) for s in current if s[0] == "SV2")
            claims.append(LiteClaim(current[0][1][1], raw, Decimal(current[0][1][2]), charges))
            current = None
        if segment[0] == "CLM":
            current = []
        if current is not None:
            current.append(segment)
    return claims


def envelope_problems(data: bytes) -> list[str]:
    """Check SE01, GE01 and IEA01 by counting (independently of cart837); return what is wrong."""
    problems: list[str] = []
    segments = LiteFile.parse(data).segments
    st_at, groups, sets = 0, 0, 0
    for index, (tag, fields, _raw) in enumerate(segments):
        if tag == "ST":
            st_at = index
            sets += 1
        elif tag == "SE" and int(fields[1]) != index - st_at + 1:
            problems.append(f"SE01 {fields[1]} != {index - st_at + 1}")
        elif tag == "GS":
            groups, sets = groups + 1, 0
        elif tag == "GE" and int(fields[1]) != sets:
            problems.append(f"GE01 {fields[1]} != {sets}")
        elif tag == "ISA":
            groups = 0
        elif tag == "IEA" and int(fields[1]) != groups:
            problems.append(f"IEA01 {fields[1]} != {groups}")
    return problems
