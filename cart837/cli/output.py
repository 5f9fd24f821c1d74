"""What the user sees while a run goes: each file's lines, the diff, the progress bar, the summary."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import click

from cart837.batch import InputFile
from cart837.report.unified import file_diff
from cart837.results import FileResult, FileStatus, RunMode
from cart837.summary import Summary


def wants_progress(count: int, quiet: bool, verbose: int, stdout_busy: bool) -> bool:
    """Show a progress bar for a batch when stderr is a terminal and nothing else talks there."""
    return count > 1 and not quiet and not verbose and not stdout_busy and sys.stderr.isatty()


def progress(items: list[InputFile], bar: bool) -> AbstractContextManager[Iterable[InputFile]]:
    """Iterate over the inputs, under a progress bar on stderr when `bar`."""
    if not bar:
        return nullcontext(items)
    return click.progressbar(
        items, label="cart837", file=sys.stderr, show_pos=True, show_eta=True, width=30,
        item_show_func=lambda item: item.display if item is not None else None,
    )


@dataclass(slots=True)
class Reporter:
    """What the user sees as each file finishes: its error line, its diff, the counts."""

    mode: RunMode
    summary: Summary
    bar: bool
    quiet: bool = False

    def __call__(self, result: FileResult) -> None:
        """Count one finished file and print what belongs to it."""
        self.summary.add(result)
        clear = "\r\x1b[2K" if self.bar else ""  # a line of its own, not the end of the progress bar's
        if result.status is FileStatus.SKIPPED and not self.quiet:
            click.echo(f"{clear}cart837: skipped {result.path}: not an X12 file", err=True)
        for warning in result.warnings:
            click.echo(f"{clear}cart837: warning: {warning}", err=True)
        if result.error:
            click.echo(f"{clear}cart837: error: {result.error}", err=True)
        if self.mode is RunMode.DIFF:
            print_diff(result)
            result.changes = []  # printed: do not hold every file's segments until the end


def finish(summary: Summary, quiet: bool) -> None:
    """Print the summary line and, for a non-zero exit, one line saying why; then exit."""
    if not quiet:
        click.echo(summary.line(), err=True)
        reason = summary.explain()
        if reason:
            click.echo(reason, err=True)
    sys.exit(summary.return_code)


def print_diff(result: FileResult) -> None:
    """Print a file's diff on stdout, coloured only when stdout is a terminal."""
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
