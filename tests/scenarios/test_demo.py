"""The `make demo` batch: synthetic CAR-T scenarios next to public files, one run, exit 0."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cart837.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo"
SCENARIOS = ROOT / "fixtures" / "scenarios"
CART_FILES = sorted(DEMO.glob("cart-*.837"))


def test_demo_cart_files_are_scenario_inputs() -> None:
    assert len(CART_FILES) >= 5
    for path in CART_FILES:
        case = path.stem.removeprefix("cart-")
        assert path.read_bytes() == (SCENARIOS / case / "input.837").read_bytes(), f"{path.name} drifted from {case}"
        assert f"`{path.name}`" in (DEMO / "SOURCES.md").read_text("utf-8"), f"{path.name} is not in SOURCES.md"


def test_demo_run_exits_0_and_fixes_cart_claims(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        main, ["fix", str(DEMO), "-o", str(tmp_path / "out"), "--report", str(report), "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    files = {Path(f["path"]).name: f for f in json.loads(report.read_text("utf-8"))["files"]}
    assert files["SOURCES.md"]["status"] == "skipped"
    assert [name for name, f in files.items() if f["status"] == "failed"] == []
    for name, entry in files.items():
        if name.startswith("cart-"):
            expected = (SCENARIOS / name.removeprefix("cart-").removesuffix(".837") / "expected.837").read_bytes()
            assert (tmp_path / "out" / name).read_bytes() == expected, name
        elif name != "SOURCES.md":
            assert entry["status"] == "unchanged" and entry["findings"] == [], name
    fixed = [f for name, entry in files.items() for f in entry["findings"] if f["fixed"]]
    assert {f["rule"] for f in fixed} >= {"CART-001", "CART-002", "CART-003", "CART-005", "CART-006", "CART-010"}
    # RULES.md revision 2: a void, a replacement and a second dose (issue 11)
    assert files["cart-void-claim.837"]["status"] == "unchanged"
    assert [f["rule"] for f in files["cart-void-claim.837"]["findings"]] == ["CART-023"]
    assert "CART-002" not in {f["rule"] for f in files["cart-replacement-claim.837"]["findings"]}
    assert [f["rule"] for f in files["cart-second-dose.837"]["findings"]] == ["CART-024"] * 3
