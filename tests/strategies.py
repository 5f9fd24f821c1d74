"""Hypothesis strategies for X12 files: any delimiters, whitespace after terminators, BOM, several ISAs."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from tests.support import CART_CLAIM, DEPENDENT_CLAIM, PLAIN_CLAIM, Style, interchange

BOM = b"\xef\xbb\xbf"
# Bytes real files use as delimiters, plus control characters; never letters, digits, space, "." or "-",
# which occur in the data.
CANDIDATES = "*|^>!:~+`{}#%;=?\\\x1c\x1d\x1e\x1f"
SUFFIXES = ("", "\n", "\r\n", "\r", "  ", "\r\n  ", "\n\t", "\n    ", "\r\n\r\n")
POOL = [
    replace(base, id=f"C{n}{base.id}", member=f"M{n:03d}", same_patient=n >= 6)
    for n, base in enumerate([CART_CLAIM, PLAIN_CLAIM, DEPENDENT_CLAIM] * 3)
]  # the last three join the loop of the claim before them (several claims in one 2000B/2000C)


@st.composite
def styles(draw: st.DrawFn) -> Style:
    """Draw four usable delimiters and the whitespace written after each terminator."""
    terminator = draw(st.sampled_from(CANDIDATES + "\n\r"))
    rest = [c for c in CANDIDATES if c != terminator]
    element, component, repetition = draw(st.permutations(rest))[:3]
    repetition = draw(st.sampled_from([repetition, "U", component]))  # "U"/= ISA16: no repetition separator
    suffixes = draw(st.lists(st.sampled_from([s for s in SUFFIXES if terminator not in s]), min_size=1, max_size=4))
    return Style(element, component, repetition, terminator, tuple(suffixes))


@st.composite
def files(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, str]]]:
    """Draw a file of 1-3 interchanges, each with its own style; return it and (claim id, member) in order."""
    parts: list[bytes] = [BOM] if draw(st.booleans()) else []
    parts.append(draw(st.sampled_from(["", "\r\n", "\n  "])).encode())
    claims: list[tuple[str, str]] = []
    for control in range(1, draw(st.integers(1, 3)) + 1):
        style = draw(styles())
        transactions = draw(st.lists(st.lists(st.sampled_from(POOL), min_size=1, max_size=4), min_size=1, max_size=2))
        parts.append(interchange(style, control, transactions))
        for specs in transactions:
            member = ""
            for spec in specs:
                member = member if spec.same_patient and member else spec.member  # as the builder nests them
                claims.append((spec.id, member))
    return b"".join(parts), claims
