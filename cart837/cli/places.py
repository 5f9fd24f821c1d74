"""Where a run writes, checked before any work: -o, the reports, the results file, the 999s.

A location that cannot be written stops the run at once (E-WRITE, exit 2) naming the path,
rather than after an hour of work. A missing folder is refused for the reports and the results
file (a typo should not create a tree); `-o` and `--ack-dir` are created, as outputs are. The
run also removes the temp files a killed earlier run left in `-o` or beside the inputs it will
rewrite (--in-place).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cart837 import logs
from cart837.atomic import remove_stale_temps, remove_stale_temps_of
from cart837.cli.options import RunOptions, fail
from cart837.errors import Code
from cart837.inputs import InputFile, mark_output_tree
from cart837.results import FileResult, file_dollars


@dataclass(slots=True)
class ResultsFile:
    """`--results FILE.jsonl`: one JSON line per file, appended with one write() as soon as it is done."""

    path: Path
    descriptor: int
    run_id: str | None

    def add(self, result: FileResult) -> None:
        """Append one file's line."""
        line = json.dumps(result_line(result, self.run_id), separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        while data:
            data = data[os.write(self.descriptor, data) :]

    def close(self) -> None:
        """Close the file."""
        os.close(self.descriptor)


def result_line(result: FileResult, run_id: str | None = None) -> dict[str, object]:
    """Return a file's line of the results file (README, In a pipeline)."""
    fixes = flags = 0
    priced = False
    for finding in result.findings:
        fixes += finding.fixed
        flags += not finding.fixed
        priced = priced or finding.amount is not None
    dollars = float(file_dollars(result.findings)) if priced else None  # dollars involved, as the reports
    return {
        "run_id": run_id,
        "path": result.path,
        "output": result.output,
        "status": result.status.value,
        "code": result.code,
        "message": result.error or result.reason,
        "sha256_in": result.sha256_in,
        "sha256_out": result.sha256_out,
        "claims": result.claims,
        "claims_changed": result.claims_changed,
        "fixes": fixes,
        "flags": flags,
        "dollars": round(dollars, 2) if dollars is not None else None,
        "duration_s": round(result.duration, 3) if result.duration is not None else None,
    }


@dataclass(slots=True)
class Places:
    """The run's checked output locations."""

    report_json: Path | None = None
    report_to_stdout: bool = False
    report_md: Path | None = None
    report_html: Path | None = None
    results: ResultsFile | None = None

    def close(self) -> None:
        """Close what was opened."""
        if self.results is not None:
            self.results.close()
            self.results = None


def prepare_places(
    options: RunOptions, inputs: list[InputFile], reports: tuple[str | None, ...], outdir: Path | None
) -> Places:
    """Check (and create where that is the rule) every location the run will write; exit 2 if one fails.

    `reports` are the JSON, Markdown and HTML report paths; `outdir` the `-o` folder (None for
    `-o FILE`, whose folder is not an output tree of its own).
    """
    places = Places()
    report_json, report_md, report_html = reports
    if report_json == "-":
        places.report_json, places.report_to_stdout = Path("-"), True
    elif report_json:
        places.report_json = _report_path(report_json, "--report")
    places.report_md = _report_path(report_md, "--report-md") if report_md else None
    places.report_html = _report_path(report_html, "--report-html") if report_html else None
    if options.worklist:
        _report_path(options.worklist, "--worklist")
    if outdir is not None:
        _output_folder(outdir, "the output folder", marker=True)
    for folder, what in ((_ack_dir(options), "the acknowledgment folder"), (_hold_dir(options), "the hold folder")):
        if folder is not None:
            _output_folder(folder, what, marker=False)
    if options.in_place:
        remove_stale_beside(inputs)
    if options.results:
        path = _report_path(options.results, "--results")
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError as error:
            fail(Code.WRITE, f"{path}: cannot write the results file: {error.strerror or error}")
        places.results = ResultsFile(path, descriptor, logs.current().run_id)
    return places


def _hold_dir(options: RunOptions) -> Path | None:
    return Path(options.hold) if options.hold else None


def _ack_dir(options: RunOptions) -> Path | None:
    return Path(options.ack_dir) if options.ack_dir else None


def _report_path(name: str, option: str) -> Path:
    """A file the run will write: its folder must exist and be writable, the name not be a folder."""
    path = Path(name)
    folder = path.parent
    if path.is_dir():
        fail(Code.WRITE, f"{path}: cannot write {option} here: it is a folder")
    if not folder.is_dir():
        fail(Code.WRITE, f"{path}: cannot write {option}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        fail(Code.WRITE, f"{path}: cannot write {option}: permission denied")
    return path


def _output_folder(folder: Path, what: str, marker: bool) -> None:
    try:
        if marker:
            mark_output_tree(folder)
        else:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(Code.WRITE, f"{folder}: cannot create {what}: {error.strerror or error}")
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(Code.WRITE, f"{folder}: cannot write {what}: permission denied")
    _remove_stale(folder, recursive=True)


def remove_stale_beside(inputs: list[InputFile]) -> None:
    """--in-place: remove the temp files a killed run left beside these inputs (theirs only)."""
    removed = [found for item in inputs if not item.is_stdin for found in remove_stale_temps_of(item.path.resolve())]
    if removed:
        text = f"removed {len(removed)} temp file(s) an earlier run left beside its inputs (killed mid-file)"
        logs.warn("stale_temp_files_removed", text, count=len(removed))


def _remove_stale(folder: Path, recursive: bool) -> None:
    removed = remove_stale_temps(folder, recursive=recursive)
    if removed:
        text = f"{folder}: removed {len(removed)} temp file(s) an earlier run left (killed mid-file)"
        logs.warn("stale_temp_files_removed", text, folder=str(folder), count=len(removed))
