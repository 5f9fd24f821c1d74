"""A real batch run (fix on a directory) whose reports the report tests read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cart837.cli import main
from tests.report.samples import canary_837, clean_837


@dataclass(frozen=True)
class Run:
    """What `cart837 fix batch -o out` with all three reports produced."""

    exit_code: int
    stdout: str
    stderr: str
    json_path: Path
    md_path: Path
    html_path: Path

    def document(self) -> dict[str, Any]:
        """Return the JSON report."""
        loaded: dict[str, Any] = json.loads(self.json_path.read_text(encoding="utf-8"))
        return loaded


def make_batch(folder: Path) -> Path:
    """Write a batch: two CAR-T claims to fix, a clean file, a broken one and a note (skipped)."""
    batch = folder / "batch"
    batch.mkdir()
    (batch / "cart.837").write_bytes(canary_837("CLAIM<script>&amp;1", "CLAIMDEP1"))
    (batch / "clean.837").write_bytes(clean_837())
    (batch / "broken.837").write_bytes(canary_837().replace(b"QX", b"YY").replace(b"SE*", b"SE*9", 1))
    (batch / "notes.txt").write_text("not X12\n", encoding="utf-8")
    return batch


def run_batch(folder: Path, *extra: str) -> Run:
    """Run fix on the batch with --report, --report-md and --report-html (and `extra` options)."""
    batch = make_batch(folder)
    out = folder / "reports"
    out.mkdir(exist_ok=True)  # a report folder must exist (a typo must not create a tree)
    paths = (out / "report.json", out / "report.md", out / "report.html")
    args = ["fix", str(batch), "-o", str(folder / "fixed"), "--report", str(paths[0])]
    args += ["--report-md", str(paths[1]), "--report-html", str(paths[2]), *extra]
    result = CliRunner().invoke(main, args)
    return Run(result.exit_code, result.stdout, result.stderr, *paths)


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The batch run, once per module."""
    return run_batch(tmp_path_factory.mktemp("batch"))
