"""Batch UX: a progress bar only on a terminal, -q / -v, the summary line, a one-line exit reason."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cart837.cli import main
from tests.cli.terminal import run_cli
from tests.report.samples import canary_837
from tests.support import visible


def _batch(folder: Path, broken: bool = False) -> Path:
    batch = folder / "batch"
    batch.mkdir()
    for number in range(3):
        patients = canary_837(f"C{number}A", f"C{number}B").replace(b"QX", b"Q" + str(number).encode())
        (batch / f"f{number}.837").write_bytes(patients)
    if broken:
        (batch / "broken.837").write_bytes(canary_837().replace(b"SE*", b"SE*9", 1).replace(b"QX", b"ZZ"))
    return batch


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    outcome = run_cli(["fix", str(_batch(tmp_path)), "-o", str(tmp_path / "out")], stderr_tty=True)
    assert outcome.code == 0
    assert "cart837  [###" in outcome.stderr and "3/3" in outcome.stderr and "f2.837" in outcome.stderr
    assert outcome.stderr.rstrip().endswith(
        "3 files: 3 changed, 0 unchanged; 12 fixes, 0 flags; $36,000.00 involved; 0 claims need a person"
    )


def test_no_progress_bar_off_a_terminal_or_with_q(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    piped = run_cli(["fix", str(batch), "-o", str(tmp_path / "a")])
    assert piped.stderr == (
        "3 files: 3 changed, 0 unchanged; 12 fixes, 0 flags; $36,000.00 involved; 0 claims need a person\n"
    )
    quiet = run_cli(["fix", str(batch), "-o", str(tmp_path / "b"), "-q"], stderr_tty=True)
    assert (quiet.code, quiet.stderr) == (0, "")


def test_failed_file_exit_2_explained_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fix", str(_batch(tmp_path, broken=True)), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("cart837: error: ") and "broken.837: byte " in lines[0] and "(SE)" in lines[0]
    assert lines[-2:] == [
        "4 files: 3 changed, 0 unchanged, 1 failed; 12 fixes, 0 flags; $36,000.00 involved; 0 claims need a person",
        "exit 2: 1 file(s) refused or failed (see the errors above)",
    ]
    assert sorted(p.name for p in visible(tmp_path / "out")) == ["f0.837", "f1.837", "f2.837"]


def test_quiet_keeps_errors_and_drops_the_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(_batch(tmp_path, broken=True)), "-q"])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("cart837: error: ")


def test_error_line_clears_the_progress_bar_first(tmp_path: Path) -> None:
    outcome = run_cli(["check", str(_batch(tmp_path, broken=True))], stderr_tty=True)
    assert outcome.code == 2
    assert "\r\x1b[2Kcart837: error: " in outcome.stderr


def test_verbose_logs_with_log_format_json_are_json_lines_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(_batch(tmp_path)), "-v", "--log-format", "json"])
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stderr.splitlines()]  # every line, the summary too
    events = [r["event"] for r in records]
    assert "episode_index_built" in events and events.count("claim_fixed") == 6
    assert len({r["run_id"] for r in records}) == 1
    assert records[-1]["message"] == "exit 1: some claims would change" and records[-1]["exit_code"] == 1


def test_verbose_logs_readable_on_a_terminal(tmp_path: Path) -> None:
    outcome = run_cli(["check", str(_batch(tmp_path)), "-v"], stderr_tty=True)
    claim_lines = [line for line in outcome.stderr.splitlines() if "claim_fixed" in line]
    assert len(claim_lines) == 6 and not claim_lines[0].startswith("{") and "claim=C0A" in outcome.stderr
    assert "[" not in outcome.stderr.split("claim_fixed")[0].splitlines()[-1].split("]")[-1]  # no bar with -v
