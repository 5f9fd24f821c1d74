"""Write the people's reports (Markdown, HTML) from a schema-1 document, atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cart837.report import html, markdown
from cart837.report.model import Report


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to a temp file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def write_people_reports(document: Mapping[str, Any], markdown_path: Path | None, html_path: Path | None) -> None:
    """Render and write whichever of the Markdown and HTML reports were asked for."""
    report = Report.from_dict(document)
    if markdown_path is not None:
        write_text_atomic(markdown_path, markdown.render(report))
    if html_path is not None:
        write_text_atomic(html_path, html.render(report))
