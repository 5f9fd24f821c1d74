"""--jobs N: the same report, outputs and exit code as one process; results stay in input order."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import cart837
from cart837.api import fix_many
from cart837.cli import main
from cart837.config import Config, from_mapping
from cart837.errors import Cart837Error, Location, X12SyntaxError
from cart837.results import FileStatus
from cart837.rules import known_rules
from tests.support import generate, visible


def make_batch(folder: Path) -> Path:
    """Return a folder of five files: two with CAR-T claims, a copy of one (cross-file episodes),
    one refused (a wrong SE01) and one that is not X12 (skipped)."""
    batch = folder / "batch"
    (batch / "sub").mkdir(parents=True)
    first = generate(all_scenarios=True, claims=60, seed=21, cart_share=0.5)
    shutil.copyfile(first, batch / "a.837")
    crlf = generate(all_scenarios=True, claims=60, seed=22, cart_share=0.5, line_ending="crlf")
    shutil.copyfile(crlf, batch / "b.837")
    shutil.copyfile(first, batch / "sub" / "c.837")
    data = first.read_bytes()
    se = data.index(b"~\nSE*") + 2
    (batch / "d.837").write_bytes(data[:se] + b"SE*9" + data[se + 3 :])  # SE01 "9" + the real count
    (batch / "notes.txt").write_text("not X12\n")
    return batch


def _report(path: Path) -> dict[str, object]:
    report = json.loads(path.read_text())
    report.pop("run_date")
    return dict(report)


@pytest.mark.parametrize("command", ["fix", "check", "diff"])
def test_jobs_two_matches_one_process(tmp_path: Path, command: str) -> None:
    batch = make_batch(tmp_path)
    runs = {}
    for jobs in ("1", "2"):
        args = [command, str(batch), "--report", str(tmp_path / f"r{jobs}.json"), "--jobs", jobs]
        if command == "fix":
            args += ["-o", str(tmp_path / f"out{jobs}")]
        result = CliRunner().invoke(main, args)
        runs[jobs] = (result.exit_code, result.stdout, result.stderr, _report(tmp_path / f"r{jobs}.json"))
    assert runs["1"] == runs["2"]
    code, stdout, stderr, report = runs["2"]
    assert code == 2 and "d.837: byte " in stderr
    files = report["files"]
    assert isinstance(files, list)
    assert [f["path"].rsplit("/", 1)[-1] for f in files] == ["notes.txt", "a.837", "b.837", "d.837", "c.837"]
    assert [f["status"] for f in files][3] == "failed"
    findings = sum(len(f["findings"]) for f in files)
    assert findings > 20
    if command == "diff":
        assert stdout.count("\n+++ b/") == 3 and stdout.count("\n+SV2") > 5
    if command == "fix":
        one, two = tmp_path / "out1", tmp_path / "out2"
        written = sorted(p.relative_to(two) for p in visible(two) if p.is_file())
        assert [str(p) for p in written] == ["a.837", "b.837", "sub/c.837"]
        assert all((one / p).read_bytes() == (two / p).read_bytes() for p in written)


def test_cross_file_flags_reach_a_file_fixed_in_another_worker(tmp_path: Path) -> None:
    batch = make_batch(tmp_path)
    (batch / "d.837").unlink()
    alone = fix_many([batch / "a.837"], Config())
    together = fix_many([batch], Config(), jobs=2)
    by_name = {Path(r.path).name: r for r in together}
    keys = {(f.rule, f.claim, f.line, f.action, f.fixed) for f in by_name["a.837"].findings}
    alone_keys = {(f.rule, f.claim, f.line, f.action, f.fixed) for f in alone[0].findings}
    assert keys != alone_keys  # c.837 holds the same patients' claims: cross-claim flags appear
    assert by_name["a.837"].sha256_in == by_name["c.837"].sha256_in


def test_library_api_returns_what_the_cli_reports(tmp_path: Path) -> None:
    batch = make_batch(tmp_path)
    CliRunner().invoke(main, ["fix", str(batch), "-o", str(tmp_path / "cli"), "--report", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    results = cart837.fix_many([batch], outdir=tmp_path / "lib", jobs=2)
    assert [(r.path, r.status.value, r.sha256_out, len(r.findings)) for r in results] == [
        (f["path"], f["status"], f["sha256_out"], len(f["findings"])) for f in report["files"]
    ]
    one = cart837.fix_file(batch / "b.837", config=Config(), output=tmp_path / "one" / "b-fixed.837")
    assert one.status is FileStatus.CHANGED and one.output == str(tmp_path / "one" / "b-fixed.837")
    assert (tmp_path / "one" / "b-fixed.837").read_bytes() == (tmp_path / "cli" / "b.837").read_bytes()
    dry = cart837.fix_file(batch / "b.837")
    assert dry.output is None and dry.sha256_out == one.sha256_out
    with pytest.raises(ValueError, match="unknown rule"):
        cart837.fix_file(batch / "b.837", rules=["CART-999"])


def test_config_and_errors_pickle_for_workers() -> None:
    known = known_rules()
    config = from_mapping(
        {"rules": {"CART-010": "flag"}, "payers": {"00301": {"product_revenue_code": "0636"}}}, known, "x.toml"
    )
    copy = pickle.loads(pickle.dumps(config))
    assert copy == config and copy.for_payer("00301").product_revenue_code == "0636"
    error = pickle.loads(pickle.dumps(X12SyntaxError("SE01 is 9", Location("f.837", 120, 7, "SE"))))
    assert isinstance(error, Cart837Error) and error.one_line() == "f.837: byte 120, segment 7 (SE): SE01 is 9"
