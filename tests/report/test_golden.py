"""The Markdown and HTML reports of the sample are golden files (rewrite them with `make golden`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cart837.report import html, markdown
from cart837.report.model import Report
from tests.report.samples import sample_report

GOLDEN = Path(__file__).parents[1] / "golden"


@pytest.mark.parametrize(("name", "render"), [("report.md", markdown.render), ("report.html", html.render)])
def test_rendering_matches_the_golden_file(name: str, render: object) -> None:
    assert callable(render)
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert render(Report.from_dict(sample_report())) == expected, f"run `make golden` and review the diff of {name}"
