"""The compiled build (README, Install): `make pytest` runs the suite on the wheel setup.py builds, with
the hot modules compiled by mypyc, installed into build/compiled/; `make pytest-pure` on the source.

CART837_BUILD_KIND is what that build printed ("compiled", or "pure Python (why)"); unset or
"source" means this run imports the checkout (the editable dev venv).
"""

from __future__ import annotations

import ast
import filecmp
import importlib
import json
import os
import subprocess
import sys
import zipfile
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import cart837
from tests.support import CHILD_PYTHONPATH, ROOT, generate

KIND = os.environ.get("CART837_BUILD_KIND", "source")


def _hot_modules() -> list[str]:
    """The module names setup.py's HOT lists (read from the file: importing setup.py would run a build)."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    (hot,) = (
        node.value for node in tree.body if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "HOT"
    )
    paths = ast.literal_eval(hot)
    assert paths and all(path.startswith("cart837/") and path.endswith(".py") for path in paths)
    return [path.removesuffix(".py").replace("/", ".") for path in paths]


def test_the_hot_modules_run_compiled_when_the_build_compiled() -> None:
    if KIND == "source":
        pytest.skip("this run imports the checkout as plain Python (make pytest-pure / the dev venv)")
    assert not Path(cart837.__file__).is_relative_to(ROOT / "cart837"), cart837.__file__
    if KIND.startswith(("pure Python (compiling failed", "pure Python (mypyc could not")):
        pytest.fail(f"the compiled build fell back to pure Python: {KIND}")
    compiled = KIND == "compiled"
    for name in _hot_modules():
        module = importlib.import_module(name)
        assert str(module.__file__).endswith(tuple(EXTENSION_SUFFIXES)) is compiled, (name, module.__file__, KIND)
    assert cart837.build_kind() == ("compiled" if compiled else "pure Python")
    done = subprocess.run(
        [sys.executable, "-c", "from cart837.cli import main; main()", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": CHILD_PYTHONPATH},
        check=True,
    )
    assert done.stdout.strip().endswith("(compiled)" if compiled else "(pure Python)"), done.stdout


def test_the_compiled_wheel_holds_extension_modules_for_the_hot_modules() -> None:
    if KIND != "compiled":
        pytest.skip(f"no compiled wheel in this run (build: {KIND})")
    (wheel,) = (ROOT / "build" / "wheel").glob("cart837-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for name in _hot_modules():
        stem = name.replace(".", "/")
        assert any(stem + suffix in names for suffix in EXTENSION_SUFFIXES), name
        assert stem + ".py" in names  # the source ships too (tracebacks, inspect)
    assert "-py3-none-any" not in wheel.name  # a platform wheel


@pytest.mark.parametrize("cart_share", [0.3, 0.01])  # the cancer centre's and the clearinghouse's mix
def test_the_compiled_build_writes_the_same_bytes_as_the_source(tmp_path: Path, cart_share: float) -> None:
    """Same file through both builds: output files and the JSON report byte for byte."""
    if KIND != "compiled":
        pytest.skip(f"only one build in this run (build: {KIND})")
    data = generate(claims=1500, seed=837, cart_share=cart_share, all_scenarios=True)
    for name, path in (("compiled", CHILD_PYTHONPATH), ("source", str(ROOT))):
        done = subprocess.run(
            [sys.executable, "-c", "from cart837.cli import main; main()", "fix", str(data), "-q"]
            + ["-o", str(tmp_path / name), "--report", str(tmp_path / f"{name}.json")],
            capture_output=True,
            env={**os.environ, "PYTHONPATH": path, "SOURCE_DATE_EPOCH": "1735689600"},
            cwd=tmp_path,
            timeout=300,
        )
        assert done.returncode in (0, 1), done.stderr.decode()[-2000:]
    assert filecmp.cmp(tmp_path / "compiled" / data.name, tmp_path / "source" / data.name, shallow=False)
    compiled, source = ((tmp_path / f"{name}.json").read_bytes() for name in ("compiled", "source"))
    assert json.loads(compiled)["totals"]["fixed"] > 0
    assert compiled == source
