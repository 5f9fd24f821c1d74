"""The library API (DESIGN.md, CLI contract): `fix_file` and `fix_many` return what the CLI reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from cart837.batch import OutputGate, file_sha256
from cart837.config import Config
from cart837.config_file import load_config
from cart837.decisions import Decisions, load_decisions
from cart837.ids import FindingId, RuleId
from cart837.inputs import InputFile, expand_inputs, mark_output_tree
from cart837.parallel import RunSettings, build_index, process_files
from cart837.results import FileResult, RunMode
from cart837.rules import known_rules, select_rules
from cart837.split import SplitFile

if TYPE_CHECKING:
    from distributed import Client

PathLike = str | Path


def fix_many(
    paths: Iterable[PathLike],
    config: Config | PathLike | None = None,
    *,
    outdir: PathLike | None = None,
    in_place: bool = False,
    mode: RunMode | str = RunMode.FIX,
    rules: Iterable[str] | None = None,
    show_phi: bool = False,
    jobs: int = 1,
    dask: str | Client | None = None,
    gate: OutputGate | None = None,
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    decisions: PathLike | None = None,
    split_size: int | None = None,
) -> list[FileResult]:
    """Run files, directories or both as one batch; return the results in the CLI's order.

    `config` is a Config, a configuration file, or None for the CLI's lookup (cart837.toml or
    [tool.cart837] from the current directory up). With `outdir` fixed files are written
    there (mirroring directories as `-o` does), with `in_place` over the inputs, otherwise
    nowhere (`mode="check"` or a dry run). Directories are scanned as the CLI does (hidden
    names and earlier output trees left out; unreadable entries are failed results, code
    E-READ). `jobs` runs files in a process pool; `dask` (a scheduler address or a
    distributed.Client) runs them on a Dask cluster instead. With either, a file of at least
    `split_size` bytes (default 64 MiB, 0 never) runs as parts, as `--split-size` does.
    `skip`, `only` (finding ids) and `decisions` (a decisions file) choose which fixes apply, as
    `--skip`, `--only` and `--decisions` do; an id that can name no input raises DecisionsError,
    one that names no finding of its file fails that file.
    """
    if outdir is not None and in_place:
        raise ValueError("use either outdir or in_place, not both")
    inputs, known = expand_inputs([str(p) for p in paths], exclude=Path(outdir) if outdir is not None else None)
    if any(item.is_stdin for item in inputs):
        raise ValueError("'-' (standard input) is for the CLI; pass files")
    chosen = _decisions(skip, only, decisions, inputs)
    if outdir is not None:
        if any(Path(p).resolve() == Path(outdir).resolve() for p in paths):
            raise ValueError(f"outdir {outdir} is also an input")
        mark_output_tree(Path(outdir))
    settings = RunSettings(
        _config(config),
        _only(rules),
        RunMode(mode),
        Path(outdir) if outdir is not None else None,
        in_place,
        show_phi,
        keep_changes=RunMode(mode) is RunMode.DIFF,
        gate=gate,
        decisions=chosen,
    )
    if split_size is not None:
        settings = replace(settings, split_size=split_size)
    results = list(known)  # skipped and unreadable entries, as the CLI reports them first
    if dask is not None:
        from cart837.distributed import run_on_dask

        results.extend(run_on_dask(dask, settings, inputs))
        return results
    splits: dict[int, SplitFile] = {}
    index, failures = build_index(inputs, settings.config, jobs, settings.split_size, splits)
    results.extend(process_files(settings, index, failures, inputs, jobs, splits=splits))
    return results


def fix_file(
    path: PathLike,
    config: Config | PathLike | None = None,
    *,
    output: PathLike | None = None,
    in_place: bool = False,
    rules: Iterable[str] | None = None,
    show_phi: bool = False,
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    decisions: PathLike | None = None,
    strict: bool = True,
) -> FileResult:
    """Fix one file as a batch of one; write the fixed file to `output` (or over `path` with `in_place`).

    Without `output` or `in_place` nothing is written: the result says what would change.
    `skip`/`only` (finding ids) and `decisions` (a decisions file) as in `fix_many`; with
    `strict=False` an id that no finding of the file has is ignored instead of failing the file
    (the review page: rejecting one fix can make a fix rejected earlier disappear).
    """
    if output is not None and in_place:
        raise ValueError("use either output or in_place, not both")
    source = Path(path)
    item = InputFile(source, str(path), Path(Path(output).name if output is not None else source.name))
    chosen = replace(_decisions(skip, only, decisions, [item]), strict=strict)
    settings = RunSettings(
        _config(config),
        _only(rules),
        RunMode.FIX,
        Path(output).parent if output is not None else None,
        in_place,
        show_phi,
        decisions=chosen,
    )
    index, failures = build_index([item], settings.config)
    return next(iter(process_files(settings, index, failures, [item])))


def _config(config: Config | PathLike | None) -> Config:
    if isinstance(config, Config):
        return config
    return load_config(Path(config) if config is not None else None, known_rules())


def _decisions(
    skip: Iterable[str], only: Iterable[str] | None, path: PathLike | None, inputs: list[InputFile]
) -> Decisions:
    chosen = Decisions(
        frozenset(FindingId(i) for i in skip),
        frozenset(FindingId(i) for i in only) if only is not None else None,
        load_decisions(Path(path)) if path is not None else {},
        str(path or "decisions"),
    )
    if not chosen.empty:
        chosen.check_files(file_sha256(item.path) for item in inputs if item.path.is_file())
    return chosen


def _only(rules: Iterable[str] | None) -> frozenset[RuleId] | None:
    return select_rules(rules) if rules is not None else None
