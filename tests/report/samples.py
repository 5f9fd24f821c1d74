"""Small 837I files with CAR-T findings, and PHI canaries: unique strings that must never leak."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import Loop, Person, Style, Subscriber, interchange

DATA = Path(__file__).parent / "data"
SAMPLE_REPORT = DATA / "sample-report.json"  # schema 2
SAMPLE_REPORT_SCHEMA1 = DATA / "sample-report-schema1.json"  # a report of the first release

# Every identifying value of both patients is a string found nowhere else in the file.
CANARIES = {
    "subscriber_last": "QXSUBLASTCANARY",
    "subscriber_first": "QXSUBFIRSTCANARY",
    "member_id": "QXMEMBERCANARY7781",
    "subscriber_dob": "19170305",
    "subscriber_street": "QX 77 CANARY LANE",
    "subscriber_city": "QXCANARYVILLE",
    "subscriber_zip": "QXZIPCANARY1",
    "dependent_last": "QXDEPLASTCANARY",
    "dependent_first": "QXDEPFIRSTCANARY",
    "dependent_dob": "19230611",
    "dependent_street": "QX 88 SPARROW ROAD",
    "dependent_city": "QXSPARROWTOWN",
    "dependent_zip": "QXZIPCANARY2",
}
# Shown with --show-phi (the reader keeps no address, so addresses never appear anywhere).
SHOWN_WITH_PHI = ("subscriber_last", "subscriber_first", "member_id", "subscriber_dob", "dependent_last")


def cart_claim(claim_id: str, day: str = "20250304") -> str:
    """Return a 2300 claim with two same-day collections (CART-002) and 2 administration units (CART-003)."""
    return f"""CLM*{claim_id}*8000.00***13:A:1**A*Y*Y~
DTP*434*RD8*{day}-{day}~
HI*ABK:C8330~
LX*1~
SV2*0871*HC:38225*1800.00*UN*1~
DTP*472*D8*{day}~
LX*2~
SV2*0871*HC:38225*2000.00*UN*1~
DTP*472*D8*{day}~
LX*3~
SV2*0874*HC:38228*4000.00*UN*2~
DTP*472*D8*{day}~
LX*4~
SV2*0891*HC:Q2056*200.00*UN*1~
DTP*472*D8*{day}~
"""


def canary_837(subscriber_claim: str = "CLAIMSUB1", dependent_claim: str = "CLAIMDEP1") -> bytes:
    """Return an 837I whose subscriber and dependent (2000C) both have CAR-T claims to fix."""
    loop = Loop(
        Subscriber(CANARIES["member_id"], Person(**_person("subscriber_")), "CI", "00000"),
        (cart_claim(subscriber_claim),),
        ((Person(**_person("dependent_"), sex="M"), (cart_claim(dependent_claim, "20250305"),)),),
    )
    return interchange(Style(), 1, [[loop]])


def _person(prefix: str) -> dict[str, str]:
    """Return one canary person's fields for Person (`subscriber_last` -> `last`)."""
    return {key.removeprefix(prefix): value for key, value in CANARIES.items() if key.startswith(prefix)}


def clean_837() -> bytes:
    """Return an 837I with nothing to fix: other patients, one collection a day, one unit."""
    data = canary_837("CLEAN1", "CLEAN2").replace(b"QX", b"ZZ").replace(b"19", b"18").replace(b"UN*2~", b"UN*1~")
    return data.replace(b"SV2*0871*HC:38225*2000.00", b"SV2*0300*HC:85025*2000.00")  # the 2nd line is lab work


def sample_report() -> dict[str, Any]:
    """Return the hand-written schema-2 sample (fixes, flags, a claim-level flag, odd characters,
    a collapse with its removed line, a held claim, a work list, payer overrides)."""
    loaded: dict[str, Any] = json.loads(SAMPLE_REPORT.read_text(encoding="utf-8"))
    return loaded


def sample_report_schema1() -> dict[str, Any]:
    """Return the schema-1 sample: a report of the first release, still read by `cart837 report`."""
    loaded: dict[str, Any] = json.loads(SAMPLE_REPORT_SCHEMA1.read_text(encoding="utf-8"))
    return loaded
