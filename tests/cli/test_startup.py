"""`cart837 --version` and `cart837 rules` import only what they use (issue 14: start in < 150 ms)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("cart837.batch", "cart837.parallel", "cart837.report.json_report", "structlog", "pyx12")
PROBE = (
    "import json, sys\n"
    "from click.testing import CliRunner\n"
    "from cart837.cli import main\n"
    "result = CliRunner().invoke(main, sys.argv[1:])\n"
    "assert result.exit_code == 0, result.output\n"
    "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('cart837', 'structlog', 'pyx12')))))\n"
)


def _imported(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_import_no_run_machinery_and_no_rules(args: tuple[str, ...]) -> None:
    imported = _imported(*args)
    assert "cart837.cli" in imported  # the probe looked at the real command
    assert imported.isdisjoint({*HEAVY, "cart837.rules", "cart837.claims.reader", "cart837.claims.stream"})


def test_rules_imports_the_rules_but_not_the_run_machinery() -> None:
    imported = _imported("rules")
    assert "cart837.rules.base" in imported
    assert imported.isdisjoint(HEAVY)
