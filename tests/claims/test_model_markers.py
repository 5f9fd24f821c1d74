"""What rules read from 2300 HI, NTE and REF is read by the claim model (issue 15 item 2)."""

from __future__ import annotations

from tests.rules.harness import Patient, wrap
from tests.support import read_claims

CLAIM = """
CLM*M1*4000***13:A:7**A*Y*Y
DTP*434*D8*20250501
REF*F8*21025234108822
NTE*ADD*EXPAND ACC USE PER PROTOCOL
HI*ABK:C8330
HI*BG:30*BG:90
LX*1
SV2*0874*HC:38228*4000*UN*1
"""


def test_claim_reads_hi_nte_and_ref_for_the_rules() -> None:
    (claim,) = read_claims(wrap([(Patient(), CLAIM)]))
    assert claim.payer_claim_control_number() == "21025234108822"
    assert claim.payer_claim_control_segment() == "REF*F8*21025234108822~"
    assert claim.note_segment("Expand Acc Use") == "NTE*ADD*EXPAND ACC USE PER PROTOCOL~"
    assert claim.note_segment("Diff Prod Clin Trial") is None
    assert claim.condition_code_segment("90") == "HI*BG:30*BG:90~"
    assert claim.condition_code_segment("ZC") is None
    assert claim.lines[0].unit_basis == "UN"


def test_a_claim_without_them_answers_none() -> None:
    bare = CLAIM.replace("REF*F8*21025234108822\n", "").replace("HI*BG:30*BG:90\n", "")
    (claim,) = read_claims(wrap([(Patient(), bare)]))
    assert claim.payer_claim_control_number() is None and claim.payer_claim_control_segment() is None
    assert claim.condition_code_segment("90") is None
