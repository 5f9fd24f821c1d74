"""Fixture provenance: public files are exact copies; the demo's public files name their source and licence."""

from __future__ import annotations

import re

import pytest

from tests.support import PUBLIC, ROOT, public_files
from tests.support import SHARED as SHARED_ROOT

SHARED = SHARED_ROOT / "fixtures" / "public"
DEMO = ROOT / "fixtures" / "demo"


def _public_licences() -> dict[str, str]:
    """Return file -> licence from the Files table of fixtures/public/SOURCES.md."""
    text = (PUBLIC / "SOURCES.md").read_text("utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| [^|]+ \| ([^|]+) \|", text.split("## Provenance")[0], re.MULTILINE)
    return {name: licence.strip() for name, licence in rows}


def test_every_public_file_is_in_sources_md() -> None:
    assert sorted(_public_licences()) == public_files()


def test_public_files_are_exact_copies_of_the_shared_ones() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not on this machine")
    for rel in public_files():
        assert (PUBLIC / rel).read_bytes() == (SHARED / rel).read_bytes(), rel


def test_demo_public_files_name_their_copy_and_licence() -> None:
    rows = re.findall(
        r"^\| `([^`]+)` \| `fixtures/public/([^`]+)` \| [^|]+ \| ([^|]+) \|$",
        (DEMO / "SOURCES.md").read_text("utf-8"),
        re.MULTILINE,
    )
    licences = _public_licences()
    copies = sorted(p.name for p in DEMO.iterdir() if not p.name.startswith("cart-") and p.name != "SOURCES.md")
    assert sorted(name for name, _, _ in rows) == copies
    for name, rel, licence in rows:
        assert (DEMO / name).read_bytes() == (PUBLIC / rel).read_bytes(), name
        assert licence.strip() == licences[rel], name
