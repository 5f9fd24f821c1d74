"""structlog set-up, done once from cli.py: JSON lines off a terminal, readable on one, PHI redacted.

The plan is that no code logs PHI: log calls pass counts, claim ids, file names and the hashed
patient key only, never segment text, names, member ids, dates of birth or addresses (a test
reads every log call in the package to hold to that). `redact_phi` is the safety net for
mistakes, and it cannot know which values are a member id or a name, so it works by shape:
- a key that names PHI (`last_name`, `member_id`, `segment`, `raw`, ...) has its value replaced;
- bytes, and any object that is not a plain value (a Segment, a Claim, a Patient), are replaced;
- text shaped like an X12 segment (`NM1*IL*1*...`) is replaced, whatever its key.
Tracebacks (shown with -v) keep their frames but lose the data in exception messages.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any, TextIO

import structlog

REDACTED = "[redacted]"
# Words that mark a PHI-bearing field; a key is split into words (snake, kebab or camel case).
PHI_WORDS = frozenset({
    "name", "names", "first", "last", "middle", "member", "subscriber", "patient", "dependent", "insured",
    "birth", "dob", "born", "address", "street", "city", "zip", "postal", "phone", "ssn",
    "identifiers", "identifier", "segment", "segments", "raw", "data", "text", "before", "after",
    "nm1", "n3", "n4", "dmg", "ref",
})
# Keys that hold no PHI although a word above is part of them (the hashed key is the safe id).
SAFE_KEYS = frozenset({"event", "level", "timestamp", "logger", "file", "claim", "patient_key", "exc_info"})
PLAIN = (str, int, float, bool, Decimal, date, datetime, PurePath, Enum, type(None))
# Segment-shaped text: an X12 tag, then an element separator used at least twice.
_SEGMENT = re.compile(r"(?:^|[\s~'\"(\[])[A-Z][A-Z0-9]{1,2}([*|^!+:])[^~\n]*?\1")
_WORD = re.compile(r"[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z]+[0-9]*|[0-9]+")  # snake, kebab and camel case
_DATA_WORD = re.compile(r"(?<![\w'])[A-Z0-9][A-Z0-9/\-]{2,}(?![\w'])")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|b'[^']*'")


def _phi_key(key: str) -> bool:
    """Return whether a key names a PHI-bearing field."""
    if key in SAFE_KEYS:
        return False
    return any(word.lower() in PHI_WORDS for word in _WORD.findall(key))


def looks_like_segment(text: str) -> bool:
    """Return whether text holds something shaped like X12 segment text (`NM1*IL*1*DOE`)."""
    return _SEGMENT.search(text) is not None


def redact_value(value: object) -> object:
    """Return a value fit for a log line: plain values pass, PHI-shaped ones are replaced."""
    if isinstance(value, bytes | bytearray | memoryview):
        return REDACTED
    if isinstance(value, str):
        return REDACTED if looks_like_segment(value) else value
    if isinstance(value, Mapping):
        return {str(k): REDACTED if _phi_key(str(k)) else redact_value(v) for k, v in value.items()}
    # Exact types only: a Segment, a Line or a Claim is a named tuple, and must not be opened up.
    if isinstance(value, list | tuple | set | frozenset) and type(value) in (list, tuple, set, frozenset):
        return [redact_value(item) for item in value]
    if isinstance(value, PLAIN):
        return value
    return f"{REDACTED} {type(value).__name__}"  # a Segment, Claim, Patient...: never its repr


def redact_phi(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace PHI-bearing values: by key name, by type and by shape, at any depth."""
    for key in list(event):
        if key == "exc_info":
            continue
        event[key] = REDACTED if _phi_key(key) else redact_value(event[key])
    return event


def scrub_message(text: str) -> str:
    """Drop quoted values, data-shaped words and segment-shaped text from an exception message.

    X12 data is upper case and digits (names, member ids, dates), so such words of 3+ characters
    go; the English of the message stays.
    """
    text = _QUOTED.sub("'…'", text)
    return REDACTED if looks_like_segment(text) else _DATA_WORD.sub("…", text)


def format_exception(error: BaseException) -> str:
    """Format a traceback like Python does, with every exception message scrubbed."""
    chain: list[tuple[BaseException, str]] = []
    current: BaseException | None = error
    link = ""
    while current is not None and len(chain) < 20:
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of the following exception:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception, another exception occurred:"
        else:
            current = None
    parts: list[str] = []
    for exc, joined_by in reversed(chain):
        frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        parts.append(f"Traceback (most recent call last):\n{frames}{type(exc).__qualname__}: {scrub_message(str(exc))}")
        if joined_by:
            parts.append(f"\n{joined_by}\n")
    return "\n".join(parts)


def format_exc_info(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace `exc_info` with a scrubbed `exception` text (structlog's own would keep messages)."""
    info = event.pop("exc_info", None)
    if info is True:
        info = sys.exc_info()[1]
    elif isinstance(info, tuple):
        info = info[1]
    if isinstance(info, BaseException):
        event["exception"] = format_exception(info)
    return event


def _drop_exc_info(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Without -v a traceback is not printed (the CLI says to rerun with -v)."""
    event.pop("exc_info", None)
    return event


def configure(verbosity: int = 0, stream: TextIO | None = None) -> None:
    """Configure structlog: -q errors only, default warnings, -v info, -vv debug."""
    stream = stream or sys.stderr
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        if stream.isatty()
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_phi,
            format_exc_info if verbosity >= 1 else _drop_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def configure_default() -> None:
    """For library use: warnings and up, PHI-redacted, on stderr — unless the caller configured structlog.

    structlog's own default prints every level to stdout, where a library caller may be
    writing fixed files.
    """
    if not structlog.is_configured():
        configure(0, sys.stderr)
