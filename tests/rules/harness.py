"""Wrap 2300/2400 segments in a standard 837I envelope and run the real pipeline on them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cart837.batch import Batch, expand_inputs
from cart837.config import Config, from_mapping
from cart837.parallel import build_index
from cart837.results import FileResult, RunMode
from cart837.rules import all_rules
from cart837.rules.engine import Engine

HEAD = """ISA*00*          *00*          *ZZ*CART837TEST    *ZZ*RECEIVER       *250301*1200*^*00501*000000001*0*T*:~
GS*HC*CART837TEST*RECEIVER*20250301*1200*1*X*005010X223A2~
ST*837*0001*005010X223A2~
BHT*0019*00*BATCH1*20250301*1200*CH~
NM1*41*2*TEST SUBMITTER*****46*SUB01~
PER*IC*EDI*TE*5555550100~
NM1*40*2*TEST RECEIVER*****46*REC01~
HL*1**20*1~
NM1*85*2*TEST HOSPITAL*****XX*1234567893~
N3*1 MAIN ST~
N4*NASHVILLE*TN*372030000~
REF*EI*123456789~
"""
SUBSCRIBER = """HL*{hl}*1*22*0~
SBR*P*18*******{filing}~
NM1*IL*1*{last}*{first}****MI*{member}~
N3*2 ELM ST~
N4*NASHVILLE*TN*372030000~
DMG*D8*19600101*F~
NM1*PR*2*TEST PAYER*****PI*{payer}~
"""
TAIL = "SE*{count}*0001~\nGE*1*1~\nIEA*1*000000001~\n"


@dataclass(frozen=True)
class Patient:
    """The subscriber (= patient) a case's claims belong to."""

    member: str = "MEMBER001"
    last: str = "DOE"
    first: str = "JANE"
    filing: str = "MA"
    payer: str = "00000"


def wrap(claims: list[tuple[Patient, str]]) -> bytes:
    """Return a whole 837I file holding each (patient, claim segments) under its own 2000B."""
    body = HEAD
    for number, (patient, segments) in enumerate(claims, start=2):
        body += SUBSCRIBER.format(hl=number, **vars(patient)) + _normalise(segments)
    count = body.count("~") - 2 + 1  # ST..SE: every terminator after GS, plus the SE itself
    return (body + TAIL.format(count=count)).encode("latin-1")


def _normalise(segments: str) -> str:
    lines = [line.strip() for line in segments.strip().splitlines() if line.strip()]
    return "".join(line if line.endswith("~") else line + "~" for line in (ln + "\n" for ln in lines)).replace(
        "\n~", "~\n"
    )


def config_of(raw: dict[str, Any] | None) -> Config:
    """Return the configuration of a case (defaults plus its partial table)."""
    known = {r.id: r.modes for r in all_rules()}
    return from_mapping(raw or {}, known, "case") if raw else Config()


def run_fix(
    data: bytes, tmp: Path, config: Config, name: str = "case.837", only: frozenset[str] | None = None
) -> tuple[bytes, FileResult]:
    """Run `cart837 fix` on `data` through the library and return (output bytes, result)."""
    source = tmp / "in" / name
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(data)
    inputs, _ = expand_inputs([str(source)])
    index, failures = build_index(inputs, config)
    assert not failures, {k: v.one_line() for k, v in failures.items()}
    batch = Batch(config, Engine(config, only), index, RunMode.FIX, outdir=tmp / "out")
    result = batch.process(0, inputs[0])
    assert result.error is None, result.error
    return (tmp / "out" / name).read_bytes(), result


def line_charges(data: bytes) -> Decimal:
    """Return the sum of SV203 over a file."""
    total = Decimal(0)
    for segment in data.decode("latin-1").replace("\n", "").split("~"):
        if segment.startswith("SV2*"):
            total += Decimal(segment.split("*")[3])
    return total
