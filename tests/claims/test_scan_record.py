"""Pass 2 reuses what pass 1 read of a file (issue 14: each byte scanned once), and only for the same bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cart837.claims.stream import FileStream
from cart837.config import Config
from cart837.errors import Code
from cart837.inputs import expand_inputs
from cart837.parallel import RunSettings, build_index
from cart837.results import FileResult, FileStatus
from tests.rules.harness import Patient, wrap
from tests.support import gen837i


def _generated(path: Path, *args: str) -> Path:
    gen837i(
        "--claims", "60", "--seed", "11", "--cart-share", "0.3", "--all-scenarios", "--no-truth", *args, output=path
    )
    return path


def _fix(source: Path, out: Path, *, forget_scans: bool = False) -> FileResult:
    inputs = expand_inputs([str(source)])[0]
    index, failures = build_index(inputs, Config())
    assert not failures
    if forget_scans:
        index.scans.clear()
    return RunSettings(Config(), outdir=out).batch(index).process(0, inputs[0])


def _count_content_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count FileStream._refuse_bad_content calls (the control-byte and SV1 scans)."""
    calls: list[int] = []
    real = FileStream._refuse_bad_content

    def counted(self: FileStream, *args: object) -> None:
        calls.append(1)
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FileStream, "_refuse_bad_content", counted)
    return calls


@pytest.mark.parametrize(
    "args",
    [(), ("--line-ending", "crlf", "--delims", "|>^!", "--interchanges", "2", "--claims-per-st", "7")],
    ids=["plain", "crlf-two-interchanges"],
)
def test_pass_2_with_the_record_writes_what_a_full_scan_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    source = _generated(tmp_path / "in.837", *args)
    full = _fix(source, tmp_path / "full", forget_scans=True)
    checks = _count_content_checks(monkeypatch)
    reused = _fix(source, tmp_path / "reused")
    after_pass_1 = len(checks)
    assert after_pass_1 > 0 and reused.status is FileStatus.CHANGED
    assert (tmp_path / "reused" / "in.837").read_bytes() == (tmp_path / "full" / "in.837").read_bytes()
    assert [f.id for f in reused.findings] == [f.id for f in full.findings] and len(reused.findings) > 0
    assert (reused.claims, reused.sha256_in, reused.sha256_out) == (full.claims, full.sha256_in, full.sha256_out)
    assert reused.claims == 60
    _fix(source, tmp_path / "again", forget_scans=True)
    assert len(checks) > 2 * after_pass_1  # without the record, pass 2 scans the content again


def _same_size_and_time(path: Path, change: tuple[bytes, bytes]) -> None:
    status = path.stat()
    data = path.read_bytes()
    assert len(change[0]) == len(change[1]) and data.count(change[0]) >= 1
    path.write_bytes(data.replace(change[0], change[1], 1))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_bytes_changed_between_the_passes_are_refused_even_with_the_same_size_and_time(tmp_path: Path) -> None:
    source = _generated(tmp_path / "in.837")
    inputs = expand_inputs([str(source)])[0]
    index, _ = build_index(inputs, Config())
    _same_size_and_time(source, (b"~DMG*D8*", b"~DMG*D8*"[:-1] + b"\x01"))  # a control byte pass 1 never saw
    result = RunSettings(Config(), outdir=tmp_path / "out").batch(index).process(0, inputs[0])
    assert result.status is FileStatus.FAILED and result.code == Code.READ.value
    changed = "the file changed while it was being read (between the two passes): nothing was written, run again"
    assert result.error == f"{source}: {changed}"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_file_touched_between_the_passes_is_read_as_new(tmp_path: Path) -> None:
    source = _generated(tmp_path / "in.837")
    inputs = expand_inputs([str(source)])[0]
    index, _ = build_index(inputs, Config())
    data = source.read_bytes()
    at = data.index(b"~DMG*D8*") + 7
    source.write_bytes(data[:at] + b"\x01" + data[at + 1 :])
    status = source.stat()
    os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns + 5_000_000_000))  # a new modification time
    result = RunSettings(Config(), outdir=tmp_path / "out").batch(index).process(0, inputs[0])
    assert result.status is FileStatus.FAILED and result.code == Code.BINARY.value  # pass 2 checked it itself


def test_every_file_keeps_its_record_through_the_merge(tmp_path: Path) -> None:
    plain = tmp_path / "a.837"  # no CAR-T claim: its index is empty, the merge takes the next one over
    gen837i("--claims", "5", "--seed", "3", "--cart-share", "0", "--no-truth", output=plain)
    cart = _generated(tmp_path / "b.837")
    index, failures = build_index(expand_inputs([str(plain), str(cart)])[0], Config())
    assert not failures and sorted(index.scans) == [0, 1]
    assert index.scans[0].claims == 5 and len(index.scans[0].candidates) == 0
    assert index.scans[1].claims == 60 and len(index.scans[1].candidates) > 0


CART_DAY = """
CLM*M1*4900***13:A:1**A*Y*Y
DTP*434*D8*20250501
LX*1
SV2*0874*HC:38228*4000.00*UN*1
LX*2
SV2*0891*HC:Q2041*900.00*UN*1
"""
VISIT = """
CLM*V{n}*400***13:A:1**A*Y*Y
DTP*434*D8*20250502
LX*1
SV2*0510*HC:G0463*400.00*UN*1
"""


def test_segment_numbers_of_claims_pass_1_did_not_read_are_counted_from_its_record(tmp_path: Path) -> None:
    # The patient's visit (no CAR-T code: read in pass 2 only) has a bad charge: the file fails
    # naming its segment, which pass 2 counts from the last segment pass 1 numbered.
    others = [(Patient(member=f"OTHER{n}", last="ROE"), VISIT.format(n=n)) for n in range(30)]
    bad_visit = VISIT.format(n=99).replace("*400.00*UN", "*4O0.00*UN")
    data = wrap([*others[:10], (Patient(), CART_DAY), *others[10:], (Patient(), bad_visit), *others[:3]])
    source = tmp_path / "in.837"
    source.write_bytes(data)
    with_record = _fix(source, tmp_path / "a")
    without = _fix(source, tmp_path / "b", forget_scans=True)
    assert with_record.status is FileStatus.FAILED and with_record.error == without.error
    clm = data.index(b"CLM*V99*")
    assert without.error is not None and f"segment {data.count(b'~', 0, clm) + 1}" in without.error
