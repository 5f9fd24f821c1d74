"""Finding ids (DESIGN.md, Finding ids): stable hashes of where a finding is in the input.

An id is computed from the input alone (the file's sha256, the claim's envelope and position,
the input LX, the rule, the proposed action, an ordinal), never from what other findings did,
so a rejected fix cannot move the ids of the others and a decisions file replays byte for byte.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from cart837.ids import ClaimId, FindingId, RuleId

FILE_TAG_LENGTH = 4  # the id starts with the file's sha256 prefix: an id names its file
ID_LENGTH = 16
ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
_SEPARATOR = "\x1f"

# A claim's review: told a finding's id and whether it would be a fix, it says whether the fix
# is rejected (and records that the id was seen).
Review = Callable[[FindingId, bool], bool]


@dataclass(frozen=True, slots=True)
class ClaimScope:
    """Where one claim sits in its input: what every finding id of the claim hashes."""

    file_sha256: str
    interchange: str  # ISA13
    group: str  # GS06
    transaction: str  # ST02 (repeats across interchanges)
    claim: ClaimId  # CLM01
    position: int  # the CLM's segment number within its transaction (ST = 1)
    occurrence: int = 1  # > 1 only when a file repeats a claim under the same envelope numbers

    def finding_id(self, line: int | None, rule: RuleId, action: str, ordinal: int) -> FindingId:
        """Return the id of the `ordinal`-th finding of `rule`/`action` on input LX `line` (None: the claim)."""
        parts = [
            self.file_sha256,
            self.interchange,
            self.group,
            self.transaction,
            self.claim,
            str(self.position),
            "claim" if line is None else str(line),
            rule,
            action,
            str(ordinal),
        ]
        if self.occurrence > 1:
            parts.append(f"occurrence {self.occurrence}")
        digest = hashlib.sha256(_SEPARATOR.join(parts).encode("utf-8")).hexdigest()
        return FindingId(self.file_sha256[:FILE_TAG_LENGTH] + digest[: ID_LENGTH - FILE_TAG_LENGTH])


def is_finding_id(text: str) -> bool:
    """Return whether `text` has the form of a finding id (16 lowercase hex digits)."""
    return ID_PATTERN.match(text) is not None
