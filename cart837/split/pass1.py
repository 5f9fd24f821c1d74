"""Pass 1 over the parts of a split file, and the fold that checks them against each other in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cart837 import stop
from cart837.batch import index_events, interest_for
from cart837.claims.stream import FileStream, Resume
from cart837.config import Config
from cart837.episodes import EpisodeIndex
from cart837.errors import Cart837Error, Code, Location
from cart837.inputs import InputFile
from cart837.split.cuts import Part, PartReader
from cart837.x12.delimiters import Delimiters
from cart837.x12.envelope import TRAILER_COUNT, EnvelopeChecker, is_count


@dataclass(slots=True)
class _PartChecker(EnvelopeChecker):
    """Pass 1 over a part: the counts of a group or interchange opened before the part are unknown here.

    Their GE01/IEA01 are recorded (with what this part counted) for `fold` to check in order.
    (An interpreted subclass: if x12/envelope.py joins setup.py's mypyc HOT list, EnvelopeChecker
    needs `@mypyc_attr(allow_interpreted_subclasses=True)`.)
    """

    inherited_group: bool = False
    inherited_interchange: bool = False
    deferred: list[tuple[str, str, int]] = field(default_factory=list)  # (GE|IEA, declared, counted here)

    def _defer(self, trailer: str, elements: list[str], counted: int) -> int:
        """Note a trailer of an envelope opened before this part; return the count to check it with here.

        The declared count stands in for the part's own (fold() checks it across parts); one that is
        not a number keeps the part's own count.
        """
        declared = elements[TRAILER_COUNT].strip() if len(elements) > TRAILER_COUNT else ""
        self.deferred.append((trailer, declared, counted))
        return int(declared) if is_count(declared) else counted

    def ge(self, elements: list[str], offset: int, ordinal: int) -> None:
        if self.inherited_group and self.transaction is None and self.group is not None:
            self.transactions_in_group = self._defer("GE", elements, self.transactions_in_group)
            self.inherited_group = False
        super(_PartChecker, self).ge(elements, offset, ordinal)  # noqa: UP008 - slots dataclass: no bare super()

    def iea(self, elements: list[str], offset: int, ordinal: int) -> None:
        if self.inherited_interchange and self.group is None and self.interchange is not None:
            self.groups_in_interchange = self._defer("IEA", elements, self.groups_in_interchange)
            self.inherited_interchange = False
        super(_PartChecker, self).iea(elements, offset, ordinal)  # noqa: UP008


@dataclass(slots=True)
class PartIndex:
    """What pass 1 over one part found: its index, and the envelope state it ended in."""

    index: EpisodeIndex
    segments: int  # segment terminators in the part
    delimiters: Delimiters | None  # the last interchange's
    interchange: str | None
    group: str | None
    group_version: str
    transaction: str | None
    groups: int  # groups in the open interchange (counted from the part's start if inherited)
    transactions: int  # transactions in the open group (likewise)
    inherited_interchange: bool
    inherited_group: bool
    deferred: list[tuple[str, str, int]]


def index_part(number: int, item: InputFile, config: Config, part: Part, last: bool) -> PartIndex | Cart837Error:
    """Pass 1 over one part; any error means only "read this file whole" (its location is not the file's)."""
    checker = _PartChecker(item.display)
    if part.delimiters is not None:
        checker.interchange, checker.group, checker.group_version = part.interchange, part.group, part.group_version
        checker.inherited_interchange = checker.inherited_group = True
    index = EpisodeIndex()
    try:
        with stop.interruptible(), item.path.open("rb") as source:
            source.seek(part.start - part.lead)
            resume = Resume(part.start, 0, part.delimiters, checker, last, part.lead)  # segment numbers: relative
            reader = PartReader(source, part.end - part.start + part.lead)
            interest = interest_for(config)
            stream = FileStream(reader, item.display, interest, passthrough=False, count_claims=False, resume=resume)
            index_events(stream, number, config, index)
            segments = stream.segments_read()
    except Cart837Error as error:
        return error
    except Exception as error:  # noqa: BLE001 - the whole-file run reports it properly
        return Cart837Error(f"part failed: {type(error).__name__}", Location(item.display), Code.INTERNAL)
    return PartIndex(
        index,
        segments,
        stream.delimiters[-1] if stream.delimiters else part.delimiters,
        checker.interchange,
        checker.group,
        checker.group_version,
        checker.transaction,
        checker.groups_in_interchange,
        checker.transactions_in_group,
        checker.inherited_interchange,
        checker.inherited_group,
        checker.deferred,
    )


def fold(display: str, parts: Sequence[Part], found: Sequence[PartIndex | Cart837Error]) -> list[Resume] | None:
    """Check the parts against each other in order; return each part's exact start for pass 2.

    None when a part failed, a deferred GE01/IEA01 is wrong, or a part does not start in the
    state the previous one ended in: the file is then read whole.
    """
    resumes: list[Resume] = []
    segments = 0
    previous: PartIndex | None = None
    for number, (part, outcome) in enumerate(zip(parts, found, strict=True)):
        if isinstance(outcome, Cart837Error):
            return None
        groups = transactions = 0
        checker: EnvelopeChecker | None = None
        if part.delimiters is None:
            if previous is not None and previous.interchange is not None:
                return None
        else:
            if previous is None or previous.transaction is not None:
                return None
            ended = (previous.interchange, previous.group, previous.group_version, previous.delimiters)
            if ended != (part.interchange, part.group, part.group_version, part.delimiters):
                return None
            groups, transactions = previous.groups, previous.transactions
            checker = EnvelopeChecker(
                display,
                interchange=part.interchange,
                group=part.group,
                group_version=part.group_version,
                groups_in_interchange=groups,
                transactions_in_group=transactions,
            )
        for kind, declared, counted in outcome.deferred:
            expected = (transactions if kind == "GE" else groups) + counted
            if not is_count(declared) or int(declared) != expected:
                return None
        if outcome.inherited_group:
            outcome.transactions += transactions
        if outcome.inherited_interchange:
            outcome.groups += groups
        resumes.append(Resume(part.start, segments, part.delimiters, checker, number == len(parts) - 1, part.lead))
        segments += outcome.segments
        previous = outcome
    return resumes


def merged_index(found: Sequence[PartIndex | Cart837Error]) -> EpisodeIndex:
    """Merge the parts' indexes in order into the file's (EpisodeIndex.merged, as for files)."""
    assert not any(isinstance(outcome, Cart837Error) for outcome in found)
    return EpisodeIndex.merged(outcome.index for outcome in found if not isinstance(outcome, Cart837Error))


@dataclass(frozen=True, slots=True)
class SplitFile:
    """A file pass 1 ran as parts: what pass 2 needs to run them."""

    parts: tuple[Part, ...]
    resumes: tuple[Resume, ...]
    sha256: str
