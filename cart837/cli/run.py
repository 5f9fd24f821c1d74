"""One `fix`/`check`/`diff` run, from its RunOptions to its exit code."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from cart837 import logs, parallel, stop
from cart837.atomic import remove_stale_temps
from cart837.batch import OutputGate, file_sha256, spool_stdin
from cart837.cli.acks import RunAcks
from cart837.cli.options import OUTPUT_FILE_SUFFIXES, RunOptions, decisions, error, fail, load, only_rules, report_paths
from cart837.cli.output import Reporter, finish, progress, wants_progress
from cart837.cli.places import Places, prepare_places, remove_stale_beside
from cart837.decisions import Decisions
from cart837.errors import Cart837Error, Code
from cart837.inputs import InputFile, expand_inputs
from cart837.parallel import RunSettings
from cart837.results import FileResult, FileStatus, RunMode
from cart837.rules.base import Severity
from cart837.split import SplitFile
from cart837.summary import Summary

if TYPE_CHECKING:  # the report writers load only when a report is asked for
    from cart837.config import Config
    from cart837.report.json_report import JsonReportWriter

log = logs.get_logger()


def run(options: RunOptions) -> None:
    """Run both passes over the inputs, report each file as it ends, print the summary and exit."""
    logs.configure(options.verbosity, fmt=options.log_fmt, run_id=uuid.uuid4().hex[:16])
    config = load(options.config_path)
    implicit = options.config_path is None and config.source != "defaults"
    if implicit and not options.quiet:  # issue 12: a found file must never change a run in silence
        note = f"cart837: using configuration {config.source} (found by lookup; --config FILE names another)"
        logs.announce("info", "config_found", note)
    only = only_rules(options.rules)
    reports = report_paths(options.report_json, options.report_md, options.report_html)
    chosen = decisions(options)
    outdir = options.output_dir
    output_file = _output_file(options)
    found = expand_inputs(list(options.paths), exclude=None if output_file else outdir)
    files = found.files
    _refuse_usage(options, files, reports[0])
    _refuse_empty_directories(options.paths, files)
    if output_file is not None:
        if len(files) != 1:
            raise click.UsageError(f"-o {output_file} names a file: give exactly one input (or -o DIR for several)")
        outdir = output_file.parent
        files = [replace(files[0], relative=Path(output_file.name))]
    if options.to_stdout and sys.stdout.isatty() and not options.quiet:
        logs.announce(
            "info",
            "stdout_note",
            "cart837: the fixed file (with patient data) follows on this terminal; to write "
            f"a file instead: cart837 fix {' '.join(options.paths)} -o FIXED.837",
        )
    if outdir is not None:
        _refuse_shared_targets(files, outdir)
    if options.hold:
        _refuse_hold_overwrites(files, Path(options.hold), outdir)
    if not any(item.is_stdin for item in files):
        _check_decisions(chosen, files)  # before anything is created
    places = prepare_places(options, files, reports, None if output_file else outdir)
    log.info("run_started", mode=options.mode.value, files=len(files), jobs=options.jobs)
    previous = stop.install()
    inputs: list[InputFile] = []
    summary = Summary(options.mode, options.fail_on_flag)
    try:
        inputs = [_spooled(i) if i.is_stdin else i for i in files]
        if any(item.is_stdin for item in inputs):
            _check_decisions(chosen, inputs)  # standard input is read only now
        mode = options.mode
        bar = wants_progress(len(inputs), options.quiet, options.verbose, options.to_stdout or mode is RunMode.DIFF)
        settings = RunSettings(
            config,
            only,
            mode,
            outdir,
            options.in_place,
            options.show_phi,
            keep_changes=mode is RunMode.DIFF,
            gate=_validation_gate() if options.validate else None,
            logging=logs.current(),
            hold=Path(options.hold) if options.hold else None,
            hold_on=Severity(options.hold_on),
            decisions=chosen,
        )
        if options.split_size is not None:
            settings = replace(settings, split_size=options.split_size)
        acks = RunAcks(Path(options.ack_dir), {i.display: i for i in inputs}) if options.ack_dir else None
        reporter = Reporter(mode, summary, bar, options.quiet, places.results, acks)
        produced = _results(settings, inputs, options.jobs, options.dask, options.to_stdout)
        stream = sys.stdout if places.report_to_stdout else None
        report_json = places.report_json
        writer = _json_writer(report_json, config, implicit, stream) if report_json else None
        results = _process(produced, inputs, found.known, writer, bar, reporter)
        if places.report_md or places.report_html:
            from cart837.report.json_report import report_document

            _write_people_reports(report_document(results, config, implicit), places)
        if options.worklist:
            _write_worklist(results, Path(options.worklist))
    finally:
        for item in inputs:
            if item.is_stdin:
                item.path.unlink(missing_ok=True)
        places.close()
        if outdir is not None and output_file is None:
            remove_stale_temps(outdir)  # what a worker killed mid-file (OOM, a lost Dask worker) left
        elif options.in_place:
            remove_stale_beside(inputs)
        stop.restore(previous)
    finish(summary, options.quiet, stop.requested())


def _refuse_usage(options: RunOptions, inputs: list[InputFile], report_json: str | None) -> None:
    """Refuse combinations of options and inputs that cannot work (click's usage error, exit 2)."""
    stdin_items = [i for i in inputs if i.is_stdin]
    if len(stdin_items) > 1:
        raise click.UsageError("'-' may be given once")
    if options.to_stdout and len(inputs) > 1:
        raise click.UsageError("several inputs need -o DIR or --in-place (stdout takes one file)")
    if options.to_stdout and report_json == "-":
        raise click.UsageError("--report - writes the report to stdout: give -o DIR or --in-place for the X12")
    if options.mode is RunMode.DIFF and report_json == "-":
        raise click.UsageError("diff prints on stdout: give --report a file")
    if options.in_place and stdin_items:
        raise click.UsageError("--in-place cannot rewrite standard input")
    outdir = options.output_dir
    if outdir is not None:
        resolved = outdir.resolve()
        for given in options.paths:
            if given != "-" and Path(given).resolve() == resolved:
                raise click.UsageError(f"-o {outdir} is also an input: write the fixed files to another folder")


def _check_decisions(chosen: Decisions, inputs: list[InputFile]) -> None:
    """Refuse, before anything is written, an id that can name no input (DESIGN.md: a usage error)."""
    if chosen.empty:
        return
    try:
        chosen.check_files(file_sha256(item.path) for item in inputs)
    except Cart837Error as problem:
        fail(problem.code, problem.one_line() if problem.location.file != "-" else problem.message)
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
                fail(Code.USAGE, f"{given}: no X12 file in this directory (a file is X12 when it starts with ISA)")


def _json_writer(path: Path, config: Config, implicit: bool, stream: IO[str] | None) -> JsonReportWriter:
    from cart837.report.json_report import JsonReportWriter

    return JsonReportWriter(path, config, implicit, stream)


def _write_worklist(results: list[FileResult], path: Path) -> None:
    """Write the work list CSV (claims with an error or review finding)."""
    from cart837.report.worklist import ordered, work_items, write_csv

    items = ordered(item for result in results for item in work_items(result))
    held = {result.path: result.held_output for result in results if result.held_output}
    try:
        write_csv(path, items, held)
    except OSError as problem:
        fail(Code.WRITE, f"{path}: cannot write the work list: {problem.strerror or problem}")


def _refuse_shared_targets(inputs: list[InputFile], outdir: Path) -> None:
    """Refuse two inputs that `-o` would write to one path (the second would overwrite the first)."""
    seen: dict[Path, str] = {}
    for item in inputs:
        target = outdir / item.relative
        if target in seen:
            raise click.UsageError(f"{seen[target]} and {item.display} would both be written to {target}")
        seen[target] = item.display


def _refuse_hold_overwrites(inputs: list[InputFile], hold: Path, outdir: Path | None) -> None:
    """Refuse a --hold DIR whose held file would land on an input or its outbound file (claims would be lost)."""
    for item in inputs:
        if item.is_stdin:
            continue
        held = (hold / item.relative).resolve()
        if held == item.path.resolve() or (outdir is not None and held == (outdir / item.relative).resolve()):
            raise click.UsageError(
                f"--hold {hold} would write the held claims of {item.display} over {held}: hold them in another folder"
            )


def _validation_gate() -> OutputGate:
    from cart837.validate_gate import ValidationGate  # pyx12 is imported only when asked for

    return ValidationGate()


def _spooled(item: InputFile) -> InputFile:
    return InputFile(spool_stdin(sys.stdin.buffer), "-", item.relative, is_stdin=True)


def _results(
    settings: RunSettings, inputs: list[InputFile], jobs: int, dask: str | None, to_stdout: bool
) -> Generator[FileResult, None, None]:
    """Pass 1 (the episode index), then pass 2: each input's result, in input order."""
    if dask:
        try:
            from cart837.distributed import run_on_dask  # dask is imported only when asked for
        except ImportError:
            fail(Code.DASK, "--dask needs the Dask extra: pip install 'cart837[dask]'")
        yield from run_on_dask(dask, settings, inputs)
        return
    splits: dict[int, SplitFile] = {}
    index, failures = parallel.build_index(inputs, settings.config, jobs, settings.split_size, splits)
    stdout = sys.stdout.buffer if to_stdout else None
    yield from parallel.process_files(settings, index, failures, inputs, jobs, stdout, splits)


def _process(
    produced: Generator[FileResult, None, None],
    inputs: list[InputFile],
    known: list[FileResult],
    writer: JsonReportWriter | None,
    bar: bool,
    reporter: Reporter,
) -> list[FileResult]:
    """Pass 2, file by file: the entries already decided, then each input, each reported as it ends.

    A stop (SIGINT/SIGTERM) abandons the file in hand; every input not done is reported `not processed`.
    """
    results: list[FileResult] = []

    def report(result: FileResult) -> None:
        results.append(result)
        reporter(result)
        if writer:
            writer.add(result)

    with writer if writer else _nothing():
        for result in known:
            report(result)
        done = 0
        try:
            with progress(inputs, bar) as items:
                for _item in items:
                    with stop.interruptible():
                        result = next(produced)
                    report(result)
                    done += 1
        except stop.Stopped:
            pass
        except Cart837Error as problem:  # the run as a whole cannot go on (a Dask cluster lost)
            error(problem.message, problem.code)
            for item in inputs[done:]:
                report(_failed(item, problem))
            done = len(inputs)
        finally:
            signum = stop.requested()
            produced.close()  # now, not when collected: after a stop workers abandon their files; a Dask client closes
            if signum is not None:
                for item in inputs[done:]:
                    report(_not_processed(item, signum))
    return results


class _nothing:  # noqa: N801 - a stand-in context manager
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _failed(item: InputFile, problem: Cart837Error) -> FileResult:
    message = f"{item.display}: not processed: {problem.message}"
    return FileResult(item.display, FileStatus.FAILED, error=message, code=problem.code.value)


def _not_processed(item: InputFile, signum: int) -> FileResult:
    name = stop.signal_name(signum)
    return FileResult(
        item.display,
        FileStatus.NOT_PROCESSED,
        code=Code.STOPPED.value,
        reason=f"not processed: the run was stopped ({name})",
    )


def _write_people_reports(document: dict[str, Any], places: Places) -> None:
    """Write the Markdown and HTML reports (the same data as the JSON one)."""
    from cart837.report.people import write_people_reports  # with jsonschema: ~0.1 s of start-up when not needed

    try:
        write_people_reports(document, places.report_md, places.report_html)
    except OSError as problem:
        fail(Code.WRITE, f"{problem.filename or 'report'}: cannot write the report: {problem.strerror or problem}")
