"""PHI never reaches a log line: redaction by key, type and shape; no log call passes PHI."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import pytest

import cart837
from cart837 import logs
from cart837.logs import REDACTED, format_exception, redact_phi, redact_value
from cart837.x12.delimiters import Delimiters
from cart837.x12.segment import split_segments

NAME, MEMBER, DOB = "QXLOGNAMECANARY", "QXLOGMEMBER991", "19170305"
NM1 = f"NM1*IL*1*{NAME}*JANE****MI*{MEMBER}~"
DELIMITERS = Delimiters(b"*", b":", b"^", b"~")


def _redacted(**event: object) -> dict[str, object]:
    return dict(redact_phi(None, "info", dict(event)))


def test_phi_keys_are_redacted_whatever_their_case_or_depth() -> None:
    event = _redacted(
        last_name=NAME,
        MemberId=MEMBER,
        patient_dob=DOB,
        nested={"subscriber": {"first": NAME}, "count": 3},
        items=[{"birth_date": DOB}],
        claim="CLM1",
        patient_key="P0123456789abcdef",
        findings=2,
    )
    assert event["last_name"] == event["MemberId"] == event["patient_dob"] == REDACTED
    assert event["nested"] == {"subscriber": REDACTED, "count": 3}
    assert event["items"] == [{"birth_date": REDACTED}]
    assert (event["claim"], event["patient_key"], event["findings"]) == ("CLM1", "P0123456789abcdef", 2)


def test_segment_text_bytes_and_objects_are_redacted_under_any_key() -> None:
    segment = next(split_segments(NM1.encode(), DELIMITERS))
    event = _redacted(note=NM1, value=NM1.encode(), thing=segment, things=(segment,), fine="3 claims fixed")
    assert event["note"] == event["value"] == REDACTED
    assert event["things"] == [f"{REDACTED} Segment"]
    assert event["thing"] == f"{REDACTED} Segment"
    assert event["fine"] == "3 claims fixed"
    assert NAME not in json.dumps(event) and MEMBER not in json.dumps(event)


def test_plain_values_pass() -> None:
    assert redact_value("a.837") == "a.837"
    assert redact_value(Path("/tmp/a.837")) == Path("/tmp/a.837")
    assert redact_value(12) == 12


def test_exception_messages_lose_data_words_but_keep_their_english() -> None:
    assert logs.scrub_message(f"no product for {NAME} born {DOB}") == "no product for … born …"
    assert logs.scrub_message("invalid literal for int() with base 10: 'Smith'") == (
        "invalid literal for int() with base 10: '…'"
    )


def test_traceback_keeps_frames_but_drops_quoted_values() -> None:
    try:
        try:
            int(NAME)
        except ValueError as inner:
            raise RuntimeError(f"could not read {NM1!r}") from inner
    except RuntimeError as error:
        text = format_exception(error)
    assert "Traceback (most recent call last)" in text and "test_traceback_keeps_frames" in text
    assert "ValueError: invalid literal for int() with base 10: '…'" in text
    assert "RuntimeError: could not read '…'" in text
    assert NAME not in text and MEMBER not in text


def _log_lines(verbosity: int, tty: bool, emit: object) -> str:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    stream = Stream()
    logs.configure(verbosity, stream)
    try:
        assert callable(emit)
        emit()
    finally:
        logs.configure(0)
    return stream.getvalue()


def test_json_lines_off_a_terminal_and_readable_on_one() -> None:
    def emit() -> None:
        logs.get_logger().info("claim_fixed", file="a.837", claim="C1", member_id=MEMBER, note=NM1)

    lines = _log_lines(1, False, emit).splitlines()
    record = json.loads(lines[0])
    assert (record["event"], record["claim"], record["level"]) == ("claim_fixed", "C1", "info")
    assert record["member_id"] == record["note"] == REDACTED
    console = _log_lines(1, True, emit)
    assert "claim_fixed" in console and "claim=C1" in console and not console.startswith("{")
    assert MEMBER not in console and NAME not in console


def test_exception_logged_with_v_is_scrubbed_and_dropped_without() -> None:
    def emit() -> None:
        try:
            raise ValueError(f"bad name {NAME!r}")
        except ValueError:
            logs.get_logger().exception("internal_error", file="a.837")

    verbose = json.loads(_log_lines(1, False, emit))
    assert "ValueError: bad name '…'" in verbose["exception"] and NAME not in json.dumps(verbose)
    quiet = json.loads(_log_lines(0, False, emit))
    assert "exception" not in quiet and quiet["event"] == "internal_error"


def test_levels_follow_q_and_v() -> None:
    def emit() -> None:
        log = logs.get_logger()
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.error("e")

    def events(verbosity: int) -> list[str]:
        return [json.loads(line)["event"] for line in _log_lines(verbosity, False, emit).splitlines()]

    assert events(-1) == ["e"]
    assert events(0) == ["w", "e"]
    assert events(1) == ["i", "w", "e"]
    assert events(2) == ["d", "i", "w", "e"]


def test_capture_logs_of_a_run_hold_no_phi(tmp_path: Path) -> None:
    from tests.report.samples import CANARIES, canary_837
    from tests.rules.harness import config_of, run_fix

    stream = io.StringIO()
    logs.configure(2, stream, fmt="json")  # debug: every event is written, as the CLI writes it
    try:
        _, result = run_fix(canary_837(), tmp_path, config_of(None))
    finally:
        logs.configure(0)
    assert result.claims_changed == 2
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(record["event"] == "claim_fixed" for record in records)
    assert not [name for name, value in CANARIES.items() if value in stream.getvalue()]


# -- the plan, not the safety net: no log call in the package passes PHI --------------------

LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "msg"}
# Attributes that hold segment text, raw bytes or patient identifiers.
PHI_ATTRIBUTES = {
    "raw",
    "text",
    "elements",
    "segments",
    "segment",
    "data",
    "patient",
    "member_id",
    "last_name",
    "first_name",
    "birth_date",
    "identifiers",
    "subscriber",
    "header",
    "lines",
    "sv2",
    "clm",
    "before",
    "after",
    "message",
}


def _log_calls() -> list[tuple[str, ast.Call]]:
    calls: list[tuple[str, ast.Call]] = []
    for path in sorted(Path(cart837.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOG_METHODS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"log", "logger"}
            ):
                calls.append((f"{path.name}:{node.lineno}", node))
    return calls


def _is_len(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _is_stats(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "stats"


def test_no_log_call_passes_segment_text_or_patient_fields() -> None:
    calls = _log_calls()
    assert len(calls) >= 3, "the scan found too few log calls: it is not reading the package"
    problems: list[str] = []
    for where, call in calls:
        event = call.args[0] if call.args else None
        if not (isinstance(event, ast.Constant) and isinstance(event.value, str) and event.value.isidentifier()):
            problems.append(f"{where}: the event must be a snake_case string literal")
        if len(call.args) > 1:
            problems.append(f"{where}: positional format arguments are not allowed")
        for keyword in call.keywords:
            if keyword.arg is None and _is_stats(keyword.value):
                continue  # `**index.stats()`: a dict[str, int] of sizes
            if keyword.arg is None or keyword.arg in {"last_name", "first_name", "member_id", "segment"}:
                problems.append(f"{where}: keyword {keyword.arg!r} is not allowed")
            if _is_len(keyword.value):
                continue  # a count of something is fine
            for node in ast.walk(keyword.value):
                if isinstance(node, ast.Attribute) and node.attr in PHI_ATTRIBUTES:
                    problems.append(f"{where}: {keyword.arg}= reads .{node.attr}")
    assert not problems, problems


@pytest.mark.parametrize("text", ["NM1*IL*1*DOE*JANE~", "DMG|D8|19600101|F", "x N3*1 MAIN ST*APT 2~"])
def test_segment_shapes_are_recognised(text: str) -> None:
    assert logs.looks_like_segment(text)


@pytest.mark.parametrize("text", ["claim_fixed", "CART-002 flagged 3 lines", "a/b.837: byte 12, segment 3 (SE)"])
def test_ordinary_text_is_not_taken_for_a_segment(text: str) -> None:
    assert not logs.looks_like_segment(text)
