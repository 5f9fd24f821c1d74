"""structlog set-up, done once from cli.py: JSON lines off a terminal, PHI redacted."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys whose values may carry PHI (names, member ids, DOB, addresses). Logs carry the hashed
# patient key only; this processor is the safety net, not the plan (STYLE.md, Logs).
PHI_KEYS = frozenset({
    "member_id", "last_name", "first_name", "name", "birth_date", "dob", "address", "city",
    "postal_code", "zip", "patient_name", "subscriber", "patient", "identifiers", "segment", "raw",
})
REDACTED = "[redacted]"


def redact_phi(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace PHI-bearing values (by key, at any depth) with a marker."""
    for key in list(event):
        if key in PHI_KEYS:
            event[key] = REDACTED
        elif isinstance(event[key], dict):
            event[key] = dict(redact_phi(_logger, _method, dict(event[key])))
    return event


def configure(verbosity: int = 0, stream: Any = None) -> None:
    """Configure structlog: -q errors only, default warnings, -v info, -vv debug."""
    stream = stream or sys.stderr
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False)
        if getattr(stream, "isatty", lambda: False)()
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_phi,
            structlog.processors.format_exc_info if verbosity >= 1 else _drop_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def _drop_exc_info(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Without -v a traceback is not printed (the CLI says to rerun with -v)."""
    event.pop("exc_info", None)
    return event
