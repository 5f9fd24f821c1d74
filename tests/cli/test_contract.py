"""The CLI contract of DESIGN.md: exit codes, stdin/stdout, directories, -o, --in-place, config."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cart837.cli import main
from tests.support import PUBLIC, ROOT, cart837_command, error_lines, visible

SCENARIO = ROOT / "fixtures" / "scenarios" / "catiii-2025-crosswalk"
CHANGING = SCENARIO / "input.837"  # fix changes it into expected.837
FIXED = SCENARIO / "expected.837"
FIXES = sum(1 for f in json.loads((SCENARIO / "expected-findings.json").read_text()) if f["fixed"])
CLEAN = PUBLIC / "stupidedi" / "ppo-repriced-claim.edi"
REFUSED = PUBLIC / "linuxforhealth-x12" / "institutional.837"


@dataclass(frozen=True)
class Run:
    """One CLI run."""

    code: int
    stdout: bytes
    stderr: str

    @property
    def errors(self) -> list[str]:
        """Return the `cart837: error:` lines."""
        return error_lines(self.stderr)

    @property
    def summary(self) -> str:
        """Return the summary line (the last line of stderr, or the one before an `exit N:` reason)."""
        lines = self.stderr.splitlines()
        return lines[-2] if lines[-1].startswith("exit ") else lines[-1]


def run(args: list[str], stdin: bytes = b"", process: bool = False, cwd: Path | None = None) -> Run:
    """Run cart837 with click's CliRunner, or as a real process."""
    if process:
        done = cart837_command(args, stdin, cwd)
        return Run(done.returncode, done.stdout, done.stderr.decode())
    result = CliRunner().invoke(main, args, input=stdin)
    return Run(result.exit_code, result.stdout_bytes, result.stderr)


def _batch(tmp_path: Path, *, bad: bool = True, note: bool = True) -> Path:
    """A directory: a file to fix, a clean one in a sub-folder, a refused one, a note that is not X12."""
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(CHANGING, folder / "car-t.837")
    shutil.copy(CLEAN, folder / "sub" / "clean.edi")
    if bad:
        shutil.copy(REFUSED, folder / "sub" / "old-4010.837")
    if note:
        (folder / "notes.txt").write_text("not a claim file\n")
    return folder


# -- exit codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("process", [False, True], ids=["click", "process"])
def test_exit_codes_of_fix_check_diff(process: bool, tmp_path: Path) -> None:
    expect = {
        ("fix", CLEAN): 0,
        ("fix", CHANGING): 0,
        ("fix", REFUSED): 2,
        ("check", CLEAN): 0,
        ("check", CHANGING): 1,
        ("check", REFUSED): 2,
        ("diff", CLEAN): 0,
        ("diff", CHANGING): 1,
        ("diff", REFUSED): 2,
    }
    for (command, path), code in expect.items():
        args = [command, str(path)] + (["-o", str(tmp_path / f"{command}-{path.name}")] if command == "fix" else [])
        assert run(args, process=process).code == code, (command, path.name)


def test_check_and_diff_write_nothing(tmp_path: Path) -> None:
    folder = _batch(tmp_path, bad=False)
    before = _snapshot(tmp_path)
    checked = run(["check", str(folder)])
    assert checked.code == 1 and checked.stdout == b""
    assert checked.summary == (
        f"3 files: 1 would change, 1 unchanged, 1 skipped; {FIXES} fixes needed, 0 flags; $5,300.00 involved; "
        "0 claims need a person"
    )
    diffed = run(["diff", str(folder)])
    assert diffed.code == 1
    assert b"+++ " in diffed.stdout and b"\n-SV2*0360*HC:0540T" in diffed.stdout
    assert _snapshot(tmp_path) == before


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in visible(folder) if p.is_file()}


# -- standard input and output --------------------------------------------------------------------


@pytest.mark.parametrize("process", [False, True], ids=["click", "process"])
def test_dash_reads_stdin_and_writes_stdout(process: bool) -> None:
    fixed = run(["fix", "-"], CHANGING.read_bytes(), process)
    assert (fixed.code, fixed.stdout) == (0, FIXED.read_bytes())
    assert fixed.summary == (
        f"1 file: 1 changed, 0 unchanged; {FIXES} fixes, 0 flags; $5,300.00 involved; 0 claims need a person"
    )
    clean = run(["fix", "-"], CLEAN.read_bytes(), process)
    assert (clean.code, clean.stdout) == (0, CLEAN.read_bytes())
    refused = run(["fix", "-"], REFUSED.read_bytes(), process)
    assert (refused.code, refused.stdout) == (2, b"")
    assert refused.errors == [
        "cart837: error: -: byte 161, segment 3 (ST): not a 5010 837I: a 4010 transaction (004010X096A1)"
    ]
    checked = run(["check", "-"], CHANGING.read_bytes(), process)
    assert (checked.code, checked.stdout) == (1, b"")


def test_one_file_without_o_goes_to_stdout(tmp_path: Path) -> None:
    done = run(["fix", str(CHANGING)], process=True, cwd=tmp_path)
    assert (done.code, done.stdout) == (0, FIXED.read_bytes())
    assert list(tmp_path.iterdir()) == []


# -- directories, -o, --in-place, a bad file among good ones ----------------------------------------


@pytest.mark.parametrize("process", [False, True], ids=["click", "process"])
def test_directory_mirrors_paths_skips_notes_and_isolates_the_bad_file(process: bool, tmp_path: Path) -> None:
    folder = _batch(tmp_path)
    out = tmp_path / "out"
    done = run(["fix", str(folder), "-o", str(out), "--report", str(tmp_path / "r.json")], process=process)
    assert done.code == 2
    assert done.errors == [
        f"cart837: error: {folder / 'sub' / 'old-4010.837'}: byte 161, segment 3 (ST): "
        "not a 5010 837I: a 4010 transaction (004010X096A1)"
    ]
    assert f"cart837: skipped {folder / 'notes.txt'}: not an X12 file" in done.stderr.splitlines()
    assert done.summary == (
        f"4 files: 1 changed, 1 unchanged, 1 skipped, 1 failed; {FIXES} fixes, 0 flags; $5,300.00 involved; "
        "0 claims need a person"
    )
    assert done.stderr.splitlines()[-1] == "exit 2: 1 file(s) refused or failed (see the errors above)"
    assert sorted(str(p.relative_to(out)) for p in visible(out) if p.is_file()) == ["car-t.837", "sub/clean.edi"]
    assert (out / "car-t.837").read_bytes() == FIXED.read_bytes()
    assert (out / "sub" / "clean.edi").read_bytes() == CLEAN.read_bytes()
    statuses = {Path(f["path"]).name: f["status"] for f in json.loads((tmp_path / "r.json").read_text())["files"]}
    assert statuses == {
        "notes.txt": "skipped",
        "car-t.837": "changed",
        "clean.edi": "unchanged",
        "old-4010.837": "failed",
    }


def test_skipped_listing_is_quiet_with_q(tmp_path: Path) -> None:
    done = run(["check", str(_batch(tmp_path, bad=False)), "-q"])
    assert (done.code, done.stderr) == (1, "")


def test_plain_files_go_under_their_base_names(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run(["fix", str(CHANGING), str(CLEAN), "-o", str(out)])
    assert done.code == 0
    assert sorted(p.name for p in visible(out)) == ["input.837", CLEAN.name]


def test_two_inputs_with_one_target_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(CLEAN, tmp_path / "a" / "x.837")
    shutil.copy(CHANGING, tmp_path / "b" / "x.837")
    out = tmp_path / "out"
    done = run(["fix", str(tmp_path / "a" / "x.837"), str(tmp_path / "b" / "x.837"), "-o", str(out)])
    assert done.code == 2
    assert "would both be written to" in done.stderr and str(out / "x.837") in done.stderr
    assert not out.exists()


def test_in_place(tmp_path: Path) -> None:
    folder = _batch(tmp_path)
    clean = folder / "sub" / "clean.edi"
    stat_before = clean.stat()
    refused_before = (folder / "sub" / "old-4010.837").read_bytes()
    done = run(["fix", "--in-place", str(folder)])
    assert done.code == 2
    assert (folder / "car-t.837").read_bytes() == FIXED.read_bytes()
    assert clean.read_bytes() == CLEAN.read_bytes()
    assert (clean.stat().st_ino, clean.stat().st_mtime_ns) == (stat_before.st_ino, stat_before.st_mtime_ns)
    assert (folder / "sub" / "old-4010.837").read_bytes() == refused_before
    names = sorted(p.name for p in folder.rglob("*"))
    assert names == sorted(["sub", "car-t.837", "clean.edi", "old-4010.837", "notes.txt"])  # no temp files left
    again = run(["fix", "--in-place", str(folder / "car-t.837")])  # fix(fix(x)) == fix(x)
    assert again.code == 0 and again.summary.startswith("1 file: 0 changed, 1 unchanged")
    assert (folder / "car-t.837").read_bytes() == FIXED.read_bytes()


# -- usage errors ---------------------------------------------------------------------------------


def test_several_inputs_without_o_is_a_usage_error(tmp_path: Path) -> None:
    done = run(["fix", str(CHANGING), str(CLEAN)])
    assert done.code == 2 and done.stdout == b""
    assert "several inputs need -o DIR or --in-place" in done.stderr
    assert run(["fix", str(_batch(tmp_path))]).code == 2
    assert "cannot" in run(["fix", "--in-place", "-"], CLEAN.read_bytes()).stderr


def test_unknown_rule_id(tmp_path: Path) -> None:
    done = run(["fix", "--rules", "CART-001,CART-999", str(CLEAN), "-o", str(tmp_path / "out")])
    assert done.code == 2
    assert "unknown rule id(s): CART-999" in done.stderr
    assert not (tmp_path / "out").exists()


# -- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bogus_key = 1\n", "unknown configuration key 'bogus_key'"),
        ('[payers."00301"]\nbogus = "x"\n', "unknown configuration key payers.00301.bogus"),
        ('[rules]\n"CART-999" = "fix"\n', "rules: unknown rule 'CART-999'"),
        ('collapse_charge = "half"\n', "collapse_charge = 'half': use one of sum, keep-first"),
        ('medicare_filing_codes = "MB"\n', "medicare_filing_codes = 'MB': write a list of strings"),
        ("not toml [\n", "not valid TOML"),
    ],
)
def test_bad_configuration_is_one_line_naming_the_key(
    text: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cart837.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    done = run(["fix", str(CLEAN), "-o", str(tmp_path / "out")])
    assert done.code == 2
    assert len(done.stderr.splitlines()) == 1
    assert done.errors[0].startswith(f"cart837: error: {tmp_path / 'cart837.toml'}: ")
    assert message in done.errors[0]
    assert not (tmp_path / "out").exists()


def test_config_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--config, else cart837.toml here or in a parent, else [tool.cart837] in the nearest pyproject.toml."""
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    args = ["check", str(CLEAN)]
    assert run(args).code == 0  # nothing found: defaults
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.cart837]\nfrom_pyproject = 1\n')
    pyproject = tmp_path / "a" / "pyproject.toml"
    assert run(args).errors == [f"cart837: error: {pyproject}: unknown configuration key 'from_pyproject'"]
    (tmp_path / "cart837.toml").write_text("from_parent = 1\n")  # a cart837.toml anywhere up wins over pyproject
    assert "'from_parent'" in run(args).errors[0]
    (deep / "cart837.toml").write_text("from_here = 1\n")
    assert "'from_here'" in run(args).errors[0]
    (tmp_path / "good.toml").write_text('medicare_filing_codes = ["MB"]\n')
    assert run([*args, "--config", str(tmp_path / "good.toml")]).code == 0
    (deep / "cart837.toml").unlink()
    (tmp_path / "cart837.toml").write_text('[rules]\n"CART-001" = "off"\n')
    assert run(args).code == 0


def test_pyproject_without_a_cart837_table_is_not_a_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.other]\nbogus = 1\n')
    monkeypatch.chdir(tmp_path)
    assert run(["check", str(CLEAN)]).code == 0
    assert os.getcwd() == str(tmp_path)


def test_a_file_reached_twice_is_processed_once(tmp_path: Path) -> None:
    """Read twice, a file's claims would pair with themselves: spurious cross-claim flags (CART-002...)."""
    folder = tmp_path / "in"
    folder.mkdir()
    episode = folder / "episode.837"
    shutil.copy(ROOT / "fixtures" / "scenarios" / "medicare-outpatient-episode" / "input.837", episode)
    once, twice = tmp_path / "once.json", tmp_path / "twice.json"
    assert run(["check", str(episode), "--report", str(once)]).code == 1
    done = run(["check", str(episode), str(folder / ".." / "in" / "episode.837"), str(folder), "--report", str(twice)])
    assert done.code == 1
    assert done.summary.startswith("1 file: 1 would change, 0 unchanged;")
    first, second = (json.loads(p.read_text())["files"] for p in (once, twice))
    assert len(second) == 1 and second[0]["findings"] == first[0]["findings"]
    assert [f["rule"] for f in first[0]["findings"] if not f["fixed"]] == ["CART-011"]


def test_in_place_through_a_symlink_fixes_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.837"
    shutil.copy(CHANGING, real)
    link = tmp_path / "link.837"
    link.symlink_to(real.name)
    assert run(["fix", "--in-place", str(link)]).code == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_bytes() == FIXED.read_bytes()


def test_outputs_inside_the_input_folder_are_not_read_back(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CHANGING, folder / "claims.837")
    out = folder / "fixed"
    first = run(["fix", str(folder), "-o", str(out)])
    second = run(["fix", str(folder), "-o", str(out)])
    assert first.code == second.code == 0
    assert sorted(p.relative_to(out) for p in visible(out) if p.is_file()) == [Path("claims.837")]
    assert (out / "claims.837").read_bytes() == FIXED.read_bytes()
    assert second.summary.startswith("1 file:"), second.summary
