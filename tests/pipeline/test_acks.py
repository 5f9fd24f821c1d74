"""Issue 16 item 6: fix --validate --ack-dir acknowledges every input pyx12 validated (real processes)."""

from __future__ import annotations

import re
from pathlib import Path

from cart837.validate import validate_path
from tests.pipeline.support import CHANGING, CLEAN, SE01_WRONG, copy_batch, run


def _isa13(ack: str) -> str:
    return ack[:106].split(ack[3])[13]


def _body(ack: str) -> list[str]:
    """The 999 transaction set itself (ST..SE): what pyx12 states about the file."""
    segments = [s.strip() for s in ack.split("~") if s.strip()]
    start = next(i for i, s in enumerate(segments) if s.startswith("ST"))
    end = next(i for i, s in enumerate(segments) if s.startswith("SE"))
    return segments[start : end + 1]


def test_fix_validate_writes_a_999_per_input_and_a_ta1_for_an_unreadable_interchange(tmp_path: Path) -> None:
    batch = copy_batch(tmp_path / "in", {"car-t.837": CHANGING, "sub/clean.edi": CLEAN, "se01.txt": SE01_WRONG})
    truncated = batch / "truncated.837"
    truncated.write_bytes(CLEAN.read_bytes()[:106])  # an ISA and nothing more: pyx12 writes no 999 for it
    acks = tmp_path / "acks"
    done = run("fix", str(batch), "-o", str(tmp_path / "out"), "--validate", "--ack-dir", str(acks))
    assert done.code == 2, done.stderr
    written = sorted(p.relative_to(acks).as_posix() for p in acks.rglob("*") if p.is_file())
    assert written[:3] == ["car-t.837.999", "se01.txt.999", "sub/clean.edi.999"]
    assert written[3] == "truncated.837.ta1"
    texts = [(acks / name).read_text() for name in written]
    assert len({_isa13(text) for text in texts}) == len(texts)  # each acknowledgment its own ISA13
    for name, text in zip(written, texts, strict=True):
        trailer = re.search(r"IEA\*\d+\*(\d+)~", text)
        assert trailer is not None and trailer.group(1) == _isa13(text), name
    for name in ("car-t.837", "sub/clean.edi"):  # pyx12's own statement, nothing added
        assert _body((acks / f"{name}.999").read_text()) == _body(validate_path(batch / name).ack)
    isa = CLEAN.read_text()[:106].split("*")
    assert f"TA1*{isa[13]}*{isa[9]}*{isa[10]}*R*023~" in texts[3]  # rejected: premature end of the interchange


def test_validate_gives_each_999_of_a_run_its_own_isa13(tmp_path: Path) -> None:
    batch = copy_batch(tmp_path / "in", {"a.837": CHANGING, "b.edi": CLEAN, "c.837": CHANGING})
    acks = tmp_path / "acks"
    done = run("validate", str(batch), "--ack-dir", str(acks))
    assert done.code in (0, 1), done.stderr
    numbers = [_isa13((acks / f"{name}.999").read_text()) for name in ("a.837", "b.edi", "c.837")]
    assert len(set(numbers)) == 3
