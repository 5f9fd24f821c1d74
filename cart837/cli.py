"""The `cart837` command (click): fix, check, diff, rules, report."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import structlog

from cart837 import __version__, logs
from cart837.batch import (
    Batch,
    FileResult,
    FileStatus,
    InputFile,
    OutputGate,
    RunMode,
    build_index,
    expand_inputs,
    spool_stdin,
)
from cart837.config import Config, RuleMode, load_config
from cart837.errors import Cart837Error
from cart837.report.json_report import JsonReportWriter
from cart837.rules import all_rules
from cart837.rules.engine import Engine
from cart837.summary import Summary

log = structlog.get_logger()


def known_rules() -> dict[str, frozenset[RuleMode]]:
    """Return rule id -> the modes it allows, for configuration checks."""
    return {r.id: r.modes for r in all_rules()}


def _error(message: str) -> None:
    click.echo(f"cart837: error: {message}", err=True)


def _load(config_path: str | None) -> Config:
    try:
        return load_config(Path(config_path) if config_path else None, known_rules())
    except Cart837Error as error:
        _error(error.one_line())
        sys.exit(2)


def _only(rules: str | None) -> frozenset[str] | None:
    if not rules:
        return None
    wanted = frozenset(r.strip() for r in rules.split(",") if r.strip())
    unknown = wanted - set(known_rules())
    if unknown:
        raise click.BadParameter(f"unknown rule id(s): {', '.join(sorted(unknown))}", param_hint="--rules")
    return wanted


common = [
    click.argument("paths", nargs=-1, required=True),
    click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file."),
    click.option("--rules", "rules", help="Run only these rule ids this time (comma-separated)."),
    click.option("--report", "report_json", type=click.Path(dir_okay=False), help="Write the JSON report here."),
    click.option("--show-phi", is_flag=True, help="Put patient identifiers in reports (PHI!)."),
    click.option("-q", "--quiet", is_flag=True, help="Only errors."),
    click.option("-v", "--verbose", count=True, help="More log output; -v shows tracebacks."),
]


F = TypeVar("F", bound=Callable[..., Any])


def with_common(func: F) -> F:
    """Attach the options every file-processing command shares."""
    for decorator in reversed(common):
        func = decorator(func)
    return func


@click.group()
@click.version_option(__version__, prog_name="cart837")
def main() -> None:
    """Correct how CAR-T cell therapy is billed on X12 837I files, and report every change."""


@main.command()
@with_common
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False), help="Write fixed files here.")
@click.option("--in-place", is_flag=True, help="Overwrite the inputs (atomically).")
@click.option("--validate", is_flag=True, help="Validate input and output with pyx12; never write a worse file.")
def fix(paths: tuple[str, ...], outdir: str | None, in_place: bool, validate: bool, **options: Any) -> None:
    """Fix PATHS (files, directories or - for stdin) and report what changed."""
    if outdir and in_place:
        raise click.UsageError("use either -o/--output or --in-place, not both")
    gate = _validation_gate() if validate else None
    _run(RunMode.FIX, paths, Path(outdir) if outdir else None, in_place, gate=gate, **options)


def _validation_gate() -> OutputGate:
    from cart837.validate import ValidationGate  # pyx12 is imported only when asked for

    return ValidationGate()


@main.command()
@with_common
@click.option("--fail-on-flag", is_flag=True, help="Exit 1 on flags too, not only on needed fixes.")
def check(paths: tuple[str, ...], fail_on_flag: bool, **options: Any) -> None:
    """Say whether PATHS need fixing; write nothing (exit 1 if they do)."""
    _run(RunMode.CHECK, paths, None, False, fail_on_flag=fail_on_flag, **options)


@main.command()
@with_common
def diff(paths: tuple[str, ...], **options: Any) -> None:
    """Print a unified diff (one segment per line) of what fix would change."""
    _run(RunMode.DIFF, paths, None, False, **options)


def _run(
    mode: RunMode,
    paths: tuple[str, ...],
    outdir: Path | None,
    in_place: bool,
    *,
    config_path: str | None,
    rules: str | None,
    report_json: str | None,
    show_phi: bool,
    quiet: bool,
    verbose: int,
    fail_on_flag: bool = False,
    gate: OutputGate | None = None,
) -> None:
    logs.configure(-1 if quiet else verbose)
    config = _load(config_path)
    only = _only(rules)
    inputs, skipped = expand_inputs(list(paths))
    stdin_items = [i for i in inputs if i.is_stdin]
    if len(stdin_items) > 1:
        raise click.UsageError("'-' may be given once")
    to_stdout = mode is RunMode.FIX and outdir is None and not in_place
    if to_stdout and len(inputs) > 1:
        raise click.UsageError("several inputs need -o DIR or --in-place (stdout takes one file)")
    if in_place and stdin_items:
        raise click.UsageError("--in-place cannot rewrite standard input")
    inputs = [_spooled(i) if i.is_stdin else i for i in inputs]
    summary = Summary(mode, fail_on_flag)
    results = _process(mode, inputs, skipped, config, only, outdir, in_place, show_phi, to_stdout, report_json, gate)
    for result in results:
        summary.add(result)
        for warning in result.warnings:
            click.echo(f"cart837: warning: {warning}", err=True)
        if result.error:
            _error(result.error)
        if mode is RunMode.DIFF and result.changes:
            _print_diff(result)
    for item in inputs:
        if item.is_stdin:
            item.path.unlink(missing_ok=True)
    if not quiet:
        click.echo(summary.line(), err=True)
        reason = summary.explain()
        if reason:
            click.echo(reason, err=True)
    sys.exit(summary.return_code)


def _spooled(item: InputFile) -> InputFile:
    return InputFile(spool_stdin(sys.stdin.buffer), "-", item.relative, is_stdin=True)


def _process(
    mode: RunMode,
    inputs: list[InputFile],
    skipped: list[str],
    config: Config,
    only: frozenset[str] | None,
    outdir: Path | None,
    in_place: bool,
    show_phi: bool,
    to_stdout: bool,
    report_json: str | None,
    gate: OutputGate | None = None,
) -> list[FileResult]:
    index, failures = build_index(inputs, config)
    batch = Batch(
        config, Engine(config, only), index, mode, outdir, in_place, show_phi, keep_changes=mode is RunMode.DIFF,
        gate=gate,
    )
    results: list[FileResult] = []
    writer = JsonReportWriter(Path(report_json)) if report_json else None
    if writer:
        writer.__enter__()
    try:
        for path in skipped:
            result = FileResult(path, FileStatus.SKIPPED)
            results.append(result)
            if writer:
                writer.add(result)
        for number, item in enumerate(inputs):
            if number in failures:
                result = FileResult(item.display, FileStatus.FAILED, error=failures[number].one_line())
            else:
                stdout = sys.stdout.buffer if to_stdout else None
                result = batch.process(number, item, stdout)
            if not result.findings or mode is not RunMode.DIFF:
                result.changes = result.changes
            results.append(result)
            if writer:
                writer.add(result)
    finally:
        if writer:
            writer.__exit__(None, None, None)
    return results


def _print_diff(result: FileResult) -> None:
    color = sys.stdout.isatty()
    for change in result.changes:
        lines = difflib.unified_diff(
            change.before, change.after,
            fromfile=f"{result.path} (claim {change.claim})", tofile=f"{result.path} (fixed)",
            n=3, lineterm="",
        )
        for text in lines:
            if color and text.startswith(("+", "-")) and not text.startswith(("+++", "---")):
                text = click.style(text, fg="green" if text.startswith("+") else "red")
            click.echo(text)


@main.command("rules")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
def rules_command(config_path: str | None) -> None:
    """List every rule: id, title, default and configured mode, citation."""
    config = _load(config_path)
    for rule in all_rules():
        configured = config.rules.get(rule.id, rule.default)
        click.echo(f"{rule.id}  {rule.title}")
        click.echo(f"          default: {rule.default.value}  configured: {configured.value}")
        click.echo(f"          citation: {rule.citation}")


@main.command("validate")
@click.argument("paths", nargs=-1, required=True)
@click.option("--ack-dir", type=click.Path(file_okay=False), help="Write a 999 acknowledgment per file here.")
@click.option("--show-phi", is_flag=True, help="Keep the data pyx12 quotes from patient segments (PHI!).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and invalid files.")
@click.option("-v", "--verbose", count=True, help="More log output.")
def validate_command(paths: tuple[str, ...], ack_dir: str | None, show_phi: bool, quiet: bool, verbose: int) -> None:
    """Validate PATHS against the 837I implementation guide with pyx12 (exit 0 valid, 1 invalid, 2 error)."""
    from cart837 import validate  # pyx12 is imported only when asked for

    logs.configure(-1 if quiet else verbose)
    inputs, _skipped = expand_inputs(list(paths))
    counts = {"valid": 0, "invalid": 0, "failed": 0}
    for item in inputs:
        try:
            if item.is_stdin:
                report = validate.validate_bytes(sys.stdin.buffer.read(), "-", show_phi)
            else:
                report = validate.validate_path(item.path, item.display, show_phi)
            if ack_dir:
                validate.write_ack(report, Path(ack_dir) / item.relative.with_name(item.relative.name + ".999"))
        except Cart837Error as error:
            _error(error.with_file(item.display).one_line())
            counts["failed"] += 1
            continue
        counts["valid" if report.valid else "invalid"] += 1
        if report.valid and quiet:
            continue
        count = len(report.errors)
        verdict = "valid" if report.valid else f"invalid ({count} error{'' if count == 1 else 's'})"
        click.echo(f"{item.display}: {verdict}")
        for line in [*(f"note: {n}" for n in report.notes), *(e.describe() for e in report.errors)]:
            click.echo(f"  {line}")
    if not quiet:
        noun = "file" if len(inputs) == 1 else "files"
        click.echo(f"{len(inputs)} {noun}: " + ", ".join(f"{n} {k}" for k, n in counts.items()), err=True)
    sys.exit(2 if counts["failed"] else 1 if counts["invalid"] else 0)
