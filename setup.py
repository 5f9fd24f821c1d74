"""Build: the hot modules compiled with mypyc when this machine can, the same source as plain Python otherwise.

The way black ships itself (README, Install): `mypycify` turns the modules in HOT into C extension
modules that sit beside their .py files in the wheel (an extension module wins the import). Pure
Python, with a printed note saying why, when:
- CART837_PURE=1 is set (the opt-out);
- the build is an editable install (`pip install -e`, the dev venv): an extension module next to a
  source file would win its import and run stale code after the source is edited;
- no C compiler or no Python headers, mypyc is not installed, or compiling fails: a build that
  cannot compile still installs (the wheel then carries only the .py files).
Everything else (metadata, packages, data files) is in pyproject.toml.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

# The per-claim path, measured (README, Performance): only modules that got faster compiled stay
# here, and none whose classes are pickled (spill files, --jobs, Dask) or patched by tests: a
# compiled frozen dataclass cannot be unpickled and a compiled class takes no new attributes.
# The rule modules (cartNNN_*.py) stay interpreted: a compiled function has no docstring, and a
# rule's docstring is its documentation (`cart837 rules`, docs/rules.md). Paths relative to this
# file; they must pass `mypy --strict` (make lint).
HOT = [
    "cart837/x12/segment.py",
    "cart837/claims/summary.py",
    "cart837/claims/reader.py",
    "cart837/claims/fields.py",
    "cart837/claims/writer.py",
    "cart837/rules/_collapse.py",
    "cart837/rules/_lines.py",
    "cart837/rules/_markers.py",
    "cart837/rules/_same_day.py",
    "cart837/rules/ids.py",
]
# Written by every build that decides, read by `make test` and tests/test_build.py.
KIND_FILE = Path("build") / "cart837-build-kind"
BUILD_COMMANDS = {"bdist_wheel", "build", "build_ext", "install"}
EDITABLE_COMMANDS = {"editable_wheel", "develop"}


def _say(kind: str) -> None:
    print(f"cart837 build: {kind}", file=sys.stderr, flush=True)  # noqa: T201 (pip shows it)
    KIND_FILE.parent.mkdir(exist_ok=True)
    KIND_FILE.write_text(kind + "\n")


def _why_pure() -> str | None:
    """Return why this build stays pure Python, or None when it may compile."""
    if os.environ.get("CART837_PURE", "") not in ("", "0"):
        return "CART837_PURE is set"
    if EDITABLE_COMMANDS & set(sys.argv):
        return "editable install (runs the source; never an extension module beside a .py)"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(os.environ.get("CC", compiler).split()[0]) is None:
        return f"no C compiler ({compiler})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        return "no Python headers (Python.h)"
    return None


class _BuildExtOrPure(build_ext):
    """build_ext that falls back to the pure-Python package when compiling fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as failure:  # a compiler error of any kind: the .py files are still packaged
            for extension in self.extensions:
                Path(self.get_ext_fullpath(extension.name)).unlink(missing_ok=True)
            _say(f"pure Python (compiling failed: {str(failure).splitlines()[0] if str(failure) else failure!r})")
            return
        _say("compiled")

    def get_outputs(self) -> list[str]:
        return [path for path in super().get_outputs() if Path(path).exists()]


def _extensions() -> list[Any]:
    if not BUILD_COMMANDS & set(sys.argv):
        return []  # sdist, egg_info, metadata: nothing to compile
    reason = _why_pure()
    if reason is None:
        try:
            from mypyc.build import mypycify

            return mypycify(
                ["--cache-dir", str(Path("build") / "mypyc-cache"), *HOT],
                opt_level=os.environ.get("MYPYC_OPT_LEVEL", "3"),
                multi_file=True,  # several C files: less memory per compiler run
                group_name="cart837",
            )
        except (Exception, SystemExit) as failure:  # mypy missing or a module mypyc cannot compile
            reason = f"mypyc could not translate the hot modules: {failure!r}"[:300]
    _say(f"pure Python ({reason})")
    return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": _BuildExtOrPure})
