"""Imports point down only (STYLE.md §2; DESIGN.md, layers): each package's forbidden imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cart837

PACKAGE = Path(cart837.__file__).resolve().parent
# Rule modules hold logic; the registry (cart837.rules itself), base and sources are shared vocabulary.
RULE_VOCABULARY = ("cart837.rules", "cart837.rules.base", "cart837.rules.sources", "cart837.rules.registry")

# Every module of the package, by layer, lowest first (DESIGN.md, layers). A module may import
# its own package and anything in a lower layer, never a module of its own layer's other
# packages or above. A module that no entry names fails the test, so new code must choose a layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cart837.errors", "cart837.ids", "cart837.logs", "cart837.atomic", "cart837.spill", "cart837.inttable"),
    ("cart837.x12",),
    ("cart837.claims", "cart837.codes"),
    ("cart837.config", "cart837.episodes", "cart837.pyx12_maps"),
    ("cart837.config_file",),
    ("cart837.validate",),
    ("cart837.rules",),
    ("cart837.results", "cart837.decisions", "cart837.stop"),
    ("cart837.report", "cart837.summary", "cart837.inputs"),
    ("cart837.batch", "cart837.validate_gate"),
    ("cart837.split",),  # one big file as parts: the pool and Dask run them
    ("cart837.parallel",),
    ("cart837.distributed",),
    ("cart837.api",),
    ("cart837.review",),  # the review page calls the library API; the CLI starts it
    ("cart837.cli",),
    ("cart837.__main__",),
)


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


def _owner(name: str) -> tuple[int, str] | None:
    """Return (layer, entry) of the LAYERS entry that holds module `name`, or None."""
    for depth, entries in enumerate(LAYERS):
        for entry in entries:
            if name == entry or name.startswith(entry + "."):
                return depth, entry
    return None


def _all_modules() -> list[str]:
    return [_module_name(path) for path in sorted(PACKAGE.rglob("*.py"))]


def upward_imports(module: str, imported: set[str]) -> list[str]:
    """Return the imports of `module` that point to its own layer's other packages or above."""
    own = _owner(module)
    assert own is not None, f"{module} is in no layer"
    problems = []
    for name in sorted(imported):
        # `cart837` itself only re-exports the version and the lazy API.
        if name == "cart837" or not _is_module(name):
            continue
        target = _owner(name)
        if target is None or (target[1] != own[1] and target[0] >= own[0]):
            problems.append(f"{module} imports {name}")
    return problems


def test_every_module_has_a_layer() -> None:
    modules = [name for name in _all_modules() if name != "cart837"]
    assert len(modules) > 50, "the test is not looking at the package"
    assert [name for name in modules if _owner(name) is None] == []


@pytest.mark.parametrize("entry", [entry for entries in LAYERS for entry in entries])
def test_imports_point_down(entry: str) -> None:
    modules = [name for name in _all_modules() if name == entry or name.startswith(entry + ".")]
    if entry == "cart837.review" and not modules:
        pytest.skip("cart837.review does not exist yet")
    assert modules, f"{entry} has no modules: the test is not looking at the code"
    problems = []
    for name in modules:
        path = PACKAGE.parent / (name.replace(".", "/") + ".py")
        if not path.is_file():
            path = PACKAGE.parent / name.replace(".", "/") / "__init__.py"
        problems += upward_imports(name, imports_of(path, name))
    assert problems == []


def test_rules_never_touch_x12() -> None:
    """Issue 15 item 2: rules read the claim model, never segments or element positions."""
    modules = _modules("cart837.rules")
    assert len(modules) > 20, "the test is not looking at the rules"
    touching = {
        _module_name(path): sorted(
            name for name in imports_of(path) if name.startswith(("cart837.x12", "cart837.claims.fields"))
        )
        for path in modules
    }
    assert {module: names for module, names in touching.items() if names} == {}


def test_no_rule_reads_the_untyped_payers_table() -> None:
    """Issue 15 item 4: rules ask the Config's typed methods (payer_rule_modes, for_payer), never `.payers`."""
    readers = [
        _module_name(path)
        for path in _modules("cart837.rules")
        if any(
            isinstance(node, ast.Attribute) and node.attr == "payers"
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
        )
    ]
    assert readers == []


def test_an_upward_import_is_caught() -> None:
    assert upward_imports("cart837.report.json_report", {"cart837.batch"}) == [
        "cart837.report.json_report imports cart837.batch"
    ]
    assert upward_imports("cart837.summary", {"cart837.report.model"}) == [
        "cart837.summary imports cart837.report.model"
    ]
    assert upward_imports("cart837.rules.engine", {"cart837.results"}) == [
        "cart837.rules.engine imports cart837.results"
    ]
    assert upward_imports("cart837.results", {"cart837.rules.base", "cart837.spill"}) == []


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
    assert upward_imports("cart837.x12.sample", names) == [
        "cart837.x12.sample imports cart837.report.html",
        "cart837.x12.sample imports cart837.rules",
        "cart837.x12.sample imports cart837.rules.engine",
    ]
