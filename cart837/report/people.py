"""Write the people's reports (Markdown, HTML) from a schema-1 or schema-2 document, atomically."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cart837.atomic import write_atomically
from cart837.report import html, markdown
from cart837.report.model import Report


def write_people_reports(document: Mapping[str, Any], markdown_path: Path | None, html_path: Path | None) -> None:
    """Render and write whichever of the Markdown and HTML reports were asked for."""
    report = Report.from_dict(document)
    if markdown_path is not None:
        write_atomically(markdown_path, markdown.render(report))
    if html_path is not None:
        write_atomically(html_path, html.render(report))
