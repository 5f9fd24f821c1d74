"""The regular expressions one FileStream scans a chunk with, built once per delimiters and Interest."""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache

from cart837.claims.events import Interest
from cart837.claims.fields import HI_PROCEDURE
from cart837.x12.delimiters import Delimiters

_WS = rb"[ \t\r\n]*"


@dataclass(frozen=True, slots=True)
class Patterns:
    envelope: re.Pattern[bytes]  # and SV1, which the same scan finds at no extra cost
    boundary: re.Pattern[bytes]
    claim: re.Pattern[bytes]
    binary: re.Pattern[bytes]
    banned: bytes  # the bytes `binary` matches, for a quick translate() check first
    hits: re.Pattern[bytes] | None
    subscriber: re.Pattern[bytes] | None
    # `subscriber` without the terminator before it: a literal start the regex engine finds ~2x
    # faster; a match whose id is of interest is then checked to start a segment.
    subscriber_anywhere: re.Pattern[bytes] | None
    members: frozenset[bytes] | None  # the member ids as bytes, when they are a plain set


@lru_cache(maxsize=64)
def banned_bytes(delimiters: Delimiters) -> bytes:
    """Return the control bytes that may not appear in segment data (all but tab, CR, LF and delimiters)."""
    allowed = {9, 10, 13} | {d[0] for d in (delimiters.segment, delimiters.element, delimiters.component)}
    if delimiters.repetition:
        allowed.add(delimiters.repetition[0])
    return bytes(b for b in [*range(0, 32), 127] if b not in allowed)


@lru_cache(maxsize=64)
def scan_patterns(delimiters: Delimiters, interest: Interest) -> Patterns:
    term, sep, comp = (re.escape(d) for d in (delimiters.segment, delimiters.element, delimiters.component))
    start = term + _WS
    stop = b"[" + term + sep + comp + b"]"
    plain = b"[^" + term + sep + b"]*"
    alternatives: list[bytes] = []
    if interest.revenue_codes:
        revs = b"|".join(re.escape(c.encode()) for c in sorted(interest.revenue_codes))
        alternatives.append(b"(?:" + revs + b")" + stop)
    if interest.procedure_codes:
        codes = b"|".join(re.escape(c.encode()) for c in sorted(interest.procedure_codes))
        alternatives.append(plain + sep + b"[^" + term + sep + comp + b"]*" + comp + b"(?:" + codes + b")" + stop)
    branches = [b"SV2" + sep + b"(?:" + b"|".join(alternatives) + b")"] if alternatives else []
    if interest.icd_procedure_codes:
        qualifiers = b"|".join(q.encode() for q in sorted(HI_PROCEDURE))
        pcs = b"|".join(re.escape(c.encode()) for c in sorted(interest.icd_procedure_codes))
        branches.append(sep + b"(?:" + qualifiers + b")" + comp + b"(?:" + pcs + b")" + stop)
    hits = re.compile(b"|".join(branches)) if branches else None
    subscriber = subscriber_anywhere = None
    if interest.member_ids:
        # NM102..NM108 come before the member id NM109
        nm1 = b"NM1" + sep + b"IL" + sep + b"(?:" + plain + sep + b"){7}(" + plain + b")"
        subscriber, subscriber_anywhere = re.compile(start + nm1), re.compile(nm1)
    banned = banned_bytes(delimiters)
    return Patterns(
        envelope=re.compile(start + b"(ISA|IEA|GS|GE|ST|SE|SV1)" + sep),
        boundary=re.compile(start + b"(HL|CLM|ISA|IEA|GS|GE|ST|SE)" + sep),
        claim=re.compile(start + b"CLM" + sep),
        binary=re.compile(b"[" + b"".join(re.escape(bytes([b])) for b in banned) + b"]"),
        banned=banned,
        hits=hits,
        subscriber=subscriber,
        subscriber_anywhere=subscriber_anywhere,
        members=_as_bytes(interest.member_ids),
    )


def _as_bytes(member_ids: Container[str]) -> frozenset[bytes] | None:
    """Return the member ids encoded as the stream reads them, or None when only `in` can ask."""
    if isinstance(member_ids, set | frozenset):
        strings: frozenset[str] | None = frozenset(member_ids)
    else:
        small_set = getattr(member_ids, "small_set", None)  # the episode index's MemberIds
        strings = small_set() if small_set is not None else None
    return None if strings is None else frozenset(text.encode("latin-1") for text in strings)


def first_control_byte(buf: bytes, lo: int, hi: int, patterns: Patterns) -> re.Match[bytes] | None:
    """Return the first banned control byte in buf[lo:hi], if any."""
    step = 1 << 20  # translate() copies: 1 MB at a time keeps that small
    for start in range(lo, hi, step):
        region = buf[start : min(start + step, hi)]
        if len(region.translate(None, patterns.banned)) < len(region):
            # translate() rules them out at ~1 GB/s; the regex (~0.3 GB/s) only locates one
            return patterns.binary.search(buf, start, hi)
    return None
