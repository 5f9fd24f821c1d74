"""The `cart837` command (click): fix, check, diff, rules, report."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import structlog

from cart837 import __version__, logs, parallel
from cart837.batch import InputFile, OutputGate, expand_inputs, spool_stdin
from cart837.config import Config, RuleMode, load_config
from cart837.errors import Cart837Error
from cart837.parallel import RunSettings
from cart837.report.json_report import JsonReportWriter, report_document
from cart837.report.unified import file_diff
from cart837.results import FileResult, FileStatus, RunMode
from cart837.rules import all_rules
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
    click.option("--report-md", "report_md", type=click.Path(dir_okay=False), help="Write the Markdown report here."),
    click.option("--report-html", "report_html", type=click.Path(dir_okay=False), help="Write the HTML report here."),
    click.option("--show-phi", is_flag=True, help="Put patient identifiers in reports (PHI!)."),
    click.option("-q", "--quiet", is_flag=True, help="Only errors."),
    click.option("-v", "--verbose", count=True, help="More log output; -v shows tracebacks."),
    click.option(
        "-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
        help="Process this many files at a time (a process pool); the report keeps the input order.",
    ),
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
@click.option("--dask", "dask", metavar="ADDRESS", help="Run the files on this Dask scheduler (paths must be shared).")
def fix(
    paths: tuple[str, ...], outdir: str | None, in_place: bool, validate: bool, dask: str | None, **options: Any
) -> None:
    """Fix PATHS (files, directories or - for stdin) and report what changed."""
    if outdir and in_place:
        raise click.UsageError("use either -o/--output or --in-place, not both")
    if dask and not (outdir or in_place):
        raise click.UsageError("--dask writes files on the cluster: give -o DIR or --in-place")
    if dask and "-" in paths:
        raise click.UsageError("--dask cannot read standard input: give files on a shared path")
    gate = _validation_gate() if validate else None
    _run(RunMode.FIX, paths, Path(outdir) if outdir else None, in_place, gate=gate, dask=dask, **options)


def _validation_gate() -> OutputGate:
    from cart837.validate_gate import ValidationGate  # pyx12 is imported only when asked for

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
    report_md: str | None,
    report_html: str | None,
    show_phi: bool,
    quiet: bool,
    verbose: int,
    fail_on_flag: bool = False,
    gate: OutputGate | None = None,
    jobs: int = 1,
    dask: str | None = None,
) -> None:
    logs.configure(-1 if quiet else verbose)
    config = _load(config_path)
    only = _only(rules)
    inputs, skipped = expand_inputs(list(paths), exclude=outdir)
    stdin_items = [i for i in inputs if i.is_stdin]
    if len(stdin_items) > 1:
        raise click.UsageError("'-' may be given once")
    to_stdout = mode is RunMode.FIX and outdir is None and not in_place
    if to_stdout and len(inputs) > 1:
        raise click.UsageError("several inputs need -o DIR or --in-place (stdout takes one file)")
    if in_place and stdin_items:
        raise click.UsageError("--in-place cannot rewrite standard input")
    if outdir is not None:
        _refuse_shared_targets(inputs, outdir)
    inputs = [_spooled(i) if i.is_stdin else i for i in inputs]
    summary = Summary(mode, fail_on_flag)
    bar = _wants_progress(len(inputs), quiet, verbose, to_stdout or mode is RunMode.DIFF)
    try:
        settings = RunSettings(
            config, only, mode, outdir, in_place, show_phi, keep_changes=mode is RunMode.DIFF, gate=gate,
            verbosity=-1 if quiet else verbose,
        )
        reporter = _Reporter(mode, summary, bar, quiet)
        produced = _results(settings, inputs, jobs, dask, to_stdout)
        results = _process(produced, inputs, skipped, report_json, bar, reporter)
        _write_people_reports(results, report_md, report_html)
    finally:
        for item in inputs:
            if item.is_stdin:
                item.path.unlink(missing_ok=True)
    _finish(summary, quiet)


def _refuse_shared_targets(inputs: list[InputFile], outdir: Path) -> None:
    """Refuse two inputs that `-o` would write to one path (the second would overwrite the first)."""
    seen: dict[Path, str] = {}
    for item in inputs:
        target = outdir / item.relative
        if target in seen:
            raise click.UsageError(f"{seen[target]} and {item.display} would both be written to {target}")
        seen[target] = item.display


def _finish(summary: Summary, quiet: bool) -> None:
    """Print the summary line and, for a non-zero exit, one line saying why; then exit."""
    if not quiet:
        click.echo(summary.line(), err=True)
        reason = summary.explain()
        if reason:
            click.echo(reason, err=True)
    sys.exit(summary.return_code)


def _spooled(item: InputFile) -> InputFile:
    return InputFile(spool_stdin(sys.stdin.buffer), "-", item.relative, is_stdin=True)


def _wants_progress(count: int, quiet: bool, verbose: int, stdout_busy: bool) -> bool:
    """Show a progress bar for a batch when stderr is a terminal and nothing else talks there."""
    return count > 1 and not quiet and not verbose and not stdout_busy and sys.stderr.isatty()


@dataclass(slots=True)
class _Reporter:
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
            _print_diff(result)
            result.changes = []  # printed: do not hold every file's segments until the end


def _results(
    settings: RunSettings, inputs: list[InputFile], jobs: int, dask: str | None, to_stdout: bool
) -> Iterator[FileResult]:
    """Pass 1 (the episode index), then pass 2: each input's result, in input order."""
    if dask:
        from cart837.distributed import run_on_dask  # dask is imported only when asked for

        try:
            yield from run_on_dask(dask, settings, inputs)
        except Cart837Error as error:
            _error(error.message)
            sys.exit(2)
        return
    index, failures = parallel.build_index(inputs, settings.config, jobs)
    yield from parallel.process_files(
        settings, index, failures, inputs, jobs, sys.stdout.buffer if to_stdout else None
    )


def _progress(items: list[InputFile], bar: bool) -> AbstractContextManager[Iterable[InputFile]]:
    """Iterate over the inputs, under a progress bar on stderr when `bar`."""
    if not bar:
        return nullcontext(items)
    return click.progressbar(
        items, label="cart837", file=sys.stderr, show_pos=True, show_eta=True, width=30,
        item_show_func=lambda item: item.display if item is not None else None,
    )


def _process(
    produced: Iterator[FileResult],
    inputs: list[InputFile],
    skipped: list[str],
    report_json: str | None,
    bar: bool,
    on_result: Callable[[FileResult], None],
) -> list[FileResult]:
    """Pass 2, file by file: skipped files, then each input; each result is reported as it ends."""
    results: list[FileResult] = []
    writer = JsonReportWriter(Path(report_json)) if report_json else None
    with writer if writer else nullcontext():
        for path in skipped:
            results.append(FileResult(path, FileStatus.SKIPPED))
            on_result(results[-1])
            if writer:
                writer.add(results[-1])
        with _progress(inputs, bar) as items:
            for _item, result in zip(items, produced, strict=True):
                results.append(result)
                on_result(result)
                if writer:
                    writer.add(result)
    return results


def _write_people_reports(results: list[FileResult], report_md: str | None, report_html: str | None) -> None:
    """Write the Markdown and HTML reports (the same data as the JSON one) when asked."""
    if not (report_md or report_html):
        return
    from cart837.report.people import write_people_reports  # with jsonschema: ~0.1 s of start-up when not needed

    try:
        write_people_reports(
            report_document(results), Path(report_md) if report_md else None, Path(report_html) if report_html else None
        )
    except OSError as error:
        _error(f"{error.filename or 'report'}: cannot write the report: {error.strerror or error}")
        sys.exit(2)


def _print_diff(result: FileResult) -> None:
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


@main.command("report")
@click.argument("report_json", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--md", "markdown_path", type=click.Path(dir_okay=False), help="Write the Markdown report here.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write the HTML report here.")
def report_command(report_json: str, markdown_path: str | None, html_path: str | None) -> None:
    """Re-render the people's reports from a JSON report (Markdown on stdout when no file is named)."""
    from cart837.report import markdown
    from cart837.report import schema as report_schema
    from cart837.report.model import Report
    from cart837.report.people import write_people_reports

    try:
        if report_json == "-":
            document = report_schema.parse(sys.stdin.read(), "-")
        else:
            document = report_schema.load(Path(report_json))
        if markdown_path is None and html_path is None:
            click.echo(markdown.render(Report.from_dict(document)), nl=False)
            return
        write_people_reports(
            document, Path(markdown_path) if markdown_path else None, Path(html_path) if html_path else None
        )
    except Cart837Error as error:
        _error(error.one_line())
        sys.exit(2)
    except OSError as error:
        _error(f"{error.filename or 'report'}: cannot write the report: {error.strerror or error}")
        sys.exit(2)


@main.command("rules")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
def rules_command(config_path: str | None) -> None:
    """List every rule: id, title, default and configured mode, the settings it reads, citation."""
    config = _load(config_path)
    for rule in all_rules():
        configured = rule.mode_under(config)
        click.echo(f"{rule.id}  {rule.title}")
        click.echo(f"          default: {rule.default.value}  configured: {configured.value}")
        if rule.config_keys:
            click.echo(f"          settings: {', '.join(rule.config_keys)}")
        click.echo(f"          citation: {rule.citation}")


@main.command("validate")
@click.argument("paths", nargs=-1, required=True)
@click.option("--ack-dir", type=click.Path(file_okay=False), help="Write a 999 acknowledgment per file here.")
@click.option("--show-phi", is_flag=True, help="Keep the data pyx12 quotes from patient segments (PHI!).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and invalid files.")
@click.option("-v", "--verbose", count=True, help="More log output.")
def validate_command(paths: tuple[str, ...], ack_dir: str | None, show_phi: bool, quiet: bool, verbose: int) -> None:
    """Validate PATHS against the 837I implementation guide with pyx12 (exit 0 valid, 1 invalid, 2 error)."""
    from cart837 import validate, validate_gate  # pyx12 is imported only when asked for

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
                validate_gate.write_ack(report, Path(ack_dir) / item.relative.with_name(item.relative.name + ".999"))
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
