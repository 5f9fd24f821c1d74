"""Where the configuration comes from: `--config FILE`, else `cart837.toml` in the folder or a
parent, else `[tool.cart837]` in the nearest pyproject.toml, else the defaults (DESIGN.md)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from cart837.config import Config, RuleMode, from_mapping
from cart837.errors import ConfigError, Location
from cart837.ids import RuleId


def find_config(start: Path) -> tuple[Path, bool] | None:
    """Find `cart837.toml` in `start` or its parents, else the nearest pyproject.toml with [tool.cart837]."""
    for folder in (start, *start.parents):
        if (folder / "cart837.toml").is_file():
            return folder / "cart837.toml", False
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _holds_our_table(pyproject):
            return pyproject, True
    return None


def _holds_our_table(pyproject: Path) -> bool:
    """Return whether a pyproject.toml has [tool.cart837]; a broken one that names it is an error."""
    raw = _read(pyproject)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        if _NAMES_OUR_TABLE.search(raw):
            raise ConfigError(f"not valid TOML: {error}", Location(str(pyproject))) from None
        return False  # someone else's broken file: it cannot configure cart837
    return "cart837" in data.get("tool", {})


# `[tool.cart837]`, `[tool.cart837.rules]` or a `tool.cart837.…` key, at the start of a line
_NAMES_OUR_TABLE = re.compile(rb"^[ \t]*\[?[ \t]*tool[ \t]*\.[ \t]*[\"']?cart837\b", re.MULTILINE)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("configuration file not found", Location(str(path))) from None
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror or error}", Location(str(path))) from None


def load_config(
    path: Path | None, known_rules: Mapping[RuleId, frozenset[RuleMode]], cwd: Path | None = None
) -> Config:
    """Load `--config FILE`, else the discovered file, else the defaults."""
    pyproject = False
    if path is None:
        found = find_config(cwd or Path.cwd())
        if found is None:
            return Config()
        path, pyproject = found
    try:
        data = tomllib.loads(_read(path).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"not valid TOML: {error}", Location(str(path))) from None
    if pyproject or path.name == "pyproject.toml":
        data = data.get("tool", {}).get("cart837", {})
    return from_mapping(data, known_rules, str(path))
