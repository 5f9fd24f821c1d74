"""Issue 12: `fix --hold DIR` and the CLI habits (-h, -V, report names, -o FILE, empty folders)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cart837.cli import main
from tests.cli.terminal import run_cli
from tests.support import generate, pyx12_valid

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo"
CART_FILES = sorted(p.name for p in DEMO.glob("cart-*.837"))


def _claims(data: bytes) -> list[bytes]:
    """Return each claim's bytes (CLM up to the next HL, CLM or SE)."""
    text = data.replace(b"\r\n", b"\n")
    return [m.group(0) for m in re.finditer(rb"(?:^|(?<=~)|(?<=\n))CLM\*.*?(?=(?:\n?)(?:HL|CLM|SE)\*)", text, re.S)]


def _claim_id(block: bytes) -> str:
    return block.split(b"*", 2)[1].decode()


def _fix_one_with_hold(source: Path, tmp_path: Path) -> dict[str, Any]:
    """`fix SOURCE -o out.837 --hold held/` in tmp_path; return the report's entry for the file."""
    args = ["fix", str(source), "-o", str(tmp_path / "out.837"), "--hold", str(tmp_path / "held")]
    result = CliRunner().invoke(main, [*args, "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    entry: dict[str, Any] = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["files"][0]
    return entry


@pytest.fixture(scope="module")
def held_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("hold")
    args = [
        "fix",
        str(DEMO),
        "-o",
        str(out / "out"),
        "--hold",
        str(out / "held"),
        "--hold-on",
        "review",
        "--report",
        str(out / "r.json"),
        "--worklist",
        str(out / "w.csv"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "r.json").read_text(encoding="utf-8"))


def test_held_and_outbound_files_hold_every_input_claim_once(held_run: tuple[Path, dict[str, Any]]) -> None:
    out, document = held_run
    entries = {Path(e["path"]).name: e for e in document["files"]}
    held_any = False
    for name in CART_FILES:
        source = (DEMO / name).read_bytes()
        held_path, out_path = out / "held" / name, out / "out" / name
        held = held_path.read_bytes() if held_path.exists() else b""
        sent = out_path.read_bytes() if out_path.exists() else b""
        held_claims, sent_claims, input_claims = _claims(held), _claims(sent), _claims(source)
        assert len(held_claims) + len(sent_claims) == len(input_claims), name
        assert [_claim_id(c) for c in held_claims] == entries[name]["held"], name
        assert Counter(held_claims) <= Counter(input_claims), f"{name}: a held claim is not byte for byte as read"
        changed = {f["claim"] for f in entries[name]["findings"] if f["fixed"]}
        unchanged_sent = [c for c in sent_claims if _claim_id(c) not in changed]
        assert Counter(unchanged_sent) <= Counter(input_claims), name
        assert sorted(map(_claim_id, held_claims + sent_claims)) == sorted(map(_claim_id, input_claims))
        for data in (held, sent):
            if data:
                valid, errors = pyx12_valid(data)
                assert valid, (name, errors)
        if held:
            held_any = True
            assert entries[name]["held_output"] == str(held_path)
    assert held_any


def test_report_says_where_each_claim_went(held_run: tuple[Path, dict[str, Any]]) -> None:
    out, document = held_run
    rows = document["worklist"]
    assert rows and all(row["held"] for row in rows)  # --hold-on review holds every claim of the work list
    held = {(e["path"], c) for e in document["files"] for c in e["held"]}
    assert {(r["file"], r["claim"]) for r in rows} == held
    assert document["totals"]["claims_held"] == len(held)
    for entry in document["files"]:
        for finding in entry["findings"]:
            if finding["claim"] in entry["held"]:
                assert not finding["fixed"] and finding["output_line"] == finding["line"]  # written as read
    csv_text = (out / "w.csv").read_text(encoding="utf-8-sig")
    assert csv_text.count(str(out / "held")) == len(rows)


def test_hold_on_error_holds_only_claims_with_an_error(tmp_path: Path) -> None:
    args = [
        "fix",
        str(DEMO / "cart-gated-claims.837"),
        "-o",
        str(tmp_path / "out"),
        "--hold",
        str(tmp_path / "held"),
        "--report",
        str(tmp_path / "r.json"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    entry = document["files"][0]
    errors = {f["claim"] for f in entry["findings"] if f["severity"] == "error"}
    assert errors and set(entry["held"]) == errors
    assert "held" in result.stderr.splitlines()[-1]


def test_dash_h_and_dash_capital_v() -> None:
    usage = CliRunner().invoke(main, ["-h"], prog_name="cart837")
    assert usage.exit_code == 0 and usage.output.startswith("Usage: cart837") and "-h, --help" in usage.output
    assert "--hold DIRECTORY" in CliRunner().invoke(main, ["fix", "-h"]).output
    version = CliRunner().invoke(main, ["-V"])
    assert version.exit_code == 0 and version.output.startswith("cart837, version ")


def test_report_writes_the_format_its_extension_names(tmp_path: Path) -> None:
    source = str(DEMO / "cart-medicare-outpatient-episode.837")
    done = CliRunner().invoke(main, ["check", source, "--report", str(tmp_path / "r.html")])
    assert done.exit_code == 1
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    CliRunner().invoke(main, ["check", source, "--report", str(tmp_path / "r.md")])
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# cart837 report")
    mismatch = CliRunner().invoke(main, ["check", source, "--report-md", str(tmp_path / "x.html")])
    assert mismatch.exit_code == 2 and "x.html names a html file, but this option writes md" in mismatch.stderr
    assert not (tmp_path / "x.html").exists()


def test_report_command_takes_the_option_names_of_fix(tmp_path: Path) -> None:
    source = str(DEMO / "cart-gated-claims.837")
    CliRunner().invoke(main, ["check", source, "--report", str(tmp_path / "r.json")])
    args = [
        "report",
        str(tmp_path / "r.json"),
        "--report-md",
        str(tmp_path / "r.md"),
        "--report-html",
        str(tmp_path / "r.html"),
        "--worklist",
        str(tmp_path / "w.csv"),
    ]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert (tmp_path / "r.md").exists() and (tmp_path / "r.html").exists()
    assert (tmp_path / "w.csv").read_text(encoding="utf-8-sig").count("\n") == 3  # header + 2 claims


def test_dash_o_file_for_one_input_writes_that_file(tmp_path: Path) -> None:
    source = DEMO / "cart-medicare-outpatient-episode.837"
    target = tmp_path / "sub" / "fixed.837"
    done = CliRunner().invoke(main, ["fix", str(source), "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert target.read_bytes().startswith(b"ISA") and target.read_bytes() != source.read_bytes()
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["fixed.837"]
    two = CliRunner().invoke(main, ["fix", str(source), str(DEMO / "cart-gated-claims.837"), "-o", str(target)])
    assert two.exit_code == 2 and "names a file: give exactly one input" in two.stderr


def test_a_folder_without_x12_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not X12\n")
    done = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert done.exit_code == 2
    assert f"cart837: error: {tmp_path}: no X12 file in this directory" in done.stderr


def test_fixed_x12_on_a_terminal_says_how_to_write_a_file() -> None:
    source = str(DEMO / "cart-medicare-outpatient-episode.837")
    shown = run_cli(["fix", source], stdout_tty=True)
    assert "the fixed file (with patient data) follows on this terminal; to write a file instead: " in shown.stderr
    assert f"cart837 fix {source} -o FIXED.837" in shown.stderr
    piped = run_cli(["fix", source])
    assert "to write a file instead" not in piped.stderr


def test_hold_moves_the_claims_with_an_error_when_other_claims_pass_through(tmp_path: Path) -> None:
    # Non-CAR-T claims never reach the rules: the held claims must still be the ones with the error
    # (the split once counted only the claims the rules saw, and held, and sent, the wrong ones).
    source = generate(claims=20, seed=7, scenarios=("orphan_admin",), folder=tmp_path)
    entry = _fix_one_with_hold(source, tmp_path)
    errors = {f["claim"] for f in entry["findings"] if f["severity"] == "error"}
    held_claims = _claims((tmp_path / "held" / "out.837").read_bytes())
    sent_claims = _claims((tmp_path / "out.837").read_bytes())
    assert len(errors) >= 3 and set(entry["held"]) == errors
    assert [_claim_id(c) for c in held_claims] == entry["held"]
    assert not errors & {_claim_id(c) for c in sent_claims}
    assert Counter(held_claims) <= Counter(_claims(source.read_bytes()))


@pytest.mark.parametrize("where", ["same folder as -o", "the input's folder with --in-place"])
def test_hold_folder_that_would_overwrite_a_file_is_a_usage_error(tmp_path: Path, where: str) -> None:
    # Held and outbound (or input) file on one path: one overwrote the other and the held claims were lost.
    original = generate(claims=20, seed=7, scenarios=("orphan_admin",)).read_bytes()  # some claims held, not all
    source = tmp_path / "in" / "mixed.837"
    source.parent.mkdir()
    source.write_bytes(original)
    if where == "same folder as -o":
        args = ["fix", str(source.parent), "-o", str(tmp_path / "out"), "--hold", str(tmp_path / "out")]
    else:
        args = ["fix", str(source), "--in-place", "--hold", str(source.parent)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "--hold" in result.output and "another folder" in result.output
    assert source.read_bytes() == original
    assert not (tmp_path / "out" / "mixed.837").exists()


def test_in_place_with_every_claim_held_removes_the_input_and_keeps_every_claim_held(tmp_path: Path) -> None:
    # The input is the outbound file under --in-place: left as it was, it went out with the held claims.
    source = tmp_path / "in" / "gated.837"
    source.parent.mkdir()
    original = (DEMO / "cart-gated-claims.837").read_bytes()
    source.write_bytes(original)
    args = ["fix", str(source), "--in-place", "--hold", str(tmp_path / "held"), "--report", str(tmp_path / "r.json")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    entry = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["files"][0]
    held = tmp_path / "held" / "gated.837"
    assert not source.exists()
    assert entry["held_output"] == str(held)
    assert Counter(_claims(held.read_bytes())) == Counter(_claims(original))
    assert pyx12_valid(held.read_bytes())[0]


def test_hold_keeps_every_claim_of_interchanges_with_different_delimiters(tmp_path: Path) -> None:
    # The split read every interchange with the first ISA's delimiters: a second interchange with
    # its own terminator vanished from both files (30 of 60 claims lost), with exit 0.
    first = generate(claims=30, seed=7, scenarios=("orphan_admin",), line_ending="none", folder=tmp_path / "a")
    second = generate(
        claims=30, seed=8, scenarios=("orphan_admin",), delims="|>^!", line_ending="crlf", folder=tmp_path / "b"
    )
    source = tmp_path / "mixed.837"
    source.write_bytes(first.read_bytes() + second.read_bytes())
    entry = _fix_one_with_hold(source, tmp_path)
    sent, held = (tmp_path / "out.837").read_bytes(), (tmp_path / "held" / "out.837").read_bytes()
    clm = re.compile(rb"(?:^|[~!\n])CLM[*|]([^*|]+)")
    sent_ids, held_ids = clm.findall(sent), clm.findall(held)
    assert len(sent_ids) + len(held_ids) == 60 and len(held_ids) == len(entry["held"]) > 0
    assert sorted(sent_ids + held_ids) == sorted(clm.findall(source.read_bytes()))
    isa = re.compile(rb"(?:^|[~!\n])ISA([*|])")
    assert isa.findall(sent) == [b"*", b"|"] and isa.findall(held) == [b"*", b"|"]
    for produced in (tmp_path / "out.837", tmp_path / "held" / "out.837"):  # envelopes and counts re-checked
        assert CliRunner().invoke(main, ["check", str(produced)]).exit_code in (0, 1)
