"""The "nothing lost" properties, checked on one input by an X12 reader independent of cart837.

Whatever rules exist (they land one by one), a fix must: keep every claim's total line charge,
leave CLM02 = sum of SV203 (or leave an already-inconsistent claim alone), keep SE01/GE01/IEA01
right, change only claims a fixed finding names (others byte-identical), be idempotent byte for
byte, and never give pyx12 an error the input did not have.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cart837.batch import Batch
from cart837.config import Config
from cart837.inputs import expand_inputs
from cart837.parallel import build_index
from cart837.results import FileResult, FileStatus, RunMode
from cart837.rules.engine import Engine
from cart837.validate import validate_bytes
from cart837.validate_gate import new_errors
from tests.integrity.support import LiteFile, envelope_problems


@dataclass(frozen=True)
class Fixed:
    """One `fix` run on bytes: the output (None when refused) and what was reported."""

    output: bytes | None
    result: FileResult


def fix_bytes(data: bytes, config: Config | None = None) -> Fixed:
    """Run pass 1 and pass 2 on `data` as a one-file batch, in a throw-away folder."""
    config = config or Config()
    with tempfile.TemporaryDirectory(prefix="cart837-prop-") as folder:
        source = Path(folder) / "in" / "claims.837"
        source.parent.mkdir()
        source.write_bytes(data)
        inputs, _ = expand_inputs([str(source)])
        index, failures = build_index(inputs, config)
        if failures:
            return Fixed(None, FileResult(str(source), FileStatus.FAILED, error=failures[0].one_line()))
        batch = Batch(config, Engine(config), index, RunMode.FIX, outdir=Path(folder) / "out")
        result = batch.process(0, inputs[0])
        produced = Path(folder) / "out" / "claims.837"
        return Fixed(produced.read_bytes() if result.output else None, result)


def check_nothing_lost(data: bytes, *, with_pyx12: bool = True, config: Config | None = None) -> Fixed:
    """Assert every property on one input under `config` (any rule modes); return the first fix."""
    first = fix_bytes(data, config)
    assert first.output is not None, first.result.error
    out = first.output
    before, after = LiteFile.parse(data), LiteFile.parse(out)
    assert envelope_problems(out) == []
    assert len(after.claims) == len(before.claims)
    changed_ids = {f.claim for f in first.result.findings if f.fixed}
    for old, new in zip(before.claims, after.claims, strict=True):
        claim_id = old.id
        assert sum(new.charges, Decimal(0)) == sum(old.charges, Decimal(0)), claim_id
        if old.clm02 != sum(old.charges, Decimal(0)):
            assert new.raw == old.raw, f"claim {claim_id}: CLM02 != sum of SV203 in the input, yet changed"
        else:
            assert new.clm02 == sum(new.charges, Decimal(0)), claim_id
        if claim_id not in changed_ids:
            assert new.raw == old.raw, f"claim {claim_id} has no fixed finding but changed"
    assert (out == data) == (not changed_ids)
    again = fix_bytes(out, config)
    assert again.output == out, "fix is not idempotent"
    if with_pyx12:
        check_no_new_ig_errors(data, out)
    return first


def check_no_new_ig_errors(data: bytes, out: bytes) -> None:
    """pyx12: the output has no error its input lacks (so a valid input gives a valid output)."""
    if out == data:
        return
    before, after = validate_bytes(data, "in.837"), validate_bytes(out, "out.837")
    assert [e.describe() for e in new_errors(before, after)] == []
    assert after.valid or not before.valid
