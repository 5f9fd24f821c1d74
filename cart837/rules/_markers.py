"""Claim-level markers read by CART-015/016/017: clinical trial, expanded access, notes.

Condition codes (HI BG), value codes (HI BE), diagnoses and NTE02 billing notes of loop 2300
(RULES.md §2.8), as the claim model reads them: this module holds the policy only, never X12.
"""

from __future__ import annotations

from dataclasses import dataclass

from cart837.claims.model import Claim

Z006 = "Z006"  # ICD-10-CM Z00.6, written without the dot in HI
CC_TRIAL, CC_EXPANDED_ACCESS, CC_PAYER_ONLY_ZC = "30", "90", "ZC"
VC_NCT, VC_INVOICE = "D4", "86"
NOTE_EXPANDED_ACCESS = "expand acc use"
NOTE_DIFFERENT_PRODUCT_TRIAL = "diff prod clin trial"


@dataclass(frozen=True, slots=True)
class Markers:
    """What a claim says about trials and expanded access."""

    z006: bool
    cc30: bool
    vc_d4: bool
    cc90: bool
    ea_note: bool
    different_product_trial: bool

    @property
    def trial(self) -> bool:
        """Return whether any clinical-trial marker (Z00.6, CC 30, VC D4) is present."""
        return self.z006 or self.cc30 or self.vc_d4

    @property
    def expanded_access(self) -> bool:
        """Return whether CC 90 or the "Expand Acc Use" note is present."""
        return self.cc90 or self.ea_note

    @property
    def no_cost(self) -> bool:
        """Return whether the product may carry a token charge (CART-015).

        A trial of a *different* product ("Diff Prod Clin Trial") means the product was bought the
        usual way, so its trial markers do not make the product no-cost ([BMS-CT360], [NGS-IP]).
        """
        return (self.trial and not self.different_product_trial) or self.expanded_access

    def trial_missing(self) -> list[str]:
        """Return the trial markers that are absent (all three belong together, CART-017)."""
        present = {"Z00.6": self.z006, "condition code 30": self.cc30, "value code D4": self.vc_d4}
        return [name for name, there in present.items() if not there]


def markers(claim: Claim) -> Markers:
    """Read the trial / expanded-access markers of a claim."""
    notes = [note.lower() for note in claim.notes]
    return Markers(
        z006=any(code.replace(".", "").upper() == Z006 for code in claim.diagnoses),
        cc30=CC_TRIAL in claim.condition_codes,
        vc_d4=any(code == VC_NCT for code, _ in claim.value_codes),
        cc90=CC_EXPANDED_ACCESS in claim.condition_codes,
        ea_note=any(NOTE_EXPANDED_ACCESS in note for note in notes),
        different_product_trial=any(NOTE_DIFFERENT_PRODUCT_TRIAL in note for note in notes),
    )
