"""The JSON report's schemas (schema.json = schema 2, schema-1.json; shipped in the package) and validation.

Reports are written in schema 2; `cart837 report` still reads schema-1 reports of the first release.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from cart837.errors import Location, ReportError

CURRENT = 2
SCHEMA_FILES = {2: "schema.json", 1: "schema-1.json"}


@cache
def schema(version: int = CURRENT) -> dict[str, Any]:
    """Return the JSON Schema of one report schema version (the current one by default)."""
    text = resources.files("cart837.report").joinpath(SCHEMA_FILES[version]).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator(version: int) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema(version))
    cls.check_schema(schema(version))
    return cls(schema(version))


def version_of(document: object) -> int:
    """Return the schema version a document claims (an unknown one is checked as the current one)."""
    claimed = document.get("schema") if isinstance(document, dict) else None
    known = isinstance(claimed, int) and not isinstance(claimed, bool) and claimed in SCHEMA_FILES
    return claimed if known and isinstance(claimed, int) else CURRENT


def json_path(path: Any) -> str:
    """Render a jsonschema error path as `files[0].findings[2].action`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate(document: object, source: str = "-") -> None:
    """Raise ReportError naming the first place where `document` breaks the schema it claims (1 or 2)."""
    instance: Any = document  # any JSON value; the schema says what it must be
    version = version_of(document)
    error = best_match(_validator(version).iter_errors(instance))
    if error is not None:
        message = error.message
        if isinstance(error.instance, str | int | float) and not isinstance(error.instance, bool):
            message = message.replace(repr(error.instance), "the value")  # it may be PHI (--show-phi)
        message = " ".join(message.split())
        if len(message) > 200:
            message = message[:197] + "..."
        where = json_path(error.absolute_path)
        raise ReportError(f"not a cart837 schema-{version} report: {where}: {message}", Location(source))


def load(path: Path) -> dict[str, Any]:
    """Read a JSON report and validate it; any problem is one ReportError."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReportError(f"cannot read: {error.strerror or error}", Location(source)) from None
    except UnicodeDecodeError:
        raise ReportError("not UTF-8 text", Location(source)) from None
    return parse(text, source)


def parse(text: str, source: str = "-") -> dict[str, Any]:
    """Parse JSON report text and validate it; any problem is one ReportError."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ReportError(f"not JSON: {error.msg} at {where}", Location(source)) from None
    validate(document, source)
    assert isinstance(document, dict)  # the schema says so
    return document
