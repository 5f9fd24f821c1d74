"""`fix --validate` and the 999 files: judge a fixed output against its input with pyx12.

pyx12 itself is run by cart837/validate.py (the only module that imports it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cart837.atomic import write_atomically
from cart837.errors import Location, ValidationError
from cart837.validate import PYX12_VERSION, IgError, ValidationReport, validate_path


def new_errors(before: ValidationReport, after: ValidationReport) -> list[IgError]:
    """Return the errors of `after` whose kind `before` does not have as often (made worse)."""
    extra = Counter(e.signature() for e in after.errors) - Counter(e.signature() for e in before.errors)
    found: list[IgError] = []
    for error in after.errors:
        if extra[error.signature()] > 0:
            extra[error.signature()] -= 1
            found.append(error)
    return found


def write_ack(report: ValidationReport, target: Path) -> None:
    """Write the 999 pyx12 made for a file (atomically)."""
    if not report.ack:
        raise ValidationError(f"pyx12 {PYX12_VERSION} wrote no 999 for this file", Location(report.file))
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, report.ack.encode("ascii", "replace"))


@dataclass(frozen=True, slots=True)
class ValidationGate:
    """`fix --validate`: a fixed file may not have an IG error its input does not have."""

    def __call__(self, source: Path, produced: Path | None, display: str, rules: tuple[str, ...]) -> list[str]:
        """Validate input and output; raise ValidationError to keep the output from being written."""
        before = validate_path(source, display)
        warnings = [f"{display}: note: {note}" for note in before.notes]
        if not before.valid:
            warnings.append(
                f"{display}: input fails IG validation (pyx12 {PYX12_VERSION}, {_errors_word(len(before.errors))}); "
                "the output is held to have no error the input does not have"
            )
        if produced is None:
            return warnings
        after = validate_path(produced, display)
        worse = new_errors(before, after)
        if worse:
            raise ValidationError(_worse_message(worse, rules, before.valid), Location(display))
        return warnings


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
