"""The `cart837` command (click): fix, check, diff, rules, report, validate, serve.

The commands only gather options: `options.RunOptions` holds what a fix/check/diff run was
asked for, `run.run` carries it out, `output` prints what the user sees.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cart837 import __version__, build_kind
from cart837.cli.options import RunOptions, error, load, with_common
from cart837.errors import Cart837Error, Code
from cart837.ids import RuleId
from cart837.results import RunMode

if TYPE_CHECKING:
    from cart837.config import Config

# Each command imports what only it uses (batch, rules, reports, pyx12): `--version` and `rules`
# start in well under 150 ms (issue 14).


class _Cart837Group(click.Group):
    """The command group; a bug that escapes a command is one line and exit 2, never a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the CLI; with JSON logs asked for, click's usage errors are JSON records too."""
        if not _json_logs_asked(sys.argv[1:]):
            return super().main(*args, **kwargs)
        from cart837 import logs

        logs.configure(0, fmt="json")
        try:
            kwargs["standalone_mode"] = False
            outcome = super().main(*args, **kwargs)
        except click.ClickException as problem:
            logs.announce("error", "usage_error", f"cart837: error: {problem.format_message()}", code=Code.USAGE.value)
            sys.exit(problem.exit_code)
        except click.Abort:
            sys.exit(1)
        sys.exit(outcome if isinstance(outcome, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; anything unexpected becomes `cart837: error: internal error ...`."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # `--report - | head`: the reader left; not a bug
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
            error("cannot write to stdout: the reading process closed the pipe", Code.WRITE)
            sys.exit(2)
        except Exception:  # noqa: BLE001 - the last net under every command
            from cart837 import logs

            logs.get_logger().exception("internal_error")
            error("internal error, rerun with -v for the traceback", Code.INTERNAL)
            sys.exit(2)


def _json_logs_asked(argv: list[str]) -> bool:
    """Whether JSON logs are asked for (`--log-format json`, or CART837_LOG_FORMAT=json), before click parses."""
    pairs = zip(argv, argv[1:], strict=False)
    if "--log-format=json" in argv or any(a == "--log-format" and b == "json" for a, b in pairs):
        return True
    return os.environ.get("CART837_LOG_FORMAT") == "json" and not any(a.startswith("--log-format") for a in argv)


@click.group(cls=_Cart837Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(f"{__version__} ({build_kind()})", "-V", "--version", prog_name="cart837")
def main() -> None:
    """Correct how CAR-T cell therapy is billed on X12 837I files, and report every change."""


@main.command()
@with_common
@click.option(
    "-o",
    "--output",
    "outdir",
    type=click.Path(),
    help="Write fixed files into this folder, or, for one input, to this file (a name ending in .837/.edi/.x12/.txt).",
)
@click.option("--in-place", is_flag=True, help="Overwrite the inputs (atomically).")
@click.option("--validate", is_flag=True, help="Validate input and output with pyx12; never write a worse file.")
@click.option("--dask", "dask", metavar="ADDRESS", help="Run the files on this Dask scheduler (paths must be shared).")
@click.option(
    "--hold",
    "hold",
    type=click.Path(file_okay=False),
    help="Write claims that must not go out as they are to a separate 837I under this folder.",
)
@click.option(
    "--hold-on",
    "hold_on",
    type=click.Choice(["error", "review"]),
    default="error",
    show_default=True,
    help="Hold claims with an error finding, or with an error or review finding.",
)
@click.option(
    "--ack-dir",
    type=click.Path(file_okay=False),
    help="With --validate: write pyx12's 999 for every input validated here (and a TA1 when pyx12 makes one).",
)
def fix(**options: Any) -> None:
    """Fix PATHS (files, directories or - for stdin) and report what changed."""
    chosen = RunOptions(RunMode.FIX, **options)
    if chosen.outdir and chosen.in_place:
        raise click.UsageError("use either -o/--output or --in-place, not both")
    if chosen.dask and not (chosen.outdir or chosen.in_place):
        raise click.UsageError("--dask writes files on the cluster: give -o DIR or --in-place")
    if chosen.dask and "-" in chosen.paths:
        raise click.UsageError("--dask cannot read standard input: give files on a shared path")
    if chosen.ack_dir and not chosen.validate:
        raise click.UsageError("--ack-dir needs --validate (a 999 states what pyx12 validated)")
    from cart837.cli.run import run

    run(chosen)


@main.command()
@with_common
@click.option("--fail-on-flag", is_flag=True, help="Exit 1 on flags too, not only on needed fixes.")
def check(**options: Any) -> None:
    """Say whether PATHS need fixing; write nothing (exit 1 if they do)."""
    from cart837.cli.run import run

    run(RunOptions(RunMode.CHECK, **options))


@main.command()
@with_common
def diff(**options: Any) -> None:
    """Print a unified diff (one segment per line) of what fix would change."""
    from cart837.cli.run import run

    run(RunOptions(RunMode.DIFF, **options))


@main.command("report")
@click.argument("report_json", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--report-md", "--md", "markdown_path", type=click.Path(dir_okay=False), help="Write the Markdown report here."
)
@click.option(
    "--report-html", "--html", "html_path", type=click.Path(dir_okay=False), help="Write the HTML report here."
)
@click.option("--worklist", "worklist", type=click.Path(dir_okay=False), help="Write the work list here as CSV.")
def report_command(report_json: str, markdown_path: str | None, html_path: str | None, worklist: str | None) -> None:
    """Re-render the people's reports from a JSON report (Markdown on stdout when no file is named).

    The options have the names they have on fix: --report-md, --report-html, --worklist.
    """
    from cart837 import logs
    from cart837.report import markdown
    from cart837.report import schema as report_schema
    from cart837.report.model import Report
    from cart837.report.people import write_people_reports

    logs.configure(0, fmt=os.environ.get("CART837_LOG_FORMAT", "text"))
    try:
        if report_json == "-":
            document = report_schema.parse(sys.stdin.read(), "-")
        else:
            document = report_schema.load(Path(report_json))
        if worklist is not None:
            from cart837.report.worklist import write_csv

            report = Report.from_dict(document)
            held = {entry.path: entry.held_output for entry in report.files if entry.held_output}
            write_csv(Path(worklist), report.worklist, held)
        if markdown_path is None and html_path is None:
            if worklist is None:
                click.echo(markdown.render(Report.from_dict(document)), nl=False)
            return
        write_people_reports(
            document, Path(markdown_path) if markdown_path else None, Path(html_path) if html_path else None
        )
    except Cart837Error as problem:
        error(problem.one_line())
        sys.exit(2)
    except OSError as problem:
        error(f"{problem.filename or 'report'}: cannot write the report: {problem.strerror or problem}")
        sys.exit(2)


@main.command("serve")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8837, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
@click.option("-v", "--verbose", count=True, help="More log output (never PHI).")
def serve_command(folder: str | None, host: str, port: int, config_path: str | None, verbose: int) -> None:
    """Review files in a local web page before submission: accept or reject each fix, download."""
    try:
        from cart837.review.server import serve
    except ImportError as problem:
        missing = problem.name or "a package"
        error(f"`cart837 serve` needs the review extra ({missing} is not installed): pip install 'cart837[review]'")
        sys.exit(2)
    from cart837 import logs

    logs.configure(verbose)
    config = load(config_path)
    try:
        serve(Path(folder) if folder else None, host, port, config, click.echo)
    except OSError as problem:
        error(f"cannot listen on {host}:{port}: {problem.strerror or problem}")
        sys.exit(2)


@main.command("rules")
@click.argument("rule_ids", nargs=-1, metavar="[CART-NNN]...")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
def rules_command(rule_ids: tuple[str, ...], config_path: str | None) -> None:
    """List every rule (id, title, modes, settings, citation), or print whole rules: `cart837 rules CART-005`."""
    from cart837.rules import all_rules

    config = load(config_path)
    if rule_ids:
        from cart837.report.rules_doc import rule_text

        known = {rule.id: rule for rule in all_rules()}
        wanted = [RuleId(rule_id.strip().upper()) for rule_id in rule_ids]
        unknown = [rule_id for rule_id in wanted if rule_id not in known]
        if unknown:
            raise click.BadParameter(f"unknown rule id(s): {', '.join(unknown)}", param_hint="CART-NNN")
        texts = [rule_text(known[rule_id]) for rule_id in wanted]
        for rule_id, text in zip(wanted, texts, strict=True):
            configured = known[rule_id].mode_under(config).value
            click.echo(text.rstrip("\n") + f"\n\nConfigured mode in this folder: `{configured}`.\n")
        return
    for rule in all_rules():
        configured = rule.mode_under(config)
        click.echo(f"{rule.id}  {rule.title}")
        modes = f"default: {rule.default.value}  configured: {configured.value}  flags: {rule.severity.value}"
        click.echo(f"          {modes}")
        if rule.config_keys:
            click.echo(f"          settings: {'; '.join(_setting(config, key) for key in rule.config_keys)}")
        click.echo(f"          citation: {rule.citation}")
    click.echo("cart837 rules CART-NNN prints a whole rule: what it checks, why, what you do, examples, sources.")


def _setting(config: Config, key: str) -> str:
    """Return `key = value` as TOML would write it (tables: how many entries are configured)."""
    value = getattr(config, key)
    if isinstance(value, Mapping):
        return f"{key} ({len(value)} configured)"
    if isinstance(value, bool):
        return f"{key} = {str(value).lower()}"
    if isinstance(value, tuple):
        return f"{key} = [{', '.join(json.dumps(item) for item in value)}]"
    return f"{key} = {json.dumps(value)}"


@main.command("validate")
@click.argument("paths", nargs=-1, required=True)
@click.option("--ack-dir", type=click.Path(file_okay=False), help="Write a 999 acknowledgment per file here.")
@click.option("--show-phi", is_flag=True, help="Keep the data pyx12 quotes from patient segments (PHI!).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and invalid files.")
@click.option("-v", "--verbose", count=True, help="More log output.")
def validate_command(paths: tuple[str, ...], ack_dir: str | None, show_phi: bool, quiet: bool, verbose: int) -> None:
    """Validate PATHS against the 837I implementation guide with pyx12 (exit 0 valid, 1 invalid, 2 error)."""
    from cart837 import logs, validate, validate_gate  # pyx12 is imported only when asked for
    from cart837.inputs import expand_inputs

    logs.configure(-1 if quiet else verbose, fmt="text")
    inputs, known = expand_inputs(list(paths))
    for entry in known:
        if entry.error:
            error(entry.error, None)
    acks = validate_gate.AckWriter(Path(ack_dir)) if ack_dir else None
    counts = {"valid": 0, "invalid": 0, "failed": sum(1 for entry in known if entry.error)}
    for item in inputs:
        try:
            if item.is_stdin:
                report = validate.validate_bytes(sys.stdin.buffer.read(), "-", show_phi)
            else:
                report = validate.validate_path(item.path, item.display, show_phi)
            if acks is not None:
                acks.write(report, item.relative)
        except Cart837Error as problem:
            error(problem.with_file(item.display).one_line())
            counts["failed"] += 1
            continue
        counts["valid" if report.valid else "invalid"] += 1
        if report.valid and quiet:
            continue
        count = len(report.errors)
        verdict = "valid" if report.valid else f"invalid ({count} error{'' if count == 1 else 's'})"
        click.echo(f"{item.display}: {verdict}")
        for line in [f"note: {n}" for n in report.notes]:
            click.echo(f"  {line}")
        for first, more in validate.group_repeats(report.errors):
            click.echo(f"  {first.describe()}")
            if more:
                claims = list(dict.fromkeys(e.claim for e in more if e.claim))
                named = f" (claims {', '.join(claims[:5])}{', …' if len(claims) > 5 else ''})" if claims else ""
                click.echo(f"    … and {len(more)} more like it{named}")
    if not quiet:
        noun = "file" if len(inputs) == 1 else "files"
        click.echo(f"{len(inputs)} {noun}: " + ", ".join(f"{n} {k}" for k, n in counts.items()), err=True)
    sys.exit(2 if counts["failed"] else 1 if counts["invalid"] else 0)
