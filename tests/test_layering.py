"""Imports point down only (STYLE.md §2; DESIGN.md, layers): each package's forbidden imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cart837

PACKAGE = Path(cart837.__file__).resolve().parent
# Rule modules hold logic; the registry (cart837.rules itself), base and sources are shared vocabulary.
RULE_VOCABULARY = ("cart837.rules", "cart837.rules.base", "cart837.rules.sources", "cart837.rules.registry")
ABOVE_RULES = ("cart837.report", "cart837.batch", "cart837.cli", "cart837.summary", "cart837.distributed")

# package -> module prefixes it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "cart837.x12": (
        "cart837.claims", "cart837.codes", "cart837.rules", "cart837.report", "cart837.batch", "cart837.cli",
        "cart837.episodes", "cart837.config", "cart837.validate", "cart837.summary",
    ),
    "cart837.claims": ("cart837.codes", "cart837.rules", "cart837.config", "cart837.episodes", *ABOVE_RULES),
    "cart837.codes": ("cart837.x12", "cart837.claims", "cart837.rules", "cart837.episodes", *ABOVE_RULES),
    "cart837.rules": ABOVE_RULES,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, module: str | None = None) -> set[str]:
    """Return every module `path` imports, anywhere in it (lazy imports too), as absolute names."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import submodule`
    return {name for name in found if name.startswith("cart837")}


def _modules(package: str) -> list[Path]:
    return sorted((PACKAGE.parent / package.replace(".", "/")).rglob("*.py"))


def _is_module(name: str) -> bool:
    target = PACKAGE.parent / name.replace(".", "/")
    return target.with_suffix(".py").is_file() or (target / "__init__.py").is_file()


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    problems = []
    for path in _modules(package):
        for name in sorted(imports_of(path)):
            if _is_module(name) and any(name == f or name.startswith(f + ".") for f in forbidden):
                problems.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    return problems


@pytest.mark.parametrize("package", list(FORBIDDEN))
def test_package_imports_point_down(package: str) -> None:
    assert _modules(package), f"{package} has no modules: the test is not looking at the code"
    assert _violations(package, FORBIDDEN[package]) == []


def test_report_never_imports_rule_logic() -> None:
    problems = []
    for path in _modules("cart837.report"):
        for name in sorted(imports_of(path)):
            if name.startswith("cart837.rules") and _is_module(name) and name not in RULE_VOCABULARY:
                problems.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert problems == []


def test_the_scanner_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Absolute, relative, `from pkg import module` and imports inside functions are all seen."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from cart837.x12 import segment\n"
        "from ..rules import engine\n"
        "from . import envelope\n"
        "def f() -> None:\n"
        "    import cart837.report.html\n"
    )
    names = imports_of(sample, "cart837.x12.sample")
    assert {"cart837.x12.segment", "cart837.rules.engine", "cart837.x12.envelope", "cart837.report.html"} <= names
    assert _violations("cart837.x12", FORBIDDEN["cart837.x12"]) == []
