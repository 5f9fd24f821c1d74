"""Counts of a run, its exit code and black-style summary line."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from cart837.results import FileResult, RunMode, Totals


def dollars(amount: Decimal) -> str:
    """Return e.g. `$81,936.85`."""
    return f"${amount:,.2f}"


@dataclass(slots=True)
class Summary:
    """Counts files and findings; owns the exit code and the final line."""

    mode: RunMode
    fail_on_flag: bool = False
    totals: Totals = field(default_factory=Totals)

    def add(self, result: FileResult) -> None:
        """Count one file's result."""
        self.totals.add(result)

    @property
    def return_code(self) -> int:
        """0 ok, 1 check/diff found something to change, 2 a file failed (DESIGN.md)."""
        if self.totals.failed or not self.totals.processed:
            return 2  # a run that read no file to its end did not do its job either
        wants_clean = self.mode in (RunMode.CHECK, RunMode.DIFF)
        if wants_clean and (self.totals.changed or (self.fail_on_flag and self.totals.flags)):
            return 1
        return 0

    def line(self) -> str:
        """Return e.g. `5 files: 2 changed, 1 failed; 14 fixes, 3 flags; $9,000.00 involved; 2 claims need a person`.

        The dollars are the run's dollars involved (results.ClaimDollars: each line once), as in
        every report; the claims that need a person are the work list's rows.
        """
        verb = "would change" if self.mode is not RunMode.FIX else "changed"
        fix_word = "fixes needed" if self.mode is not RunMode.FIX else "fixes"
        parts = [f"{self.totals.changed} {verb}", f"{self.totals.unchanged} unchanged"]
        if self.totals.skipped:
            parts.append(f"{self.totals.skipped} skipped")
        if self.totals.failed:
            parts.append(f"{self.totals.failed} failed")
        if self.totals.not_processed:
            parts.append(f"{self.totals.not_processed} not processed")
        totals = self.totals
        noun = "file" if totals.files == 1 else "files"
        fixes = f"{totals.fixed} {fix_word}"
        flags = f"{totals.flags} flags" + (f"; {dollars(totals.amount)} involved" if totals.findings else "")
        claims = "1 claim needs" if totals.claims_to_work == 1 else f"{totals.claims_to_work} claims need"
        held = f", {totals.claims_held} held" if totals.claims_held else ""
        return f"{totals.files} {noun}: {', '.join(parts)}; {fixes}, {flags}; {claims} a person{held}"

    def explain(self) -> str | None:
        """Return one line saying why the exit code is not 0."""
        code = self.return_code
        if code == 2 and not self.totals.failed:
            return "exit 2: no file was processed (nothing found, or everything skipped)"
        if code == 2:
            return f"exit 2: {self.totals.failed} file(s) refused or failed (see the errors above)"
        if code == 1:
            return "exit 1: some claims would change" if self.totals.changed else "exit 1: flags found (--fail-on-flag)"
        return None
