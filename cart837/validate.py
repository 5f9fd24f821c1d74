"""Implementation-guide validation with pyx12 4.0.0, and its 999 acknowledgments.

The only module that imports pyx12 (DESIGN.md, layers). pyx12 is given what real files look
like, adapted in memory: no BOM, no line breaks or indentation between segments, latin-1 text
(pyx12 opens paths as ASCII and dies on a BOM or a non-ASCII byte), and a map directory that
routes the 837I labels pyx12 lacks (005010X223, A1, A3; GS08 005010X222 with ST03 005010X223...)
to its 005010X223A2 map. Every report says when that routing was used. pyx12's own crashes and
"Map not found" become one-line ValidationErrors.
"""

from __future__ import annotations

import io
import json
import logging
import re
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyx12.errors
import pyx12.params
import pyx12.x12n_document

from cart837.claims.fields import CLM_ID, HL_LEVEL, NM1_ENTITY
from cart837.errors import Cart837Error, Location, ValidationError
from cart837.pyx12_maps import MAPPED_LABEL, PROFESSIONAL_LABEL, PYX12_VERSION, ROUTED_LABELS, map_directory
from cart837.x12.delimiters import BOM, WHITESPACE, read_isa
from cart837.x12.envelope import GS_VERSION, ST_VERSION
from cart837.x12.segment import split_bodies

# Segments whose values may be PHI (names, ids, addresses, DOB, contacts): pyx12 quotes values in
# its messages, so on these segments they are replaced unless the user asks for PHI. NM1/N3/N4/
# PER/REF are PHI only in a person's loop (subscriber IL, patient QC) or the claim's (REF*EA is
# the medical record number); a provider's, payer's or submitter's data is shown (issue 12).
PHI_SEGMENTS = frozenset({"NM1", "N3", "N4", "DMG", "PER", "REF", "PAT"})
ALWAYS_PHI = frozenset({"DMG", "PAT"})
PERSON_ENTITIES = frozenset({"IL", "QC"})
PERSON_LEVELS = frozenset({"22", "23"})  # HL03 subscriber, patient: their claim follows
REDACTED = "[redacted]"


@dataclass(frozen=True, slots=True)
class IgError:
    """One finding of pyx12: where, which element, its error code and text."""

    location: Location
    element: str | None  # e.g. "N403", "SV202-2"
    code: str  # the 999 IK3/IK4 (or TA1/AK9) code pyx12 gives
    message: str
    value: str = ""  # the offending data pyx12 quotes (PHI on some segments)
    claim: str = ""  # CLM01 of the claim the segment belongs to ("" in envelopes and headers)

    def signature(self) -> tuple[str, str, str]:
        """Return what identifies this kind of error wherever it sits: (segment, element, code)."""
        return (self.location.segment_id or "", self.element or "", self.code)

    def describe(self) -> str:
        """Render as `byte B, segment N (SEG): ELEM message [code C]`."""
        where = self.location.describe()
        if self.claim:
            where = f"{where}, claim {self.claim}" if where else f"claim {self.claim}"
        what = f"{self.element} {self.message}" if self.element else self.message
        text = f"{where}: {what} [code {self.code}]" if where else f"{what} [code {self.code}]"
        return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """pyx12's verdict on one file."""

    file: str
    valid: bool
    errors: tuple[IgError, ...]
    notes: tuple[str, ...]  # how the file was adapted for pyx12 (map routing)
    ack: str  # the 999 pyx12 wrote ("" when it could not write one)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """The text pyx12 reads, and where each of its segments starts in the original bytes."""

    text: str
    offsets: array[int]
    data: bytes
    element: bytes
    notes: tuple[str, ...]
    bodies: list[str]  # each segment's text without its terminator (segment.split_bodies)

    def tag(self, index: int) -> str:
        """Return the id of segment `index` (0-based), read from the original bytes."""
        start = self.offsets[index]
        return self.data[start : start + 4].split(self.element, 1)[0][:3].decode("latin-1")


def validate_path(path: Path, display: str | None = None, show_phi: bool = False) -> ValidationReport:
    """Validate one file against the implementation guide."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValidationError(f"cannot read: {error.strerror or error}", Location(name)) from None
    return validate_bytes(data, name, show_phi)


def validate_bytes(data: bytes, file: str = "-", show_phi: bool = False) -> ValidationReport:
    """Validate X12 bytes with pyx12; raise ValidationError when pyx12 cannot judge them."""
    prepared = _prepare(data, file)
    report, ack, last_line, records = _run_pyx12(prepared, file)
    _refuse_unreadable(records, prepared, file)
    document = _error_document(report, _crash_location(prepared, last_line, file))
    found = list(_errors(document, prepared, file))
    found.extend(_logged_only(records, found, prepared, file))
    claims, phi = _contexts(prepared)
    found = [_in_claim(error, claims) for error in found]
    if not show_phi:
        found = [_redacted(error, phi) for error in found]
    errors = tuple(sorted(found, key=lambda e: e.location.segment_index or 0))
    valid = last_line.ok and not errors
    if not last_line.ok and not errors:
        errors = (IgError(Location(file), None, "?", "pyx12 reports the file invalid without naming an error"),)
    return ValidationReport(file, valid, errors, prepared.notes, ack)


# -- adapting real files for pyx12 ---------------------------------------------------------------


def _prepare(data: bytes, file: str) -> _Prepared:
    """Drop the BOM and the whitespace between segments; remember each segment's byte offset."""
    start = len(BOM) if data.startswith(BOM) else 0
    while start < len(data) and data[start] in WHITESPACE:
        start += 1
    if start >= len(data):
        raise ValidationError("empty input: no X12 data", Location(file, 0, None, None))
    try:
        delimiters = read_isa(data, start, file)
    except Cart837Error as error:
        raise ValidationError(f"pyx12 cannot read this file: {error.message}", error.location) from None
    term = delimiters.segment.decode("latin-1")
    bodies, ends = split_bodies(data[start:], delimiters)
    offsets: array[int] = array("q", [start])
    offsets.extend(start + end for end in ends[:-1])
    unterminated = bool(bodies) and offsets[-1] + len(bodies[-1]) >= len(data)
    text = term.join(bodies) + ("" if unterminated or not bodies else term)  # an unterminated tail stays so
    element = delimiters.element.decode("latin-1")
    return _Prepared(text, offsets, data, delimiters.element, _routing_notes(bodies, element), bodies)


def _routing_notes(bodies: list[str], sep: str) -> tuple[str, ...]:
    """Say which GS08/ST03 labels pyx12 checks with its 005010X223A2 map instead."""
    notes: list[str] = []
    group_label = ""
    for body in bodies:
        if body[:3] not in ("GS" + sep, "ST" + sep):
            continue
        elements = body.split(sep)
        if elements[0] == "GS":
            group_label = elements[GS_VERSION].strip() if len(elements) > GS_VERSION else ""
            if group_label in ROUTED_LABELS:
                notes.append(f"GS08 {group_label}: pyx12 has no map for it; checked with its {MAPPED_LABEL} map")
            continue
        label = elements[ST_VERSION].strip() if len(elements) > ST_VERSION else ""
        if group_label == PROFESSIONAL_LABEL and label.startswith(ROUTED_LABELS[0]):
            notes.append(
                f"GS08 {PROFESSIONAL_LABEL} with ST03 {label} is an 837I: checked with pyx12's {MAPPED_LABEL} map"
            )
        elif label in ROUTED_LABELS and group_label not in ROUTED_LABELS:
            notes.append(f"ST03 {label}: accepted as {MAPPED_LABEL} (pyx12 maps only that label)")
    return tuple(dict.fromkeys(notes))


# -- running pyx12 --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Progress:
    """What pyx12's per-segment callback saw last (to place a crash) and its verdict."""

    line: int = 0
    ok: bool = True

    def __call__(self, seg: Any, src: Any, node: Any, valid: bool) -> None:
        self.line = int(src.get_cur_line())
        self.ok = bool(valid)


class _Collect(logging.Handler):
    """Keep pyx12's log records (it logs each error to stderr otherwise)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _quiet_pyx12() -> Iterator[_Collect]:
    logger = logging.getLogger("pyx12")
    handler = _Collect()
    saved = logger.handlers[:], logger.propagate, logger.level
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.handlers, logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])


def _run_pyx12(prepared: _Prepared, file: str) -> tuple[str, str, _Progress, list[logging.LogRecord]]:
    """Run pyx12's x12n_document on the prepared text: its JSON error report, 999, progress, log records.

    Its exceptions become ValidationErrors.
    """
    ack, report, progress = io.StringIO(), io.StringIO(), _Progress()
    with _quiet_pyx12() as collected:
        try:
            result = pyx12.x12n_document.x12n_document(
                pyx12.params.params(),
                io.StringIO(prepared.text),
                ack,
                None,
                None,
                report,
                map_path=map_directory(),
                callback=progress,
            )
        except pyx12.errors.EngineError as error:
            raise ValidationError(_engine_message(error), _crash_location(prepared, progress, file)) from None
        except Exception as error:  # noqa: BLE001 - pyx12 dies in many ways (IndexError, KeyError, ...) on bad input
            message = f"pyx12 {PYX12_VERSION} crashed ({type(error).__name__}: {error}); the file cannot be validated"
            raise ValidationError(message, _crash_location(prepared, progress, file)) from None
    progress.ok = progress.ok and bool(result)
    return report.getvalue(), ack.getvalue(), progress, collected.records


def _error_document(report: str, where: Location) -> dict[str, Any]:
    """Decode pyx12's JSON error report; a missing or unreadable one means the file was not judged."""
    try:
        document = json.loads(report)
    except json.JSONDecodeError as error:
        why = "no error report" if not report.strip() else f"an unreadable error report ({error.msg})"
        raise ValidationError(f"pyx12 {PYX12_VERSION} wrote {why}; the file cannot be validated", where) from None
    if not isinstance(document, dict):
        raise ValidationError(
            f"pyx12 {PYX12_VERSION} wrote an error report that is not a JSON object; the file cannot be validated",
            where,
        )
    return document


def _engine_message(error: Exception) -> str:
    text = " ".join(str(error).split())
    if text.startswith("Map not found"):
        return f"pyx12 {PYX12_VERSION} has no map for this file ({text.removeprefix('Map not found.').strip()})"
    return f"pyx12 {PYX12_VERSION} stopped: {text}"


def _crash_location(prepared: _Prepared, progress: _Progress, file: str) -> Location:
    """Place a pyx12 crash at the segment after the last one it finished."""
    index = min(progress.line, len(prepared.offsets) - 1)
    return Location(file, prepared.offsets[index], index + 1, prepared.tag(index))


def _refuse_unreadable(records: list[logging.LogRecord], prepared: _Prepared, file: str) -> None:
    """pyx12 logs (and returns False) instead of raising when its reader refuses the data."""
    for record in records:
        text = record.getMessage()
        if "does not look like an X12 data file" in text:
            where = Location(file, prepared.offsets[0], 1, "ISA")
            raise ValidationError(f"pyx12 {PYX12_VERSION} cannot read it as X12", where)


def _errors(document: dict[str, Any], prepared: _Prepared, file: str) -> Iterator[IgError]:
    """Flatten pyx12's JSON error tree (interchange, group, transaction, segment, element)."""
    for isa in document.get("interchanges", []):
        yield from _node_errors(isa, "ISA", prepared, file)
        for group in isa.get("groups", []):
            yield from _node_errors(group, "GS", prepared, file)
            for transaction in group.get("transactions", []):
                yield from _node_errors(transaction, "ST", prepared, file)
                for segment in transaction.get("segments", []):
                    yield from _segment_errors(segment, prepared, file)


_LOGGED = re.compile(r"Line:(\d+) (ISA|GS|ST|SEG|ELE):(\S+) - (.*)")


def _logged_only(
    records: list[logging.LogRecord], known: list[IgError], prepared: _Prepared, file: str
) -> Iterator[IgError]:
    """Yield the errors pyx12 logged but left out of its JSON (elements of ISA/GS/GE/IEA/ST/SE)."""
    seen = {(e.location.segment_index, e.message) for e in known}
    for record in records:
        match = _LOGGED.fullmatch(record.getMessage()) if record.levelno >= logging.ERROR else None
        if match is None:
            continue
        line, kind, code, text = int(match[1]), match[2], match[3], match[4]
        where = _where(line, None, prepared, file)
        if any(where.segment_index == index and text.startswith(message) for index, message in seen if message):
            continue
        value = text[text.rfind("(") + 1 : -1] if kind == "ELE" and text.endswith(")") else ""
        yield IgError(where, None, code, text, value)


def _where(line: Any, tag: str | None, prepared: _Prepared, file: str) -> Location:
    """Turn pyx12's 1-based segment line into a Location in the original bytes."""
    if not isinstance(line, int) or not 1 <= line <= len(prepared.offsets):
        return Location(file, None, None, tag)
    return Location(file, prepared.offsets[line - 1], line, tag or prepared.tag(line - 1))


def _node_errors(node: dict[str, Any], tag: str, prepared: _Prepared, file: str) -> Iterator[IgError]:
    for error in node.get("errors", []):
        where = _where(node.get("cur_line"), None, prepared, file)
        yield IgError(where, None, str(error.get("err_cde", "")), f"({tag} loop) {error.get('err_str', '')}")


def _segment_errors(segment: dict[str, Any], prepared: _Prepared, file: str) -> Iterator[IgError]:
    tag = segment.get("seg_id") or None
    where = _where(segment.get("cur_line"), tag, prepared, file)
    for error in segment.get("errors", []):
        yield IgError(where, None, str(error.get("err_cde", "")), str(error.get("err_str", "")), _value(error))
    for element in segment.get("elements", []):
        label = f"{tag or ''}{int(element.get('ele_pos') or 0):02d}"
        if element.get("subele_pos"):
            label += f"-{element['subele_pos']}"
        for error in element.get("errors", []):
            yield IgError(where, label, str(error.get("err_cde", "")), str(error.get("err_str", "")), _value(error))


def _value(error: dict[str, Any]) -> str:
    value = error.get("err_val")
    return str(value) if value else ""


_QUOTED_SEGMENT = re.compile(r"Segment (\w{2,3})\S*")


def _contexts(prepared: _Prepared) -> tuple[list[str], bytearray]:
    """Return, per segment (0-based), the claim it belongs to and whether its values may be PHI.

    A segment after a CLM belongs to that claim until the next HL or SE; the HL loops before a
    claim (subscriber, patient) belong to the claim that follows them in the transaction.
    """
    element = prepared.element.decode("latin-1")
    claims: list[str] = []
    phi = bytearray()
    pending: list[int] = []  # segments of the HL loops waiting for their claim
    current, person, collecting = "", False, False
    for index, segment in enumerate(prepared.bodies):
        parts = segment.split(element)
        tag = parts[0].strip()
        if tag == "NM1":
            person = len(parts) > NM1_ENTITY and parts[NM1_ENTITY] in PERSON_ENTITIES
        elif tag in ("HL", "SE", "ST"):
            current, person = "", False
            if tag == "HL" and len(parts) > HL_LEVEL and parts[HL_LEVEL] == "20":
                pending = []  # a billing provider's loop serves many claims: it names none
        elif tag == "CLM":
            current, person = parts[CLM_ID] if len(parts) > CLM_ID else "", True  # claim-level REF (EA: record number)
            for waiting in pending:
                claims[waiting] = current
            pending = []
        if tag in ("SE", "ST"):
            pending, collecting = [], False
        claims.append(current)
        if tag == "HL":
            collecting = len(parts) > HL_LEVEL and parts[HL_LEVEL] in PERSON_LEVELS
        if collecting and not current:
            pending.append(index)
        phi.append(tag in ALWAYS_PHI or (tag in PHI_SEGMENTS and person))
    return claims, phi


def _in_claim(error: IgError, claims: list[str]) -> IgError:
    index = error.location.segment_index
    if index is None or not 1 <= index <= len(claims) or not claims[index - 1]:
        return error
    return replace(error, claim=claims[index - 1])


def group_repeats(errors: tuple[IgError, ...]) -> list[tuple[IgError, list[IgError]]]:
    """Group errors of the same kind (segment, element, code and text, values aside), first seen first.

    One 837P file gave 1,540 lines: the same few errors on every claim. Each group is shown once
    with how many more there are and on which claims.
    """
    groups: dict[tuple[str, str, str, str], tuple[IgError, list[IgError]]] = {}
    for error in errors:
        text = error.message.replace(error.value, "…") if error.value else error.message
        key = (*error.signature(), re.sub(r"\d+", "#", text))
        if key in groups:
            groups[key][1].append(error)
        else:
            groups[key] = (error, [])
    return list(groups.values())


def _redacted(error: IgError, phi: bytearray | None = None) -> IgError:
    """Replace the data pyx12 quotes from a PHI-bearing segment (STYLE.md: no PHI without --show-phi)."""
    if error.location.segment_id not in PHI_SEGMENTS:
        return error
    index = error.location.segment_index
    if phi is not None and index is not None and 1 <= index <= len(phi) and not phi[index - 1]:
        return error  # a provider's, payer's or submitter's data: not PHI
    message = error.message.replace(error.value, REDACTED) if error.value else error.message
    message = _QUOTED_SEGMENT.sub(lambda m: f"Segment {m.group(1)}", message)
    return IgError(error.location, error.element, error.code, message, REDACTED if error.value else "", error.claim)
