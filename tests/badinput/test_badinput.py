"""Bad input: every broken file is refused alone with one located line; nothing else suffers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cart837 import validate
from cart837.errors import ValidationError
from tests.badinput.make_corpus import REFUSED, VALID, Case, build
from tests.integrity.support import cart837
from tests.support import PUBLIC, gen837i

LOCATED = re.compile(r"cart837: error: (?P<file>.+?): byte \d+, segment \d+( \([A-Z0-9]{2,3}\))?: \S.*")


@pytest.fixture(scope="module")
def goods(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Good 837I files: plain, other delimiters + LF, several interchanges + CRLF, a public file."""
    folder = tmp_path_factory.mktemp("good")
    options = {
        "good-plain.837": ("--claims", "8", "--seed", "1"),
        "good-pipes.837": ("--claims", "8", "--seed", "2", "--delims", "|>^!", "--line-ending", "lf"),
        "good-multi.837": (
            "--claims",
            "10",
            "--seed",
            "3",
            "--interchanges",
            "2",
            "--claims-per-st",
            "3",
            "--line-ending",
            "crlf",
        ),
    }
    for name, args in options.items():
        gen837i(*args, "--cart-share", "0.5", "--no-truth", output=folder / name)
    public = folder / "good-ppo.edi"
    public.write_bytes((PUBLIC / "stupidedi" / "ppo-repriced-claim.edi").read_bytes())
    return [*(folder / name for name in options), public]


@pytest.fixture(scope="module")
def corpus(goods: list[Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Case]]:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, build(goods, folder)


def test_the_corpus_is_big_and_has_both_classes(corpus: tuple[Path, list[Case]]) -> None:
    _, cases = corpus
    refused = [c for c in cases if c.expect == REFUSED]
    valid = [c for c in cases if c.expect == VALID]
    assert (len(cases), len(refused), len(valid)) == (476, 419, 57)  # the README's numbers (Guarantees)
    assert len({c.name for c in cases}) == len(cases)


def test_each_file_alone_gets_its_expected_outcome(corpus: tuple[Path, list[Case]], tmp_path: Path) -> None:
    folder, cases = corpus
    outcomes = [_alone(folder / case.name, case, tmp_path / str(n)) for n, case in enumerate(cases)]
    assert [problem for problem in outcomes if problem] == []


def _alone(path: Path, case: Case, out: Path) -> str | None:
    result = cart837("fix", str(path), "-o", str(out))
    errors = [line for line in result.stderr.splitlines() if line.startswith("cart837: error:")]
    produced = out / path.name
    if "Traceback" in result.output:
        return f"{case.how}: traceback"
    if case.expect == REFUSED:
        if result.exit_code != 2 or len(errors) != 1 or produced.exists():
            return f"{case.how}: exit {result.exit_code}, {len(errors)} error lines, output {produced.exists()}"
        match = LOCATED.fullmatch(errors[0])
        shown = str(path).encode("utf-8", "backslashreplace").decode("utf-8")  # how stderr shows undecodable names
        if match is None or match["file"] not in (str(path), shown):
            return f"{case.how}: unlocated error line {errors[0]!r}"
        return None
    if result.exit_code != 0 or errors or not produced.exists():
        return f"{case.how}: exit {result.exit_code}, {errors}"
    unchanged = "0 changed" in result.stderr
    if unchanged and produced.read_bytes() != path.read_bytes():
        return f"{case.how}: unchanged but not byte-identical"
    return None


def test_a_batch_of_everything_refuses_the_bad_and_fixes_the_good(
    corpus: tuple[Path, list[Case]], goods: list[Path], tmp_path: Path
) -> None:
    folder, cases = corpus
    solo = {good.name: _solo(good, tmp_path / "solo") for good in goods}
    paths = [str(p) for p in goods] + [str(folder / c.name) for c in cases]
    run = subprocess.run(
        [sys.executable, "-c", "from cart837.cli import main; main()", "fix", *paths, "-o", str(tmp_path / "out")],
        capture_output=True,
        env=os.environ | {"PYTHONIOENCODING": "utf-8"},
        timeout=600,
    )
    assert run.returncode == 2
    assert b"Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    refused = [c for c in cases if c.expect == REFUSED]
    assert sum(1 for line in lines if line.startswith(b"cart837: error: ")) == len(refused)
    for case in refused:
        prefix = f"cart837: error: {folder / case.name}: byte ".encode("utf-8", "backslashreplace")
        assert sum(1 for line in lines if line.startswith(prefix)) == 1, case.how
        assert not (tmp_path / "out" / case.name).exists(), case.how
    for case in (c for c in cases if c.expect == VALID):
        assert (tmp_path / "out" / case.name).exists(), case.how
    for good in goods:
        assert (tmp_path / "out" / good.name).read_bytes() == solo[good.name], good.name
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".cart837-tmp")]


def _solo(good: Path, out: Path) -> bytes:
    result = cart837("fix", str(good), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    produced = (out / good.name).read_bytes()
    if "0 changed" in result.stderr:
        assert produced == good.read_bytes()
    return produced


def test_validate_judges_or_refuses_bad_files_without_a_traceback(corpus: tuple[Path, list[Case]]) -> None:
    """pyx12 crashes on many of these (IndexError, AttributeError): each must be a ValidationError."""
    folder, cases = corpus
    sample = [c for c in cases[::12] if (folder / c.name).stat().st_size < 100_000]
    outcomes = {"valid": 0, "invalid": 0, "refused": 0}
    for case in sample:
        try:
            report = validate.validate_bytes((folder / case.name).read_bytes(), case.name)
        except ValidationError as error:
            assert "\n" not in error.one_line()
            outcomes["refused"] += 1
        else:
            outcomes["valid" if report.valid else "invalid"] += 1
    assert len(sample) >= 30 and outcomes["refused"] > 0 and outcomes["invalid"] > 0
