"""Envelope bookkeeping: ISA/GS/ST ... SE/GE/IEA order, counts and control numbers.

Counts are never guessed: a wrong SE01, GE01 or IEA01, or control numbers that do not
match, refuse the file (DESIGN.md, Lossless X12).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cart837.errors import Location, UnsupportedTransactionError, X12SyntaxError
from cart837.x12.delimiters import Delimiters
from cart837.x12.segment import split_segments

X223_PREFIX = "005010X223"
# Envelope element positions (X12.5/X12.6), the only place outside claims/fields.py that knows any
ISA_SENDER_QUALIFIER, ISA_SENDER, ISA_RECEIVER_QUALIFIER, ISA_RECEIVER = 5, 6, 7, 8  # ISA05..ISA08
ISA_DATE, ISA_TIME, ISA_REPETITION, ISA_VERSION = 9, 10, 11, 12  # ISA09..ISA12
ISA_CONTROL = 13  # ISA13
ISA_USAGE, ISA_COMPONENT = 15, 16  # ISA15 (P/T), ISA16
GS_CONTROL, GS_VERSION = 6, 8  # GS06, GS08
ST_KIND, ST_CONTROL, ST_VERSION = 1, 2, 3  # ST01, ST02, ST03
TRAILER_COUNT, TRAILER_CONTROL = 1, 2  # SE01/SE02, GE01/GE02, IEA01/IEA02


@dataclass(slots=True)
class EnvelopeChecker:
    """Feed envelope segments in file order; raises at the first inconsistency."""

    file: str
    interchange: str | None = None
    group: str | None = None
    group_version: str = ""
    transaction: str | None = None
    transaction_start: int = 0  # segment ordinal of the ST
    groups_in_interchange: int = 0
    transactions_in_group: int = 0
    versions: set[str] = field(default_factory=set)

    def _loc(self, offset: int, ordinal: int, tag: str | None) -> Location:
        return Location(self.file, offset, ordinal, tag)

    def isa(self, elements: list[str], offset: int, ordinal: int) -> None:
        """Open an interchange."""
        if self.interchange is not None:
            raise X12SyntaxError(f"ISA before IEA of interchange {self.interchange}", self._loc(offset, ordinal, "ISA"))
        self.interchange = _element(elements, ISA_CONTROL)
        self.groups_in_interchange = 0

    def gs(self, elements: list[str], offset: int, ordinal: int) -> None:
        """Open a functional group."""
        loc = self._loc(offset, ordinal, "GS")
        if self.interchange is None:
            raise X12SyntaxError("GS outside an interchange (no ISA before it)", loc)
        if self.group is not None:
            raise X12SyntaxError(f"GS before GE of group {self.group}", loc)
        self.group = _element(elements, GS_CONTROL)
        self.group_version = _element(elements, GS_VERSION)
        self.transactions_in_group = 0
        self.groups_in_interchange += 1

    def st(self, elements: list[str], offset: int, ordinal: int) -> str:
        """Open a transaction; refuse anything that is not a 5010 837I. Return its ST02."""
        loc = self._loc(offset, ordinal, "ST")
        if self.group is None:
            raise X12SyntaxError("ST outside a functional group (no GS before it)", loc)
        if self.transaction is not None:
            raise X12SyntaxError(f"ST before SE of transaction {self.transaction}", loc)
        kind = _element(elements, ST_KIND)
        version = _element(elements, ST_VERSION)
        label = version or self.group_version
        if kind != "837":
            raise UnsupportedTransactionError(
                f"not a 5010 837I: transaction set {kind or '(empty)'} ({label or 'no version'})", loc
            )
        if not label.startswith(X223_PREFIX):
            what = describe_version(label)
            raise UnsupportedTransactionError(f"not a 5010 837I: {what} ({label or 'no version'})", loc)
        self.versions.add(label)
        self.transaction = _element(elements, ST_CONTROL)
        self.transaction_start = ordinal
        self.transactions_in_group += 1
        return self.transaction

    def se(self, elements: list[str], offset: int, ordinal: int) -> None:
        """Close a transaction; SE01 must count ST..SE and SE02 must equal ST02."""
        loc = self._loc(offset, ordinal, "SE")
        if self.transaction is None:
            raise X12SyntaxError("SE without an open transaction (missing ST)", loc)
        counted = ordinal - self.transaction_start + 1
        declared = _element(elements, TRAILER_COUNT)
        if not is_count(declared) or int(declared) != counted:
            raise X12SyntaxError(
                f"SE01 is {declared or '(empty)'} but transaction {self.transaction} has {counted} segments",
                loc,
            )
        control = _element(elements, TRAILER_CONTROL)
        if control != self.transaction:
            raise X12SyntaxError(f"SE02 {control!r} does not match ST02 {self.transaction!r}", loc)
        self.transaction = None

    def ge(self, elements: list[str], offset: int, ordinal: int) -> None:
        """Close a group; GE01 must count its transactions and GE02 equal GS06."""
        loc = self._loc(offset, ordinal, "GE")
        if self.transaction is not None:
            raise X12SyntaxError(f"GE before SE of transaction {self.transaction} (missing SE)", loc)
        if self.group is None:
            raise X12SyntaxError("GE without an open group (missing GS)", loc)
        declared = _element(elements, TRAILER_COUNT)
        if not is_count(declared) or int(declared) != self.transactions_in_group:
            raise X12SyntaxError(
                f"GE01 is {declared or '(empty)'} but group {self.group} has {self.transactions_in_group} transactions",
                loc,
            )
        control = _element(elements, TRAILER_CONTROL)
        if _control(control) != _control(self.group):
            raise X12SyntaxError(f"GE02 {control!r} does not match GS06 {self.group!r}", loc)
        self.group = None

    def iea(self, elements: list[str], offset: int, ordinal: int) -> None:
        """Close an interchange; IEA01 must count its groups and IEA02 equal ISA13."""
        loc = self._loc(offset, ordinal, "IEA")
        if self.group is not None:
            raise X12SyntaxError(f"IEA before GE of group {self.group} (missing GE)", loc)
        if self.interchange is None:
            raise X12SyntaxError("IEA without an open interchange", loc)
        declared = _element(elements, TRAILER_COUNT)
        if not is_count(declared) or int(declared) != self.groups_in_interchange:
            raise X12SyntaxError(
                f"IEA01 is {declared or '(empty)'} but interchange {self.interchange} has "
                f"{self.groups_in_interchange} groups",
                loc,
            )
        control = _element(elements, TRAILER_CONTROL)
        if _control(control) != _control(self.interchange):
            raise X12SyntaxError(f"IEA02 {control!r} does not match ISA13 {self.interchange!r}", loc)
        self.interchange = None

    def finish(self, offset: int, ordinal: int) -> None:
        """At end of input: every envelope must be closed."""
        loc = self._loc(offset, ordinal, None)
        if self.transaction is not None:
            raise X12SyntaxError(f"input ends inside transaction {self.transaction} (missing SE)", loc)
        if self.group is not None:
            raise X12SyntaxError(f"input ends inside group {self.group} (missing GE)", loc)
        if self.interchange is not None:
            raise X12SyntaxError(f"input ends inside interchange {self.interchange} (missing IEA)", loc)


def _element(elements: list[str], index: int) -> str:
    """Return element `index` without surrounding blanks, or "" when absent."""
    return elements[index].strip() if len(elements) > index else ""


def is_count(text: str) -> bool:
    """Return whether `text` is a plain decimal number (ASCII digits: str.isdigit() also takes "²")."""
    return text.isascii() and text.isdigit()


def _control(value: str) -> str:
    """Compare control numbers by value: ISA13 `000000905` and IEA02 `905` are the same."""
    return (value.lstrip("0") or "0") if is_count(value) else value


def describe_version(label: str) -> str:
    """Say in words what a GS08/ST03 version label is."""
    if label.startswith("005010X222"):
        return "837P (professional)"
    if label.startswith("005010X224"):
        return "837D (dental)"
    if label.startswith("005010X292"):
        return "X292 (post-adjudicated claims)"
    if label.startswith("004010"):
        return "a 4010 transaction"
    if label.startswith("005010X221"):
        return "835 (payment)"
    return "an unsupported version"


def recount_se(raw: bytes, delimiters: Delimiters, delta: int) -> bytes:
    """Return an SE segment with SE01 moved by `delta` segments (the same bytes when delta is 0)."""
    if delta == 0:
        return raw
    se = next(split_segments(raw, delimiters))
    count = se.element(TRAILER_COUNT).strip()
    if not is_count(count):
        raise X12SyntaxError(f"SE01 {count!r} is not a segment count")
    return se.with_element(TRAILER_COUNT, str(int(count) + delta), delimiters).raw
