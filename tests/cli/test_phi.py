"""PHI canaries: names, member ids, DOB and addresses never reach stdout, stderr, logs or reports.

With --show-phi, the patient's identifiers appear in the three reports, and still nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cart837.cli import main
from cart837.rules.engine import Engine
from tests.report.samples import CANARIES, canary_837

REPORTS = ("report.json", "report.md", "report.html")
IDENTIFIERS = (
    "subscriber_last",
    "subscriber_first",
    "member_id",
    "subscriber_dob",
    "dependent_last",
    "dependent_first",
    "dependent_dob",
)


def _leaks(text: str) -> list[str]:
    return [name for name, value in CANARIES.items() if value in text]


def _run(folder: Path, command: str, *extra: str) -> tuple[int, str, dict[str, str]]:
    batch = folder / "batch"
    batch.mkdir(exist_ok=True)
    (batch / "cart.837").write_bytes(canary_837())
    (batch / "broken.837").write_bytes(canary_837("B1", "B2").replace(b"SE*", b"SE*9", 1))
    out = folder / f"reports-{command}"
    out.mkdir(exist_ok=True)
    args = [command, str(batch), "--report", str(out / REPORTS[0]), "--report-md", str(out / REPORTS[1])]
    args += ["--report-html", str(out / REPORTS[2]), *extra]
    if command == "fix":
        args += ["-o", str(folder / "fixed")]
    result = CliRunner().invoke(main, args)
    reports = {name: (out / name).read_text(encoding="utf-8") for name in REPORTS}
    return result.exit_code, result.stdout + result.stderr, reports


def test_canary_file_has_findings_to_report(tmp_path: Path) -> None:
    code, _, reports = _run(tmp_path, "fix")
    assert code == 2  # broken.837 is refused; cart.837 is fixed
    assert '"rule": "CART-002"' in reports["report.json"] and "CLAIMDEP1" in reports["report.html"]


@pytest.mark.parametrize(("command", "verbosity"), [("fix", "-v"), ("fix", "-vv"), ("check", "-v"), ("diff", "-vv")])
def test_no_canary_anywhere_by_default(tmp_path: Path, command: str, verbosity: str) -> None:
    code, terminal, reports = _run(tmp_path, command, verbosity, "--log-format", "json")
    assert code == 2
    assert '"event": "claim_fixed"' in terminal  # the logs did run
    assert _leaks(terminal) == []
    for name, text in reports.items():
        assert _leaks(text) == [], name


def test_show_phi_puts_identifiers_in_reports_only(tmp_path: Path) -> None:
    _, terminal, reports = _run(tmp_path, "fix", "-vv", "--show-phi")
    assert _leaks(terminal) == []
    for name, text in reports.items():
        assert set(_leaks(text)) == set(IDENTIFIERS), name  # addresses are never read, so never shown


def test_internal_error_traceback_with_v_holds_no_phi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_run(self: Engine, claim: object, episode: object, *context: object) -> object:
        patient = claim.patient  # type: ignore[attr-defined]
        raise ValueError(f"cannot pair {patient.last_name} {patient.member_id} born {patient.birth_date!r}")

    monkeypatch.setattr(Engine, "run", broken_run)
    code, terminal, reports = _run(tmp_path, "fix", "-v", "--log-format", "json")
    assert code == 2
    assert "internal error, rerun with -v for the traceback" in terminal
    record = json.loads(next(line for line in terminal.splitlines() if '"internal_error"' in line))
    assert "Traceback (most recent call last)" in record["exception"] and "in broken_run" in record["exception"]
    assert record["exception"].endswith("ValueError: cannot pair … … born '…'")
    assert _leaks(terminal) == [] and not any(_leaks(text) for text in reports.values())
