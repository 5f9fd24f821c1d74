"""What one `fix`/`check`/`diff` run was asked for: the options object the commands build."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from cart837.config import Config
from cart837.config_file import load_config
from cart837.errors import Cart837Error, Code
from cart837.ids import RuleId
from cart837.results import RunMode

if TYPE_CHECKING:  # decisions loads jsonschema and the rules: only runs that read --skip/--only/--decisions
    from cart837.decisions import Decisions


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Every option of a file-processing command; click's keyword arguments map onto the fields.

    A new option of fix/check/diff is one click decorator plus one field here.
    """

    mode: RunMode
    paths: tuple[str, ...]
    config_path: str | None = None
    rules: str | None = None
    report_json: str | None = None
    report_md: str | None = None
    report_html: str | None = None
    show_phi: bool = False
    quiet: bool = False
    verbose: int = 0
    jobs: int = 1
    split_size: int | None = None  # None: cart837.split.SPLIT_SIZE
    outdir: str | None = None
    in_place: bool = False
    validate: bool = False
    dask: str | None = None
    ack_dir: str | None = None
    fail_on_flag: bool = False
    worklist: str | None = None
    hold: str | None = None
    hold_on: str = "error"
    skip: str | None = None
    only_ids: str | None = None
    decisions_path: str | None = None
    results: str | None = None
    log_format: str | None = None

    @property
    def verbosity(self) -> int:
        """-1 quiet, 0 default, 1+ verbose."""
        return -1 if self.quiet else self.verbose

    @property
    def log_fmt(self) -> str:
        """`--log-format`, else CART837_LOG_FORMAT, else text."""
        chosen = self.log_format or os.environ.get("CART837_LOG_FORMAT", "text")
        return chosen if chosen in ("text", "json") else "text"

    @property
    def output_dir(self) -> Path | None:
        """The `-o` folder as a path."""
        return Path(self.outdir) if self.outdir else None

    @property
    def to_stdout(self) -> bool:
        """Whether the fixed file goes to standard output (fix with neither -o nor --in-place)."""
        return self.mode is RunMode.FIX and self.outdir is None and not self.in_place


class ByteSize(click.ParamType):  # type: ignore[type-arg]
    """A size in bytes: `65536`, `64K`, `64M`, `1G` (powers of 1024)."""

    name = "size"
    _UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().removesuffix("B").removesuffix("I")
        unit = text[-1:] if text[-1:] in self._UNITS else ""
        number = text[: len(text) - len(unit)]
        if not number.isascii() or not number.isdigit():
            self.fail(f"{value!r} is not a size (e.g. 65536, 64K, 64M, 1G)", param, ctx)
        return int(number) * self._UNITS[unit]


REPORT_FORMATS = {".json": "json", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
OUTPUT_FILE_SUFFIXES = frozenset({".837", ".edi", ".x12", ".txt", ".dat", ".837i"})


def report_paths(report: str | None, markdown: str | None, html: str | None) -> tuple[str | None, ...]:
    """Return the (JSON, Markdown, HTML) report paths: `--report` writes what its extension names.

    `--report r.html` is the HTML report, `--report r.md` the Markdown one (anything else JSON);
    `--report-md r.html` or `--report-html r.json` is a mismatch and refused (exit 2).
    """
    chosen: dict[str, str | None] = {"json": None, "md": markdown, "html": html}
    for given, wanted, option in ((markdown, "md", "--report-md"), (html, "html", "--report-html")):
        named = REPORT_FORMATS.get(Path(given).suffix.lower()) if given else None
        if named is not None and named != wanted:
            message = f"{given} names a {named} file, but this option writes {wanted}"
            raise click.BadParameter(message, param_hint=option)
    if report is not None:
        kind = REPORT_FORMATS.get(Path(report).suffix.lower(), "json")
        if chosen[kind] is not None:
            message = f"two {kind} reports asked for ({report} and {chosen[kind]})"
            raise click.BadParameter(message, param_hint="--report")
        chosen[kind] = report
    return chosen["json"], chosen["md"], chosen["html"]


def error(message: str, code: Code | None = None) -> None:
    """Print one `cart837: error:` line on stderr (a JSON record when logs are JSON)."""
    from cart837 import logs  # structlog: not for --version and --help

    logs.announce("error", "run_failed", f"cart837: error: {message}", code=code.value if code else None)


def fail(code: Code, message: str) -> NoReturn:
    """Stop the run before or outside any file's work: one error line, exit 2."""
    error(message, code)
    sys.exit(2)


def load(config_path: str | None) -> Config:
    """Load the configuration, or exit 2 with one line saying why not."""
    from cart837.rules import known_rules  # every rule module: only commands that run or list rules

    try:
        return load_config(Path(config_path) if config_path else None, known_rules())
    except Cart837Error as problem:
        fail(problem.code, problem.one_line())


def decisions(options: RunOptions) -> Decisions:
    """Read --skip, --only and --decisions; a bad one is one line and exit 2."""
    from cart837.decisions import Decisions, load_decisions, parse_ids

    try:
        return Decisions(
            skip=parse_ids(options.skip, "--skip") if options.skip is not None else frozenset(),
            only=parse_ids(options.only_ids, "--only") if options.only_ids is not None else None,
            rejected=load_decisions(Path(options.decisions_path)) if options.decisions_path else {},
            source=options.decisions_path or "--decisions",
        )
    except Cart837Error as problem:
        fail(problem.code, problem.one_line() if problem.location.file != "-" else problem.message)


def only_rules(rules: str | None) -> frozenset[RuleId] | None:
    """Return the rule ids of `--rules`, refusing unknown ones."""
    from cart837.rules import select_rules

    if not rules:
        return None
    try:
        return select_rules(r.strip() for r in rules.split(",") if r.strip())
    except ValueError as unknown:
        raise click.BadParameter(str(unknown), param_hint="--rules") from None


common = [
    click.argument("paths", nargs=-1, required=True),
    click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file."),
    click.option("--rules", "rules", help="Run only these rule ids this time (comma-separated)."),
    click.option(
        "--report",
        "report_json",
        type=click.Path(dir_okay=False),
        help="Write a report here: JSON, or Markdown/HTML when the name ends in .md/.html.",
    ),
    click.option("--report-md", "report_md", type=click.Path(dir_okay=False), help="Write the Markdown report here."),
    click.option("--report-html", "report_html", type=click.Path(dir_okay=False), help="Write the HTML report here."),
    click.option(
        "--worklist",
        "worklist",
        type=click.Path(dir_okay=False),
        help="Write the work list (claims that need a person) here as CSV.",
    ),
    click.option("--show-phi", is_flag=True, help="Put patient identifiers in reports (PHI!)."),
    click.option("--skip", "skip", metavar="ID,...", help="Do not apply these fixes (finding ids): they become flags."),
    click.option("--only", "only_ids", metavar="ID,...", help="Apply only these fixes (finding ids)."),
    click.option(
        "--decisions",
        "decisions_path",
        type=click.Path(dir_okay=False),
        help="Apply the review decisions in this file (written by `cart837 serve`).",
    ),
    click.option("-q", "--quiet", is_flag=True, help="Only errors."),
    click.option("-v", "--verbose", count=True, help="More log output; -v shows tracebacks."),
    click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Process this many files at a time (a process pool); the report keeps the input order.",
    ),
    click.option(
        "--split-size",
        "split_size",
        type=ByteSize(),
        default=None,
        help="With --jobs or --dask, run a file of at least this size (e.g. 64M, the default) as parts "
        "cut at ST/ISA boundaries, one task each; 0 never splits.",
    ),
    click.option(
        "--results",
        "results",
        type=click.Path(dir_okay=False),
        help="Append one JSON line per file to this file as soon as the file is done.",
    ),
    click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        help="Standard error as text lines, or JSON lines only (default text, or CART837_LOG_FORMAT).",
    ),
]


F = TypeVar("F", bound=Callable[..., Any])


def with_common(func: F) -> F:
    """Attach the options every file-processing command shares."""
    for decorator in reversed(common):
        func = decorator(func)
    return func
