"""Counts of a run, its exit code and black-style summary line."""

from __future__ import annotations

from dataclasses import dataclass

from cart837.batch import FileResult, FileStatus, RunMode


@dataclass(slots=True)
class Summary:
    """Counts files and findings; owns the exit code and the final line."""

    mode: RunMode
    fail_on_flag: bool = False
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    fixes: int = 0
    flags: int = 0

    def add(self, result: FileResult) -> None:
        """Count one file's result."""
        if result.status is FileStatus.CHANGED:
            self.changed += 1
        elif result.status is FileStatus.UNCHANGED:
            self.unchanged += 1
        elif result.status is FileStatus.SKIPPED:
            self.skipped += 1
        else:
            self.failed += 1
        fixed = sum(1 for f in result.findings if f.fixed)
        self.fixes += fixed
        self.flags += len(result.findings) - fixed

    @property
    def files(self) -> int:
        """Return how many files were looked at."""
        return self.changed + self.unchanged + self.skipped + self.failed

    @property
    def return_code(self) -> int:
        """0 ok, 1 check/diff found something to change, 2 a file failed (DESIGN.md)."""
        if self.failed:
            return 2
        wants_clean = self.mode in (RunMode.CHECK, RunMode.DIFF)
        if wants_clean and (self.changed or (self.fail_on_flag and self.flags)):
            return 1
        return 0

    def line(self) -> str:
        """Return e.g. `5 files: 2 changed, 2 unchanged, 1 failed; 14 fixes, 3 flags`."""
        verb = "would change" if self.mode is not RunMode.FIX else "changed"
        fix_word = "fixes needed" if self.mode is not RunMode.FIX else "fixes"
        parts = [f"{self.changed} {verb}", f"{self.unchanged} unchanged"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.failed:
            parts.append(f"{self.failed} failed")
        noun = "file" if self.files == 1 else "files"
        return f"{self.files} {noun}: {', '.join(parts)}; {self.fixes} {fix_word}, {self.flags} flags"

    def explain(self) -> str | None:
        """Return one line saying why the exit code is not 0."""
        code = self.return_code
        if code == 2:
            return f"exit 2: {self.failed} file(s) refused or failed (see the errors above)"
        if code == 1:
            return "exit 1: some claims would change" if self.changed else "exit 1: flags found (--fail-on-flag)"
        return None
