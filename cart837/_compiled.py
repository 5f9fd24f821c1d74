"""Which modules mypyc compiles at install (setup.py reads HOT_MODULES), and which run compiled now."""

from __future__ import annotations

import importlib.util

# The per-byte and per-claim hot paths; none of them is monkeypatched by tests or patched at run time.
HOT_MODULES: tuple[str, ...] = ()


def compiled_modules() -> list[str]:
    """Return the modules of HOT_MODULES that import as extension modules (empty on pure Python)."""
    out = []
    for name in HOT_MODULES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is not None and not origin.endswith(".py"):
            out.append(name)
    return out
