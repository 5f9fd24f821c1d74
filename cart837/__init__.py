"""cart837: correct how CAR-T cell therapy is billed on X12 837I claim files.

Library API (DESIGN.md): `fix_file(path, config=...)` and `fix_many(paths, ...)` return the
FileResults the CLI reports; see cart837.api. They are imported on first use, so `import
cart837` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from cart837.api import fix_file, fix_many

__all__ = ["__version__", "build_kind", "fix_file", "fix_many"]


def build_kind() -> str:
    """Return "compiled" when the hot modules are mypyc extension modules (README, Install), else "pure Python"."""
    import os.path
    from importlib.machinery import EXTENSION_SUFFIXES

    stem = os.path.join(os.path.dirname(__file__), "x12", "segment")
    return "compiled" if any(os.path.isfile(stem + suffix) for suffix in EXTENSION_SUFFIXES) else "pure Python"


def __getattr__(name: str) -> Any:
    if name in ("fix_file", "fix_many"):
        from cart837 import api

        return getattr(api, name)
    raise AttributeError(f"module 'cart837' has no attribute {name!r}")
