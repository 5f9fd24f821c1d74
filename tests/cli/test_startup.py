"""Each command imports only what it uses (issue 14: `--version` and `rules` start in < 150 ms, and
start-up is a large part of `fix` on a small file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import generate

HEAVY = ("cart837.batch", "cart837.parallel", "cart837.report.json_report", "structlog", "pyx12")
# What `fix` on one file needs none of: a decisions schema, a pool, report writers, --hold, diff.
NOT_FOR_FIX = (
    "jsonschema",
    "structlog",  # imported at the first record that passes the log level (-v, or a warning)
    "multiprocessing",
    "concurrent.futures.process",
    "cart837.report.json_report",
    "cart837.claims.hold",
    "cart837.report.unified",
)
WATCHED = ("cart837", "structlog", "pyx12", "jsonschema", "multiprocessing", "concurrent")
PROBE = (
    "import json, sys\n"
    "from click.testing import CliRunner\n"
    "from cart837.cli import main\n"
    "result = CliRunner().invoke(main, sys.argv[1:])\n"
    "assert result.exit_code in (0, 1), result.output\n"
    f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {WATCHED!r})))\n"
)


def _imported(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_fix_imports_no_schema_pool_report_or_structlog(tmp_path: Path) -> None:
    source = generate(claims=30, cart_share=0.3, all_scenarios=True)
    imported = _imported("fix", "-q", str(source), "-o", str(tmp_path / "out.837"))
    assert {"cart837.batch", "cart837.rules.engine", "cart837.claims.stream"} <= imported
    assert (tmp_path / "out.837").is_file()
    assert imported.isdisjoint(NOT_FOR_FIX), sorted(imported & set(NOT_FOR_FIX))


def test_fix_with_a_report_imports_the_report_writer(tmp_path: Path) -> None:
    source = generate(claims=30, cart_share=0.3, all_scenarios=True)
    report = tmp_path / "r.json"
    imported = _imported("fix", "-q", str(source), "-o", str(tmp_path / "out.837"), "--report", str(report))
    assert "cart837.report.json_report" in imported
    assert json.loads(report.read_text())["files"][0]["claims"] == 30


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_import_no_run_machinery_and_no_rules(args: tuple[str, ...]) -> None:
    imported = _imported(*args)
    assert "cart837.cli" in imported  # the probe looked at the real command
    assert imported.isdisjoint({*HEAVY, "cart837.rules", "cart837.claims.reader", "cart837.claims.stream"})


def test_rules_imports_the_rules_but_not_the_run_machinery() -> None:
    imported = _imported("rules")
    assert "cart837.rules.base" in imported
    assert imported.isdisjoint({*HEAVY, "cart837.claims.stream", "cart837.claims.patterns", "jsonschema"})
