"""Wrap 2300/2400 segments in a standard 837I envelope (tests.support's builder) and run the real pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cart837.batch import Batch
from cart837.config import Config, from_mapping
from cart837.inputs import expand_inputs
from cart837.parallel import build_index
from cart837.results import FileResult, RunMode
from cart837.rules import known_rules
from cart837.rules.engine import Engine
from tests.support import Loop, Person, Style, Subscriber, interchange


@dataclass(frozen=True)
class Patient:
    """The subscriber (= patient) a case's claims belong to (the `patient` table of a case)."""

    member: str = "MEMBER001"
    last: str = "DOE"
    first: str = "JANE"
    filing: str = "MA"
    payer: str = "00000"

    def subscriber(self) -> Subscriber:
        """Return the builder's subscriber for this patient."""
        return Subscriber(self.member, Person(self.last, self.first), self.filing, self.payer)


def wrap(claims: list[tuple[Patient, str]]) -> bytes:
    """Return a whole 837I file holding each (patient, claim segments) under its own 2000B."""
    return interchange(Style(), 1, [[Loop(patient.subscriber(), (segments,)) for patient, segments in claims]])


def config_of(raw: dict[str, Any] | None) -> Config:
    """Return the configuration of a case (defaults plus its partial table)."""
    return from_mapping(raw or {}, known_rules(), "case") if raw else Config()


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
