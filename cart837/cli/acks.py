"""`fix --validate --ack-dir DIR`: the run's acknowledgments, written in the parent as files end.

Each is pyx12's own 999 for the input it validated (renumbered so every acknowledgment of the
run has its own ISA13). A file cart837 refused is given to pyx12 too: its 999 (with the TA1
pyx12 makes when the interchange asks for one) is written; when pyx12 cannot read the
interchange at all, a TA1 rejecting it is written instead, if the ISA can be read to address it.
"""

from __future__ import annotations

from pathlib import Path

from cart837 import logs
from cart837.errors import Cart837Error
from cart837.inputs import InputFile
from cart837.results import FileResult, FileStatus


class RunAcks:
    """Where each input's acknowledgment goes, and the run's ISA13 sequence."""

    def __init__(self, folder: Path, inputs: dict[str, InputFile]) -> None:
        from cart837.validate_gate import AckWriter  # pyx12 only when asked for

        self.inputs = inputs
        self._writer = AckWriter(folder)

    def add(self, result: FileResult) -> None:
        """Write the acknowledgment of one finished file."""
        item = self.inputs.get(result.path)
        if item is None or item.is_stdin or result.status in (FileStatus.SKIPPED, FileStatus.NOT_PROCESSED):
            return
        name = item.relative.with_name(item.relative.name + ".999")
        if result.acknowledgment:
            self._writer.write_text(result.acknowledgment, name)
            return
        if result.status is FileStatus.FAILED:
            self._refused(item, result)

    def _refused(self, item: InputFile, result: FileResult) -> None:
        from cart837.validate import validate_path
        from cart837.validate_gate import own_ta1

        try:
            report = validate_path(item.path, item.display)
        except Cart837Error:
            report = None
        if report is not None and report.ack:
            self._writer.write_text(report.ack, item.relative.with_name(item.relative.name + ".999"))
            return
        try:
            ta1 = own_ta1(item.path.read_bytes()[:4096], result.code or "")
        except OSError:
            ta1 = None
        if ta1 is None:
            text = f"{item.display}: no acknowledgment written: pyx12 made no 999 and its ISA cannot be read for a TA1"
            logs.warn("no_acknowledgment_possible", text, file=item.display, code=result.code)
            return
        self._writer.write_text(ta1, item.relative.with_name(item.relative.name + ".ta1"))
