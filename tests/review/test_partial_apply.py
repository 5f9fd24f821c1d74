"""Finding ids and partial apply (DESIGN.md, Finding ids; Review and decisions): --skip/--only/--decisions."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from cart837 import fix_file
from cart837.api import fix_many
from cart837.cli import main
from cart837.decisions import dump_decisions
from cart837.errors import DecisionsError
from cart837.report.json_report import report_document
from cart837.report.schema import validate
from cart837.results import FileResult, FileStatus
from cart837.validate import validate_bytes
from tests.support import ROOT, error_lines, generate, read_claims, visible

DEMO = ROOT / "fixtures" / "demo"
DEMO_FILES = sorted(p for p in DEMO.iterdir() if p.suffix != ".md")
REJECTED = "not applied: rejected in review"


@cache
def _full_run() -> dict[Path, FileResult]:
    return {r_path: r for r_path, r in zip(DEMO_FILES, fix_many(DEMO_FILES), strict=True)}


def _fixed_findings() -> list[tuple[Path, str]]:
    return [(path, f.id) for path, result in _full_run().items() for f in result.findings if f.fixed]


def _claim_charges(data: bytes) -> dict[tuple[str, int], Decimal]:
    """Return (CLM01, occurrence) -> sum of SV203, and check CLM02 = sum of SV203 on the way."""
    totals: dict[tuple[str, int], Decimal] = {}
    seen: defaultdict[str, int] = defaultdict(int)
    for claim in read_claims(data):
        seen[claim.id] += 1
        assert claim.total == claim.line_charges(), f"claim {claim.id}: CLM02 {claim.total} != sum of SV203"
        totals[(claim.id, seen[claim.id])] = claim.line_charges()
    return totals


def test_ids_are_unique_stable_and_of_the_documented_form() -> None:
    results = list(_full_run().values())
    ids = [f.id for r in results for f in r.findings]
    assert len(ids) > 20 and len(set(ids)) == len(ids)
    for result in results:
        assert result.sha256_in is not None
        assert all(f.id.startswith(result.sha256_in[:4]) and len(f.id) == 16 for f in result.findings)
    again = [f.id for r in fix_many(DEMO_FILES) for f in r.findings]
    assert again == ids
    validate(json.loads(json.dumps(report_document(results))))


def test_ids_unique_in_a_generated_batch_and_when_an_interchange_repeats(tmp_path: Path) -> None:
    generated = generate(claims=400, seed=13, cart_share=0.5, all_scenarios=True, claims_per_st=50)
    twice = tmp_path / "twice.837"
    data = generated.read_bytes()
    twice.write_bytes(data + data)  # the same interchange twice: same ISA13/GS06/ST02/CLM01
    for path in (generated, twice):
        ids = [f.id for f in fix_file(path).findings]
        assert len(ids) > 50 and len(ids) == len(set(ids)), path.name


@pytest.mark.parametrize(("path", "finding_id"), _fixed_findings(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_skipping_one_fix_keeps_every_other_fix_and_valid_balanced_output(
    path: Path, finding_id: str, tmp_path: Path
) -> None:
    full = _full_run()[path]
    out = tmp_path / path.name
    result = fix_file(path, output=out, skip=[finding_id])
    assert result.status is not FileStatus.FAILED, result.error
    by_id = {f.id: f for f in result.findings}
    skipped = by_id[finding_id]
    assert not skipped.fixed and skipped.action.value == "flag" and skipped.message.startswith(REJECTED)
    assert result.decisions == [finding_id]
    order = [f.id for f in full.findings]
    rejected = full.findings[order.index(finding_id)]
    kept = {f.id for f in result.findings if f.fixed}
    for other in full.findings:
        if other.fixed and other.id != finding_id and other.id not in kept:
            # Only a later fix on the very line the rejected edit changed may go: it built on that edit.
            assert (other.claim, other.line) == (rejected.claim, rejected.line), f"{other.rule} on LX {other.line} lost"
            assert order.index(other.id) > order.index(finding_id)
    produced = out.read_bytes() if out.exists() else path.read_bytes()
    assert _claim_charges(produced) == _claim_charges(path.read_bytes())
    if validate_bytes(path.read_bytes(), path.name).valid:
        assert validate_bytes(produced, out.name).valid, "a skipped fix broke implementation-guide validity"
    full_output = tmp_path / "full.837"
    fix_file(path, output=full_output)
    assert produced != full_output.read_bytes(), "skipping a fix changed nothing"


def _run(args: list[str]) -> tuple[int, bytes, str]:
    done = CliRunner().invoke(main, args)
    return done.exit_code, done.stdout_bytes, done.stderr


def test_cli_skip_only_and_decisions_replay_byte_for_byte(tmp_path: Path) -> None:
    path = DEMO / "cart-medicare-outpatient-episode.837"
    fixes = [f.id for f in _full_run()[path].findings if f.fixed]
    assert len(fixes) >= 3
    code, skipped, _ = _run(["fix", str(path), "--skip", f"{fixes[0]},{fixes[2]}"])
    assert code == 0
    decisions = tmp_path / "decisions.json"
    decisions.write_text(dump_decisions({_full_run()[path].sha256_in or "": [fixes[2], fixes[0]]}))
    code, replayed, _ = _run(["fix", str(path), "--decisions", str(decisions)])
    assert code == 0 and replayed == skipped
    applied = [f.id for f in fix_file(path, skip=[fixes[0], fixes[2]]).findings if f.fixed]
    code, only, _ = _run(["fix", str(path), "--only", ",".join(applied)])
    assert code == 0 and only == skipped
    code, checked, _ = _run(["check", str(path), "--decisions", str(decisions), "--report", str(tmp_path / "r.json")])
    assert code == 1 and checked == b""
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["schema"] == 2 and report["files"][0]["decisions"] == [fixes[0], fixes[2]]
    code, diff, _ = _run(["diff", str(path), "--only", applied[0]])
    assert code == 1 and diff.count(b"\n+SV2") == 1


def test_unknown_ids_are_one_line_exit_2_and_write_nothing(tmp_path: Path) -> None:
    path = DEMO / "cart-medicare-outpatient-episode.837"
    sha = _full_run()[path].sha256_in or ""
    out = tmp_path / "out"
    missing_in_file = sha[:4] + "0" * 12
    for args, named in (
        (["--skip", missing_in_file], missing_in_file),
        (["--only", "ffff000000000000"], "ffff000000000000"),
        (["--skip", "not-an-id"], "not-an-id"),
        (["--skip", ""], "names no finding id"),  # was a silent no-op
        (["--only", " , "], "names no finding id"),  # applied no fix at all
    ):
        code, _, stderr = _run(["fix", str(path), "-o", str(out), *args])
        lines = error_lines(stderr)
        assert code == 2 and len(lines) == 1 and named in lines[0], stderr
        assert visible(out) == []  # the -o marker aside, nothing written
    changed = tmp_path / "changed.837"
    changed.write_bytes(path.read_bytes().replace(b"~", b"~\n", 1))
    decisions = tmp_path / "d.json"
    decisions.write_text(dump_decisions({sha: [_fixed_findings()[0][1]]}))
    code, _, stderr = _run(["fix", str(changed), "-o", str(out), "--decisions", str(decisions)])
    assert code == 2 and "not in this run" in error_lines(stderr)[0]
    decisions.write_text('{"schema": 1, "file_sha256": {"abc": {"reject": []}}}')
    code, _, stderr = _run(["fix", str(path), "--decisions", str(decisions)])
    assert code == 2 and error_lines(stderr) == [
        f"cart837: error: {decisions}: not a cart837 schema-1 decisions file: file_sha256: 'abc' does not match "
        "'^[0-9a-f]{64}$'"
    ]


def test_library_api_skip_only_decisions(tmp_path: Path) -> None:
    path = DEMO / "cart-catiii-2025-crosswalk.837"
    fixes = [f.id for f in _full_run()[path].findings if f.fixed]
    result = fix_file(path, skip=fixes[:1])
    assert [f.id for f in result.findings if not f.fixed and f.message.startswith(REJECTED)] == fixes[:1]
    assert fix_file(path, only=[f.id for f in result.findings if f.fixed]).decisions == fixes[:1]
    decisions = tmp_path / "d.json"
    decisions.write_text(dump_decisions({result.sha256_in or "": fixes[:1]}))
    assert fix_file(path, decisions=decisions).decisions == fixes[:1]
    with pytest.raises(DecisionsError, match="ffff000000000000"):
        fix_file(path, skip=["ffff000000000000"])
    unknown = fix_file(path, skip=[fixes[0][:4] + "f" * 12])
    assert unknown.status is FileStatus.FAILED and "unknown finding id" in (unknown.error or "")


def test_a_schema_1_report_is_still_read(tmp_path: Path) -> None:
    old = ROOT / "tests" / "report" / "data" / "sample-report-schema1.json"
    code, out, stderr = _run(["report", str(old)])
    assert code == 0 and out.startswith(b"# cart837 report"), stderr
    document = json.loads(old.read_text())
    document["files"][0]["findings"][0]["id"] = "0123456789abcdef"  # schema 1 has no ids
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    code, _, stderr = _run(["report", str(bad)])
    assert code == 2 and "not a cart837 schema-1 report" in stderr
    shutil.copy(old, tmp_path / "copy.json")


def test_people_reports_show_ids_and_rejected_fixes() -> None:
    from cart837.report import html, markdown
    from cart837.report.model import Report

    path = DEMO / "cart-catiii-2025-crosswalk.837"
    first = next(f.id for f in _full_run()[path].findings if f.fixed)
    result = fix_file(path, skip=[first])
    report = Report.from_dict(report_document([result]))
    text = markdown.render(report)
    assert f"Rejected in review (not applied): `{first}`" in text
    assert all(f"| `{f.id}` |" in text for f in result.findings)
    page = html.render(report)
    assert all(f'id="finding-{f.id}"' in page for f in result.findings) and f"<code>{first}</code>" in page
