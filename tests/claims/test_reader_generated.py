"""The claim model agrees with gen837i.py's ground truth (.truth.json) in every output mode."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cart837.claims.model import Claim
from tests.support import generate, read_claims

MODES: list[dict[str, Any]] = [
    {"line_ending": "lf"},
    {"line_ending": "none", "delims": "|^>\n"},
    {"line_ending": "crlf", "delims": "!>^~", "interchanges": 3, "claims_per_st": 2},
    {"line_ending": "none", "delims": "\x1d\x1e\x1f\x1c", "claims_per_st": 1},
    {"line_ending": "lf", "scenarios": ("patient_2000c", "clinical_trial")},
    {"line_ending": "crlf", "scenarios": ("expanded_access", "kx_present", "split_dose_q2058")},
    {"line_ending": "lf", "scenarios": ("cross_claim_episode", "wrong_era_code"), "interchanges": 2},
]
ADMINISTRATION = {"0540T", "38228"}


def _truth(path: Path) -> dict[str, Any]:
    return json.loads(path.with_name(path.name + ".truth.json").read_text())  # type: ignore[no-any-return]


def _day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


@pytest.mark.parametrize("mode", MODES, ids=[repr(m) for m in MODES])
@pytest.mark.parametrize("chunk", [None, 200])
def test_generated_claims_match_truth(mode: dict[str, Any], chunk: int | None) -> None:
    path = generate(claims=25, seed=23, cart_share=0.6, **mode)
    truth = _truth(path)["claims"]
    claims = read_claims(path.read_bytes(), chunk_size=chunk)
    assert [c.id for c in claims] == list(truth)
    for claim in claims:
        _check(claim, truth[claim.id])


def _check(claim: Claim, want: dict[str, Any]) -> None:
    assert claim.patient.key == want["patient_key"]
    assert claim.bill_type == want["bill_type"]
    assert claim.total == Decimal(want["total"]) == claim.line_charges()
    assert len(claim.lines) == want["n_lines"]
    assert [line.number for line in claim.lines] == list(range(1, want["n_lines"] + 1))
    assert claim.filing_code == want["payer_filing"]
    assert claim.payer_id != ""
    assert claim.transaction == want["st"]
    assert claim.interchange.lstrip("0") == want["interchange"].lstrip("0")
    assert (claim.statement_from, claim.statement_to) == (_day(want["dos"][0]), _day(want["dos"][1]))
    assert claim.diagnoses[0] == want["dx"].replace(".", "")
    assert claim.condition_codes == tuple(want.get("condition_codes", ()))
    assert dict(claim.value_codes) == want.get("value_codes", {})
    if "billing_note" in want:
        assert want["billing_note"] in claim.notes
    for modifier, numbers in want.get("clinical_trial", {}).get("modifier_lines", {}).items():
        assert all(modifier in claim.line(n).modifiers for n in numbers)
    if "kx_present" in want["scenarios"]:
        admin = [line for line in claim.lines if line.code in ADMINISTRATION]
        assert admin and all("KX" in line.modifiers for line in admin)
    for line in claim.lines:
        assert line.sv2.element(2).startswith("HC") or line.code == ""
        if line.date is None:
            assert line.date_problem
