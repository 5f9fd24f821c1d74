"""What the user sees while a run goes: each file's lines, the diff, the progress bar, the summary."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from cart837 import logs, stop
from cart837.inputs import InputFile
from cart837.results import FileResult, FileStatus, RunMode
from cart837.summary import Summary

if TYPE_CHECKING:
    from cart837.cli.acks import RunAcks
    from cart837.cli.places import ResultsFile

log = logs.get_logger()


def wants_progress(count: int, quiet: bool, verbose: int, stdout_busy: bool) -> bool:
    """Show a progress bar for a batch when stderr is a terminal and nothing else talks there."""
    return (
        count > 1
        and not quiet
        and not verbose
        and not stdout_busy
        and sys.stderr.isatty()
        and logs.current().fmt != "json"
    )


def progress(items: list[InputFile], bar: bool) -> AbstractContextManager[Iterable[InputFile]]:
    """Iterate over the inputs, under a progress bar on stderr when `bar`."""
    if not bar:
        return nullcontext(items)
    return click.progressbar(
        items,
        label="cart837",
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        width=30,
        item_show_func=lambda item: item.display if item is not None else None,
    )


@dataclass(slots=True)
class Reporter:
    """What the user sees as each file finishes: its error line, its diff, the counts, its results line."""

    mode: RunMode
    summary: Summary
    bar: bool
    quiet: bool = False
    results: ResultsFile | None = None
    acks: RunAcks | None = None

    def __call__(self, result: FileResult) -> None:
        """Count one finished file and print what belongs to it."""
        self.summary.add(result)
        clear = "\r\x1b[2K" if self.bar else ""  # a line of its own, not the end of the progress bar's
        fields = {"file": result.path, "code": result.code}
        if result.status is FileStatus.SKIPPED and not self.quiet:
            line = f"{clear}cart837: skipped {result.path}: {result.reason}"
            logs.announce("warning", "file_skipped", line, **fields)
        elif result.status is FileStatus.NOT_PROCESSED and not self.quiet:
            logs.announce("warning", "file_not_processed", f"{clear}cart837: not processed: {result.path}", **fields)
        for warning in result.warnings:
            logs.announce("warning", "file_warning", f"{clear}cart837: warning: {warning}", **fields)
        if result.error:
            logs.announce("error", "file_failed", f"{clear}cart837: error: {result.error}", **fields)
        elif result.status in (FileStatus.CHANGED, FileStatus.UNCHANGED):
            log.info(
                "file_done",
                file=result.path,
                status=result.status.value,
                claims=result.claims,
                claims_changed=result.claims_changed,
                duration_s=result.duration,
            )
        if self.acks is not None:
            self.acks.add(result)
        if self.results is not None:
            self.results.add(result)
        if self.mode is RunMode.DIFF:
            print_diff(result)
            result.changes = []  # printed: do not hold every file's segments until the end


def finish(summary: Summary, quiet: bool, signum: int | None) -> None:
    """Print the summary line and, for a non-zero exit, one line saying why; then exit."""
    code = 128 + signum if signum is not None else summary.return_code
    reason = f"exit {code}: stopped by {stop.signal_name(signum)}" if signum is not None else summary.explain()
    totals = summary.totals.as_dict()
    if not quiet:
        logs.announce("info", "run_done", summary.line(), exit_code=code, totals=totals)
        if reason:
            logs.announce("info", "run_exit", reason, exit_code=code)
    else:
        log.info("run_done", exit_code=code, totals=totals)
    sys.exit(code)


def print_diff(result: FileResult) -> None:
    """Print a file's diff on stdout, coloured only when stdout is a terminal."""
    from cart837.report.unified import file_diff  # `diff` only

    color = sys.stdout.isatty()
    for text in file_diff(result):
        if color:
            text = _colour(text)
        click.echo(text, color=color)


def _colour(text: str) -> str:
    if text.startswith(("+++", "---")):
        return click.style(text, bold=True)
    if text.startswith("@@"):
        return click.style(text, fg="cyan")
    if text.startswith(("+", "-")):
        return click.style(text, fg="green" if text.startswith("+") else "red")
    return text
