"""cart837's own structlog logger: text or JSON lines, one write() per record, PHI redacted.

The package never calls structlog.configure: a host program's logging stays its own, and
cart837's records (PHI-redacted) go to stderr through a logger of its own (`get_logger`).

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

import io
import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any, TextIO

REDACTED = "[redacted]"
# Words that mark a PHI-bearing field; a key is split into words (snake, kebab or camel case).
PHI_WORDS = frozenset(
    {
        "name",
        "names",
        "first",
        "last",
        "middle",
        "member",
        "subscriber",
        "patient",
        "dependent",
        "insured",
        "birth",
        "dob",
        "born",
        "address",
        "street",
        "city",
        "zip",
        "postal",
        "phone",
        "ssn",
        "identifiers",
        "identifier",
        "segment",
        "segments",
        "raw",
        "data",
        "text",
        "before",
        "after",
        "nm1",
        "n3",
        "n4",
        "dmg",
        "ref",
    }
)
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


@dataclass(frozen=True, slots=True)
class LogSettings:
    """How a run logs; it pickles, so worker processes and Dask tasks log like the parent."""

    verbosity: int = 0
    fmt: str = "text"  # "text" or "json"
    run_id: str | None = None


class LineWriter:
    """structlog's output end: each record and its newline leave in one write().

    One os.write() per record keeps the lines of several processes writing to one pipe or file
    whole (a pipe keeps writes up to PIPE_BUF bytes together, a file opened O_APPEND any write).
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def msg(self, message: str) -> None:
        """Write one record as one line."""
        write_line(self.stream, message)

    log = debug = info = warning = warn = error = critical = exception = fatal = failure = err = msg


def write_line(stream: TextIO, text: str) -> None:
    """Write `text` and a newline with one write() where the stream has a file descriptor."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        stream.write(text + "\n")
        stream.flush()
        return
    stream.flush()  # anything buffered first, so the order holds
    encoding = getattr(stream, "encoding", None) or "utf-8"
    data = (text + "\n").encode(encoding, getattr(stream, "errors", None) or "backslashreplace")
    while data:
        written = os.write(descriptor, data)
        data = data[written:]


def _add_run_id(run_id: str) -> Any:
    def add(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event.setdefault("run_id", run_id)
        return event

    return add


@dataclass(slots=True)
class _State:
    """The package's own logger: configured here, never through structlog.configure (the host's)."""

    settings: LogSettings | None = None
    stream: TextIO | None = None
    bound: Any = None
    level: int = logging.WARNING
    warnings: list[str] = field(default_factory=list)  # this run's `warn` texts, for its report


_STATE = _State()


def configure(
    verbosity: int = 0, stream: TextIO | None = None, fmt: str | None = None, run_id: str | None = None
) -> None:
    """Configure cart837's logger: -q errors only, default warnings, -v info, -vv debug.

    `fmt` "json" or "text"; None picks JSON off a terminal. The host program's structlog and
    logging set-up are never touched: cart837 logs through a logger of its own.
    """
    stream = stream or sys.stderr
    if fmt is None:
        fmt = "text" if stream.isatty() else "json"
    settings = LogSettings(verbosity, fmt, run_id)
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    _STATE.settings, _STATE.stream, _STATE.level = settings, stream, level
    _STATE.warnings = []
    _STATE.bound = None  # made at the first record that passes `level`: structlog takes ~0.05 s to import


def _bound_logger() -> Any:
    """Return the structlog logger for the settings in force (made once per configure)."""
    import structlog

    settings, stream, level = current(), _STATE.stream or sys.stderr, _STATE.level
    fmt, run_id = settings.fmt, settings.run_id
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    processors: list[Any] = [structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True)]
    if run_id:
        processors.append(_add_run_id(run_id))
    processors += [redact_phi, format_exc_info if settings.verbosity >= 1 else _drop_exc_info, renderer]
    _STATE.bound = structlog.wrap_logger(
        LineWriter(stream), processors=processors, wrapper_class=structlog.make_filtering_bound_logger(level)
    ).bind()
    return _STATE.bound


def apply(settings: LogSettings) -> None:
    """Configure a worker process as its parent was (stderr is inherited)."""
    configure(settings.verbosity, None, settings.fmt, settings.run_id)


def current() -> LogSettings:
    """Return the settings in force (the library's default until the CLI configures)."""
    if _STATE.settings is None:
        configure_default()
    assert _STATE.settings is not None
    return _STATE.settings


def configure_default() -> None:
    """For library use: warnings and up, PHI-redacted, on stderr (never stdout, where a caller may write)."""
    if _STATE.settings is None:
        configure(0, sys.stderr, fmt="text")  # the CLI's `cart837: error:` lines stay text until asked otherwise


# The level of each logger method; a call below the configured level is dropped without structlog.
_METHOD_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
}


def _drop(*_args: object, **_fields: object) -> None:
    """A record below the level in force: nothing to do."""


class _Proxy:
    """What `get_logger()` returns: the package's logger as configured now."""

    def __getattr__(self, name: str) -> Any:
        bound = _STATE.bound
        if bound is None:
            if _STATE.settings is None:
                configure_default()
            if _METHOD_LEVELS.get(name, logging.CRITICAL) < _STATE.level:
                return _drop  # structlog's filtering logger drops it too; it need not be imported for that
            bound = _bound_logger()
        return getattr(bound, name)


def get_logger() -> Any:
    """Return cart837's logger (`log = logs.get_logger()` at the top of a module)."""
    return _Proxy()


def announce(level: str, event: str, text: str, **fields: Any) -> None:
    """Print a line the CLI always shows (an error, a skip, the summary): plain, or a JSON record in JSON mode.

    Text mode writes `text` as it is; JSON mode writes one record whose `message` is `text`, so
    every line of standard error is JSON then.
    """
    settings = current()
    stream = sys.stderr  # the CLI's standard error now (the CLI configures its logger on it too)
    if settings.fmt != "json":
        write_line(stream, text)
        return
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")  # as structlog's TimeStamper writes it
    record: dict[str, Any] = {"event": event, "level": level, "timestamp": stamp}
    if settings.run_id:
        record["run_id"] = settings.run_id
    record["message"] = text
    record.update(fields)
    write_line(stream, json.dumps(redact_phi(None, level, record), default=str))


MAX_WARNINGS = 1000  # kept for the report; a library host that never reconfigures must not grow without end


def warn(event: str, text: str, **fields: Any) -> None:
    """Warn whoever runs cart837: one `cart837: warning: TEXT` line (a JSON record in JSON mode), not with -q.

    The text is kept for the run's report (`warnings`); it names paths and counts, never PHI.
    """
    if len(_STATE.warnings) < MAX_WARNINGS:
        _STATE.warnings.append(text)
    if current().verbosity >= 0:
        announce("warning", event, f"cart837: warning: {text}", **fields)


def run_warnings() -> list[str]:
    """Return the warnings of this run so far (`warn`), oldest first."""
    return list(_STATE.warnings)
