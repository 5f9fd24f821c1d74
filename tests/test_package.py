"""The package a user installs: `python -m build` makes an sdist and a wheel (built from that sdist)
that install into a fresh venv with the code tables, the JSON Schema and the report CSS inside.

Offline and quick: the build runs without isolation (setuptools and build come with `make install`),
on a copy of the tracked files so nothing is written into the checkout; the wheel goes into a new
venv with `pip install --no-deps --no-index`, and that venv borrows the dependencies (pyx12, click,
...) from the running one through a .pth line, which adds the folder without its own .pth files, so
the checkout's editable install stays out and `cart837` can only come from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from tests.support import ROOT

DATA_FILES = (
    "cart837/codes/data/codes.toml",
    "cart837/report/schema.json",
    "cart837/report/report.css",
    "cart837/report/report.js",
    "cart837/report/schema-1.json",
    "cart837/decisions.schema.json",
    "cart837/review/templates/file.html",
    "cart837/review/static/review.css",
)
SCENARIO = ROOT / "fixtures" / "scenarios" / "catiii-2025-crosswalk"
# The wheel's own copy only: not the compiled build `make pytest` puts on PYTHONPATH.
ALONE = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "CART837_PURE")}


def _tracked_tree(target: Path) -> None:
    """Copy the files git tracks (what a clone has) into `target`."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in listed.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the build copies the tracked files")
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    _tracked_tree(source)
    done = subprocess.run(  # opted out of mypyc: the pure build any machine makes (tests/test_build.py: compiled)
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**ALONE, "CART837_PURE": "1"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "cart837 build: pure Python (CART837_PURE is set)" in done.stderr, done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the bin/ folder of a fresh venv with the wheel installed."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = dist.glob("*.whl")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        env=ALONE,  # else pip sees the compiled build on PYTHONPATH as already installed
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return home / "bin"


def test_the_sdist_and_the_wheel_hold_the_data_files(dist: Path) -> None:
    (sdist,) = dist.glob("cart837-*.tar.gz")
    (wheel,) = dist.glob("cart837-*-py3-none-any.whl")
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    assert set(DATA_FILES) <= in_sdist
    assert "setup.py" in in_sdist  # the mypyc build (a machine with a C compiler compiles the hot modules)
    assert set(DATA_FILES) <= in_wheel
    assert "cart837/cli/__init__.py" in in_wheel and not any(name.startswith("tests/") for name in in_wheel)


def test_the_installed_wheel_fixes_reports_and_lists_rules(installed: Path, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        # cwd is a temp folder, so the checkout's cart837/ is not on the path
        return subprocess.run(
            [str(installed / "cart837"), *args], capture_output=True, text=True, cwd=tmp_path, env=ALONE
        )

    where = subprocess.run(
        [str(installed / "python"), "-c", "import cart837; print(cart837.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        env=ALONE,
    ).stdout
    assert where.startswith(str(installed.parent)), where  # the wheel's copy, not the checkout's
    done = run("fix", str(SCENARIO / "input.837"), "-o", "out", "--report", "r.json", "--report-html", "r.html")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "input.837").read_bytes() == (SCENARIO / "expected.837").read_bytes()  # code tables
    rendered = run("report", "r.json", "--md", "r.md")  # reads the JSON back through the shipped schema
    assert rendered.returncode == 0, rendered.stderr
    css = (ROOT / "cart837" / "report" / "report.css").read_text().strip().splitlines()[0]
    assert css in (tmp_path / "r.html").read_text()
    assert json.loads((tmp_path / "r.json").read_text())["totals"]["fixed"] > 0
    assert run("--version").stdout.strip().endswith("(pure Python)")
    listed = run("rules")
    assert listed.returncode == 0 and listed.stdout.count("\nCART-") >= 21
