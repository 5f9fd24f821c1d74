"""`fix --validate` and the 999 files: judge a fixed output against its input with pyx12.

pyx12 itself is run by cart837/validate.py (the only module that imports it).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cart837.atomic import write_atomically
from cart837.errors import Location, ValidationError, X12SyntaxError
from cart837.pyx12_maps import PYX12_VERSION
from cart837.validate import IgError, ValidationReport, validate_path
from cart837.x12.delimiters import BOM, ISA_LENGTH, WHITESPACE, read_isa
from cart837.x12.envelope import (
    ISA_COMPONENT,
    ISA_CONTROL,
    ISA_DATE,
    ISA_RECEIVER,
    ISA_RECEIVER_QUALIFIER,
    ISA_REPETITION,
    ISA_SENDER,
    ISA_SENDER_QUALIFIER,
    ISA_TIME,
    ISA_USAGE,
    ISA_VERSION,
)


def new_errors(before: ValidationReport, after: ValidationReport) -> list[IgError]:
    """Return the errors of `after` whose kind `before` does not have as often (made worse)."""
    extra = Counter(e.signature() for e in after.errors) - Counter(e.signature() for e in before.errors)
    found: list[IgError] = []
    for error in after.errors:
        if extra[error.signature()] > 0:
            extra[error.signature()] -= 1
            found.append(error)
    return found


class AckWriter:
    """Write the acknowledgments of one run, each with its own interchange control number.

    pyx12 numbers a 999's ISA13 from the clock's minute, so every 999 of a run made within one
    minute would share it; the run renumbers ISA13 and IEA02 from one start, one per ack. The
    rest of the 999 is pyx12's, byte for byte: it states only what pyx12 validated.
    """

    def __init__(self, folder: Path, start: int | None = None) -> None:
        self.folder = folder
        self.next_number = start if start is not None else int(time.strftime("%y%m%d%H%M")[1:]) % 1_000_000_000

    def write(self, report: ValidationReport, relative: Path) -> Path:
        """Write the 999 pyx12 made for a file under the folder, mirroring its relative path."""
        if not report.ack:
            raise ValidationError(f"pyx12 {PYX12_VERSION} wrote no 999 for this file", Location(report.file))
        return self.write_text(report.ack, relative.with_name(relative.name + ".999"))

    def write_text(self, ack: str, relative: Path) -> Path:
        """Write one acknowledgment (999 or TA1 interchange) with the run's next control number."""
        target = self.folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, renumber(ack, self.next_number).encode("ascii", "replace"))
        self.next_number = (self.next_number + 1) % 1_000_000_000
        return target


# TA1 note codes (X12 TA105) for the interchange problems cart837 refuses.
TA1_NOTES = {"E-IEA02": "001", "E-TRUNCATED": "023", "E-IEA01": "021", "E-ENVELOPE": "024", "E-X12": "024"}


def own_ta1(data: bytes, code: str) -> str | None:
    """Return a TA1 interchange rejecting the interchange that `data` starts, or None without a usable ISA.

    Used only where pyx12 made no acknowledgment at all (it cannot read the interchange): the
    TA1 says the interchange was rejected and why (TA105), nothing about its content.
    """
    head = data.lstrip(BOM + WHITESPACE)[:ISA_LENGTH]
    try:
        delimiters = read_isa(head, 0)
    except X12SyntaxError:
        return None
    separator, terminator = delimiters.element.decode("latin-1"), delimiters.segment.decode("latin-1")
    elements = head[: ISA_LENGTH - 1].decode("latin-1").split(separator)
    isa = ["ISA", "00", " " * 10, "00", " " * 10]  # ISA01-04: no authorization or security information
    isa += [elements[ISA_RECEIVER_QUALIFIER], elements[ISA_RECEIVER]]  # back to the sender: the two swap
    isa += [elements[ISA_SENDER_QUALIFIER], elements[ISA_SENDER], time.strftime("%y%m%d"), time.strftime("%H%M")]
    isa += [elements[ISA_REPETITION], elements[ISA_VERSION], "000000000", "0"]  # ISA13 renumbered when written
    isa += [elements[ISA_USAGE], elements[ISA_COMPONENT]]
    note = TA1_NOTES.get(code, "024")
    ta1 = separator.join(["TA1", elements[ISA_CONTROL], elements[ISA_DATE], elements[ISA_TIME], "R", note])
    trailer = separator.join(["IEA", "0", "000000000"])
    return f"{separator.join(isa)}{terminator}{ta1}{terminator}{trailer}{terminator}\n"


def renumber(ack: str, number: int) -> str:
    """Return an acknowledgment interchange with ISA13 and IEA02 set to `number` (9 digits)."""
    if not ack.startswith("ISA") or len(ack) < ISA_LENGTH:
        return ack
    separator = ack[len("ISA")]
    elements = ack[:ISA_LENGTH].split(separator)
    if len(elements) <= ISA_COMPONENT:
        return ack
    old = elements[ISA_CONTROL]
    elements[ISA_CONTROL] = f"{number:09d}"
    head = separator.join(elements)
    body = ack[ISA_LENGTH:]
    trailer = re.compile(rf"IEA{re.escape(separator)}(\d+){re.escape(separator)}{re.escape(old)}")
    body = trailer.sub(lambda m: f"IEA{separator}{m.group(1)}{separator}{number:09d}", body)
    return head + body


@dataclass(frozen=True, slots=True)
class ValidationGate:
    """`fix --validate`: a fixed file may not have an IG error its input does not have."""

    def __call__(self, source: Path, produced: Path | None, display: str, rules: tuple[str, ...]) -> list[str]:
        """Validate input and output; raise ValidationError to keep the output from being written."""
        verdict = self.judge(source, produced, display, rules)
        if verdict.refusal is not None:
            raise verdict.refusal
        return verdict.warnings

    def judge(self, source: Path, produced: Path | None, display: str, rules: tuple[str, ...]) -> GateVerdict:
        """Validate input and output; return the warnings, the input's 999 and any refusal."""
        before = validate_path(source, display)
        warnings = [f"{display}: note: {note}" for note in before.notes]
        if not before.valid:
            warnings.append(
                f"{display}: input fails IG validation (pyx12 {PYX12_VERSION}, {_errors_word(len(before.errors))}); "
                "the output is held to have no error the input does not have"
            )
        if produced is None:
            return GateVerdict(warnings, before.ack)
        after = validate_path(produced, display)
        worse = new_errors(before, after)
        refusal = ValidationError(_worse_message(worse, rules, before.valid), Location(display)) if worse else None
        return GateVerdict(warnings, before.ack, refusal)


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """What `fix --validate` found: warnings, pyx12's 999 for the input, and why the output is refused."""

    warnings: list[str]
    acknowledgment: str
    refusal: ValidationError | None = None


def _errors_word(count: int) -> str:
    return f"{count} error" if count == 1 else f"{count} errors"


def _worse_message(worse: list[IgError], rules: tuple[str, ...], input_valid: bool) -> str:
    first = worse[0]
    more = f" (+{len(worse) - 1} more)" if len(worse) > 1 else ""
    what = "fails IG validation" if input_valid else "has IG errors its input does not have"
    position = first.location.describe() or "the file"
    by = ", ".join(rules) if rules else "no rule (an edit-layer bug)"
    return (
        f"fixed output not written: it {what} (pyx12 {PYX12_VERSION}): at output {position}: "
        f"{IgError(Location(), first.element, first.code, first.message).describe()}{more}; "
        f"changed by {by}"
    )
