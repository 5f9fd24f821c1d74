"""One `fix`/`check`/`diff` run, from its RunOptions to its exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from cart837 import logs, parallel
from cart837.batch import InputFile, OutputGate, expand_inputs, file_sha256, spool_stdin
from cart837.cli.options import OUTPUT_FILE_SUFFIXES, RunOptions, decisions, error, load, only_rules, report_paths
from cart837.cli.output import Reporter, finish, progress, wants_progress
from cart837.decisions import Decisions
from cart837.errors import Cart837Error
from cart837.parallel import RunSettings
from cart837.report.json_report import JsonReportWriter, report_document
from cart837.results import FileResult, FileStatus, RunMode
from cart837.summary import Summary


def run(options: RunOptions) -> None:
    """Run both passes over the inputs, report each file as it ends, print the summary and exit."""
    logs.configure(options.verbosity)
    config = load(options.config_path)
    implicit = options.config_path is None and config.source != "defaults"
    if implicit and not options.quiet:  # issue 12: a found file must never change a run in silence
        note = f"cart837: using configuration {config.source} (found by lookup; --config FILE names another)"
        click.echo(note, err=True)
    only = only_rules(options.rules)
    report_json, report_md, report_html = report_paths(options.report_json, options.report_md, options.report_html)
    chosen = decisions(options)
    outdir = options.output_dir
    output_file = _output_file(options)
    inputs, skipped = expand_inputs(list(options.paths), exclude=None if output_file else outdir)
    _refuse_usage(options, inputs)
    _refuse_empty_directories(options.paths, inputs)
    if output_file is not None:
        if len(inputs) != 1:
            raise click.UsageError(f"-o {output_file} names a file: give exactly one input (or -o DIR for several)")
        outdir = output_file.parent
        inputs = [replace(inputs[0], relative=Path(output_file.name))]
    if options.to_stdout and sys.stdout.isatty() and not options.quiet:
        click.echo(
            "cart837: the fixed file (with patient data) follows on this terminal; to write a file instead: "
            f"cart837 fix {' '.join(options.paths)} -o FIXED.837",
            err=True,
        )
    if outdir is not None:
        _refuse_shared_targets(inputs, outdir)
    inputs = [_spooled(i) if i.is_stdin else i for i in inputs]
    mode = options.mode
    summary = Summary(mode, options.fail_on_flag)
    bar = wants_progress(len(inputs), options.quiet, options.verbose, options.to_stdout or mode is RunMode.DIFF)
    try:
        _check_decisions(chosen, inputs)
        settings = RunSettings(
            config, only, mode, outdir, options.in_place, options.show_phi, keep_changes=mode is RunMode.DIFF,
            gate=_validation_gate() if options.validate else None, verbosity=options.verbosity,
            hold=Path(options.hold) if options.hold else None, hold_on=options.hold_on, decisions=chosen,
        )
        reporter = Reporter(mode, summary, bar, options.quiet)
        produced = _results(settings, inputs, options.jobs, options.dask, options.to_stdout)
        writer = JsonReportWriter(Path(report_json), config, implicit) if report_json else None
        results = _process(produced, inputs, skipped, writer, bar, reporter)
        if report_md or report_html:
            document = report_document(results, config, implicit)
            _write_people_reports(document, report_md, report_html)
        if options.worklist:
            _write_worklist(results, Path(options.worklist))
    finally:
        for item in inputs:
            if item.is_stdin:
                item.path.unlink(missing_ok=True)
    finish(summary, options.quiet)


def _refuse_usage(options: RunOptions, inputs: list[InputFile]) -> None:
    """Refuse combinations of options and inputs that cannot work (click's usage error, exit 2)."""
    stdin_items = [i for i in inputs if i.is_stdin]
    if len(stdin_items) > 1:
        raise click.UsageError("'-' may be given once")
    if options.to_stdout and len(inputs) > 1:
        raise click.UsageError("several inputs need -o DIR or --in-place (stdout takes one file)")
    if options.in_place and stdin_items:
        raise click.UsageError("--in-place cannot rewrite standard input")


def _check_decisions(chosen: Decisions, inputs: list[InputFile]) -> None:
    """Refuse, before anything is written, an id that can name no input (DESIGN.md: a usage error)."""
    if chosen.empty:
        return
    try:
        chosen.check_files(file_sha256(item.path) for item in inputs)
    except Cart837Error as problem:
        error(problem.one_line() if problem.location.file != "-" else problem.message)
        sys.exit(2)
    except OSError:
        return  # an unreadable input fails on its own, with its own line


def _output_file(options: RunOptions) -> Path | None:
    """Return the file `-o` names (`-o fixed.837`, or an existing file), or None for a folder."""
    if options.outdir is None:
        return None
    target = Path(options.outdir)
    if target.is_dir():
        return None
    return target if target.suffix.lower() in OUTPUT_FILE_SUFFIXES or target.is_file() else None


def _refuse_empty_directories(paths: tuple[str, ...], inputs: list[InputFile]) -> None:
    """A directory in which nothing is an X12 file is an error (exit 2), not a quiet success."""
    for given in paths:
        folder = Path(given)
        if given != "-" and folder.is_dir():
            inside = folder.resolve()
            if not any(inside in item.path.resolve().parents for item in inputs if not item.is_stdin):
                error(f"{given}: no X12 file in this directory (a file is X12 when it starts with ISA)")
                sys.exit(2)


def _write_worklist(results: list[FileResult], path: Path) -> None:
    """Write the work list CSV (claims with an error or review finding)."""
    from cart837.report.worklist import ordered, work_items, write_csv

    items = ordered(item for result in results for item in work_items(result))
    held = {result.path: result.held_output for result in results if result.held_output}
    try:
        write_csv(path, items, held)
    except OSError as problem:
        error(f"{path}: cannot write the work list: {problem.strerror or problem}")
        sys.exit(2)


def _refuse_shared_targets(inputs: list[InputFile], outdir: Path) -> None:
    """Refuse two inputs that `-o` would write to one path (the second would overwrite the first)."""
    seen: dict[Path, str] = {}
    for item in inputs:
        target = outdir / item.relative
        if target in seen:
            raise click.UsageError(f"{seen[target]} and {item.display} would both be written to {target}")
        seen[target] = item.display


def _validation_gate() -> OutputGate:
    from cart837.validate_gate import ValidationGate  # pyx12 is imported only when asked for

    return ValidationGate()


def _spooled(item: InputFile) -> InputFile:
    return InputFile(spool_stdin(sys.stdin.buffer), "-", item.relative, is_stdin=True)


def _results(
    settings: RunSettings, inputs: list[InputFile], jobs: int, dask: str | None, to_stdout: bool
) -> Iterator[FileResult]:
    """Pass 1 (the episode index), then pass 2: each input's result, in input order."""
    if dask:
        from cart837.distributed import run_on_dask  # dask is imported only when asked for

        try:
            yield from run_on_dask(dask, settings, inputs)
        except Cart837Error as problem:
            error(problem.message)
            sys.exit(2)
        return
    index, failures = parallel.build_index(inputs, settings.config, jobs)
    yield from parallel.process_files(
        settings, index, failures, inputs, jobs, sys.stdout.buffer if to_stdout else None
    )


def _process(
    produced: Iterator[FileResult],
    inputs: list[InputFile],
    skipped: list[str],
    writer: JsonReportWriter | None,
    bar: bool,
    on_result: Callable[[FileResult], None],
) -> list[FileResult]:
    """Pass 2, file by file: skipped files, then each input; each result is reported as it ends."""
    results: list[FileResult] = []
    with writer if writer else nullcontext():
        for path in skipped:
            results.append(FileResult(path, FileStatus.SKIPPED))
            on_result(results[-1])
            if writer:
                writer.add(results[-1])
        with progress(inputs, bar) as items:
            for _item, result in zip(items, produced, strict=True):
                results.append(result)
                on_result(result)
                if writer:
                    writer.add(result)
    return results


def _write_people_reports(document: dict[str, Any], report_md: str | None, report_html: str | None) -> None:
    """Write the Markdown and HTML reports (the same data as the JSON one)."""
    from cart837.report.people import write_people_reports  # with jsonschema: ~0.1 s of start-up when not needed

    try:
        markdown_path, html_path = (Path(p) if p else None for p in (report_md, report_html))
        write_people_reports(document, markdown_path, html_path)
    except OSError as problem:
        error(f"{problem.filename or 'report'}: cannot write the report: {problem.strerror or problem}")
        sys.exit(2)
