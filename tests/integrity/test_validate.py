"""`cart837 validate`: pyx12 on real-world files (BOM, CRLF, A3, X222+X223), 999s, exit codes."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TextIO

import pytest

from cart837 import pyx12_maps, validate
from cart837.errors import ValidationError
from tests.integrity.support import cart837
from tests.support import PUBLIC, gen837i

STUPIDEDI = PUBLIC / "stupidedi"
INTELIGENZ = PUBLIC / "inteligenz-x12parser"
LINUX = PUBLIC / "linuxforhealth-x12"


def test_a_valid_file_exits_0_and_gets_an_accepting_999(tmp_path: Path) -> None:
    result = cart837("validate", str(STUPIDEDI / "ppo-repriced-claim.edi"), "--ack-dir", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout == f"{STUPIDEDI / 'ppo-repriced-claim.edi'}: valid\n"
    ack = (tmp_path / "ppo-repriced-claim.edi.999").read_text()
    assert "AK1*HC*20213*005010X223A2~" in ack
    assert "IK5*A~" in ack and "AK9*A*1*1*1~" in ack


def test_an_invalid_file_exits_1_with_its_errors_and_a_rejecting_999(tmp_path: Path) -> None:
    path = STUPIDEDI / "automobile-accident.edi"
    result = cart837("validate", str(path), "--ack-dir", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}: invalid (1 error)",
        '  byte 479, segment 12 (N4): N403 Data element "Billing Provider Postal Zone or ZIP Code" with a value of '
        '(99998) failed to match the regular expression "[0-9]{9}" [code 7]',  # a provider's ZIP is not PHI
    ]
    ack = (tmp_path / "automobile-accident.edi.999").read_text()
    assert "IK3*N4*10**8~" in ack and "IK4*3*116*7*99998~" in ack and "IK5*R*5~" in ack


def test_show_phi_keeps_the_quoted_value() -> None:
    result = cart837("validate", "--show-phi", str(STUPIDEDI / "automobile-accident.edi"))
    assert "with a value of (99998)" in result.stdout


def test_bom_crlf_indentation_and_gs08_x222_with_st03_x223_are_validated_not_crashed() -> None:
    report = validate.validate_path(INTELIGENZ / "Spec_3.1.1.txt")
    assert report.notes == ("GS08 005010X222 with ST03 005010X223 is an 837I: checked with pyx12's 005010X223A2 map",)
    assert not report.valid
    assert len(report.errors) == 19
    first = report.errors[0]
    assert (first.location.byte_offset, first.location.segment_index, first.location.segment_id) == (534, 12, "N4")
    assert first.element == "N403" and first.code == "7"


def test_x223a3_is_routed_to_the_a2_map_and_said_so(tmp_path: Path) -> None:
    path = LINUX / "two-claims-single-provider.837i"
    result = cart837("validate", str(path), "--ack-dir", str(tmp_path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: invalid (3 errors)"
    assert lines[1] == "  note: GS08 005010X223A3: pyx12 has no map for it; checked with its 005010X223A2 map"
    assert "AK1*HC*1*005010X223A3~" in (tmp_path / "two-claims-single-provider.837i.999").read_text()


@pytest.mark.parametrize(
    ("label", "note"),
    [
        ("005010X223A1", "GS08 005010X223A1: pyx12 has no map for it; checked with its 005010X223A2 map"),
        ("005010X223", "GS08 005010X223: pyx12 has no map for it; checked with its 005010X223A2 map"),
    ],
)
def test_other_x223_labels_validate_like_a2(tmp_path: Path, label: str, note: str) -> None:
    data = gen837i("--claims", "3", "--seed", "11").replace(b"005010X223A2", label.encode())
    report = validate.validate_bytes(data, "x.837")
    assert report.valid, [e.describe() for e in report.errors]
    assert report.notes == (note,)


def test_without_a_pyx12_map_is_an_error_line_and_exit_2() -> None:
    path = PUBLIC / "hccinfhir" / "sample_837_1.txt"
    result = cart837("validate", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        f"cart837: error: {path}: byte 106, segment 2 (GS): pyx12 4.0.0 has no map for this file "
        "(icvn=00401, fic=HC, vriic=005010X223A2)"
    )


def test_one_bad_file_among_good_ones_exits_2_and_the_others_are_still_judged(tmp_path: Path) -> None:
    empty = tmp_path / "empty.837"
    empty.write_bytes(b"")
    result = cart837("validate", str(STUPIDEDI / "ppo-repriced-claim.edi"), str(empty))
    assert result.exit_code == 2
    assert result.stdout == f"{STUPIDEDI / 'ppo-repriced-claim.edi'}: valid\n"
    assert result.stderr.splitlines() == [
        f"cart837: error: {empty}: byte 0: empty input: no X12 data",
        "2 files: 1 valid, 0 invalid, 1 failed",
    ]


def test_non_ascii_bytes_are_an_ig_error_not_a_unicode_crash(tmp_path: Path) -> None:
    data = gen837i("--claims", "2", "--seed", "5").replace(b"BLVD", b"B\xc9VD", 1).replace(b"LN~", b"L\xd1~")
    report = validate.validate_bytes(data, "g.837")
    assert not report.valid
    assert {(e.location.segment_id, e.code) for e in report.errors} == {("N3", "6")}


def test_stdin_is_validated() -> None:
    result = cart837("validate", "-", stdin=(STUPIDEDI / "ppo-repriced-claim.edi").read_bytes())
    assert result.exit_code == 0
    assert result.stdout == "-: valid\n"


def test_a_pyx12_crash_becomes_a_one_line_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args: object, callback: validate._Progress, **_kwargs: object) -> bool:
        callback(None, _Source(3), None, True)
        raise IndexError("list index out of range")

    monkeypatch.setattr(validate.pyx12.x12n_document, "x12n_document", crash)
    with pytest.raises(ValidationError) as caught:
        validate.validate_path(STUPIDEDI / "ppo-repriced-claim.edi", "ppo.edi")
    assert caught.value.one_line() == (
        "ppo.edi: byte 194, segment 4 (BHT): pyx12 4.0.0 crashed (IndexError: list index out of range); "
        "the file cannot be validated"
    )


class _Source:
    def __init__(self, line: int) -> None:
        self.line = line

    def get_cur_line(self) -> int:
        return self.line


def test_a_real_pyx12_crash_is_placed_at_the_segment_it_died_on(tmp_path: Path) -> None:
    data = (STUPIDEDI / "ppo-repriced-claim.edi").read_bytes()
    se_at, ge_at, iea_at = data.index(b"~SE*") + 1, data.index(b"~GE*") + 1, data.index(b"~IEA*") + 1
    swapped = data[:se_at] + data[ge_at:iea_at] + data[se_at:ge_at] + data[iea_at:]  # GE before SE
    path = tmp_path / "swapped.edi"
    path.write_bytes(swapped)
    result = cart837("validate", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"cart837: error: {path}: byte {iea_at}, segment {swapped.count(b'~', 0, iea_at) + 1} (IEA): "
        "pyx12 4.0.0 crashed (IndexError: list index out of range); the file cannot be validated"
    )


@pytest.mark.parametrize(
    ("report", "why"),
    [
        ("", "wrote no error report"),
        ('{"interchanges": [', "wrote an unreadable error report (Expecting value)"),
        ("[]", "wrote an error report that is not a JSON object"),
    ],
)
def test_a_missing_or_undecodable_pyx12_report_is_an_error_not_a_clean_file(
    monkeypatch: pytest.MonkeyPatch, report: str, why: str
) -> None:
    def says_valid(
        _params: object,
        _source: object,
        _ack: object,
        _html: object,
        _xml: object,
        json_out: TextIO,
        *,
        callback: validate._Progress,
        **_kwargs: object,
    ) -> bool:
        callback(None, _Source(3), None, True)
        json_out.write(report)
        return True

    monkeypatch.setattr(validate.pyx12.x12n_document, "x12n_document", says_valid)
    with pytest.raises(ValidationError) as caught:
        validate.validate_path(STUPIDEDI / "ppo-repriced-claim.edi", "ppo.edi")
    assert caught.value.one_line() == (
        f"ppo.edi: byte 194, segment 4 (BHT): pyx12 4.0.0 {why}; the file cannot be validated"
    )


def test_the_routed_maps_are_built_in_the_user_cache_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert pyx12_maps.map_directory().startswith(os.environ["XDG_CACHE_HOME"])  # tests never touch ~/.cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pyx12_maps.map_directory.cache_clear()
    try:
        report = validate.validate_path(STUPIDEDI / "ppo-repriced-claim.edi")
        built = [p.parent.name for p in (tmp_path / "cache" / "cart837").glob("*/maps.xml")]
        assert report.valid and len(built) == 1 and built[0].startswith("pyx12-maps-")
        assert list((tmp_path / "cache" / "cart837").iterdir()) == [tmp_path / "cache" / "cart837" / built[0]]
        monkeypatch.setenv("XDG_CACHE_HOME", str(STUPIDEDI / "ppo-repriced-claim.edi"))  # a file: no cache there
        pyx12_maps.map_directory.cache_clear()
        private = pyx12_maps.map_directory()
        assert Path(private, "maps.xml").is_file() and not private.startswith(str(STUPIDEDI))
    finally:
        pyx12_maps.map_directory.cache_clear()


def _generated(tmp_path: Path, *edits: tuple[bytes, bytes]) -> Path:
    data = gen837i("--claims", "12", "--seed", "7")
    for old, new in edits:
        assert old in data, old
        data = data.replace(old, new)
    path = tmp_path / "g.837"
    path.write_bytes(data)
    return path


def test_errors_name_the_claim_and_show_provider_data_but_not_patient_data(tmp_path: Path) -> None:
    """Issue 12: a provider's ZIP is not PHI (shown); a subscriber's is (redacted); each names its claim."""
    data = gen837i("--claims", "12", "--seed", "7")
    provider_zip = data.split(b"NM1*85*", 1)[1].split(b"N4*", 1)[1].split(b"~", 1)[0].split(b"*")[2]
    subscriber_n4 = data.split(b"NM1*IL*", 1)[1].split(b"N4*", 1)[1].split(b"~", 1)[0]
    too_long = b"N4*" + subscriber_n4 + b"77777777777777777777~"
    path = _generated(tmp_path, (b"*" + provider_zip + b"~", b"*1234~"), (b"N4*" + subscriber_n4 + b"~", too_long))
    report = validate.validate_path(path)
    lines = [error.describe() for error in report.errors]
    assert any("with a value of (1234)" in line and "claim" not in line for line in lines), lines
    patient = [line for line in lines if "[redacted]" in line]
    assert patient and all(", claim PCN" in line for line in patient), lines
    assert not any("77777777777777777777" in line for line in lines)


def test_repeated_errors_are_grouped_with_their_claims(tmp_path: Path) -> None:
    path = _generated(tmp_path, (b"*UN*", b"*ZZ*"))
    result = cart837("validate", str(path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    first = [line for line in lines if "SV204 (ZZ) is not a valid code" in line]
    assert len(first) == 1 and ", claim PCN" in first[0]
    more = lines[lines.index(first[0]) + 1]
    assert re.fullmatch(r"    … and \d+ more like it \(claims PCN\w+(, PCN\w+){4}, …\)", more), more
    assert len(lines) < 10
