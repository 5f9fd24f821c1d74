"""Pass 1: the episode index, all CAR-T-relevant lines per (patient key, date of service).

Memory grows with CAR-T lines only: claims without a CAR-T-relevant code are never built
(DESIGN.md, Scale).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from cart837.claims.model import Claim
from cart837.codes.tables import CART_REVENUE_CODES, CodeKind, CodeTable, Step

ClaimRef = tuple[int, int]  # (file number in the run, byte offset of CLM)


@dataclass(frozen=True, slots=True)
class EpisodeLine:
    """One CAR-T-relevant line of some claim of the run."""

    claim: ClaimRef
    claim_id: str
    line: int
    code: str
    step: Step | None
    product: bool
    bill_type: str


@dataclass(slots=True)
class EpisodeIndex:
    """(patient key, date) -> CAR-T-relevant lines, across every file of the run."""

    lines: dict[tuple[str, date], list[EpisodeLine]] = field(default_factory=lambda: defaultdict(list))
    member_ids: set[str] = field(default_factory=set)
    patients: set[str] = field(default_factory=set)

    def add_claim(self, claim: Claim, ref: ClaimRef, codes: CodeTable) -> None:
        """Record a claim's CAR-T-relevant lines that have a patient and a date."""
        key = claim.patient.key
        if key is None:
            return
        for line in claim.lines:
            if not is_cart_relevant(line.code, line.revenue_code, codes) or line.date is None:
                continue
            self.patients.add(key)
            self.member_ids.add(claim.patient.member_id)
            self.lines[(key, line.date)].append(
                EpisodeLine(
                    ref, claim.id, line.number, line.code, codes.step(line.code),
                    codes.kind(line.code) is CodeKind.PRODUCT, claim.bill_type,
                )
            )

    def view(self, patient: str | None, claim: ClaimRef) -> EpisodeView:
        """Return what one claim may know of its patient's other claims."""
        return EpisodeView(self, patient, claim)


def is_cart_relevant(code: str, revenue_code: str, codes: CodeTable) -> bool:
    """RULES.md §3: a step code, a product code, or revenue code 0871-0874/0891/0892."""
    return revenue_code in CART_REVENUE_CODES or codes.kind(code) in (CodeKind.STEP, CodeKind.PRODUCT)


@dataclass(frozen=True, slots=True)
class EpisodeView:
    """The episode lines of one patient, seen from one claim."""

    index: EpisodeIndex
    patient: str | None
    claim: ClaimRef

    def lines_on(self, day: date) -> list[EpisodeLine]:
        """Return every claim's CAR-T-relevant lines of this patient on `day`."""
        if self.patient is None:
            return []
        return self.index.lines.get((self.patient, day), [])

    def other_claims_on(self, day: date) -> list[EpisodeLine]:
        """Return the lines of this patient's *other* claims on `day`."""
        return [line for line in self.lines_on(day) if line.claim != self.claim]

    def administration_elsewhere(self, day: date) -> bool:
        """Return whether another claim of the patient has a CAR-T administration on `day`."""
        return any(line.step is Step.ADMINISTRATION for line in self.other_claims_on(day))

    def step_elsewhere(self, step: Step, day: date, exclude_inpatient: bool = True) -> list[EpisodeLine]:
        """Return other claims' lines of `step` on `day` (11x claims left out by default)."""
        return [
            line
            for line in self.other_claims_on(day)
            if line.step is step and not (exclude_inpatient and line.bill_type.startswith("11"))
        ]
