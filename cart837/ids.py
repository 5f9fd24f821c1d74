"""Ids that are all strings and easy to mix up: each has its own type, so mypy tells them apart.

The lowest layer: anything may name them, and importing them loads nothing else.
"""

from __future__ import annotations

from typing import NewType

__all__ = ["ClaimId", "FindingId", "PatientKey", "PayerId", "RuleId"]

RuleId = NewType("RuleId", str)  # "CART-005": a rule's registry key and `[rules]` entry
FindingId = NewType("FindingId", str)  # 16 lowercase hex (rules/ids.py): what --skip/--only/decisions name
ClaimId = NewType("ClaimId", str)  # CLM01
PatientKey = NewType("PatientKey", str)  # "P" + 16 hex of the hashed identity, never PHI
PayerId = NewType("PayerId", str)  # 2010BB NM1*PR NM109: the key of `[payers."ID"]`
