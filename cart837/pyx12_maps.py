"""pyx12's map directory with the routes cart837 adds: 837I labels pyx12 4.0.0 lacks go to its one 837I map.

pyx12 maps only 005010X223A2; real files also say 005010X223, A1 and A3, or GS08 005010X222 with
ST03 005010X223.... The routed copy of pyx12's maps is built once per pyx12 version and cached.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from lxml import etree

from cart837.errors import ValidationError

PYX12_VERSION = "4.0.0"
MAPPED_LABEL = "005010X223A2"  # the only 837I label pyx12 4.0.0 maps
ROUTED_LABELS = ("005010X223", "005010X223A1", "005010X223A3")
PROFESSIONAL_LABEL = "005010X222"  # GS08 of real 837I files whose ST03 says 005010X223...
_INSTITUTIONAL_MAP = "837Q3.I.5010.X223.A1.xml"
_CONTROL_MAP = "x12.control.00501.xml"
_MAP_EDITS = 2  # bump when _write_maps changes what it writes (a new cache folder then)


@cache
def map_directory() -> str:
    """Return pyx12's maps plus the routes to its 005010X223A2 map, built once per version.

    The folder is kept in the user's cache (`$XDG_CACHE_HOME/cart837`, else ~/.cache/cart837)
    under a name that changes with pyx12's version and our routes, so runs and worker processes
    share it and nothing is left in /tmp; built in a hidden folder, then renamed into place.
    """
    key = hashlib.sha256(repr((version("pyx12"), ROUTED_LABELS, PROFESSIONAL_LABEL, _MAP_EDITS)).encode())
    cache_root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cart837"
    final = cache_root / f"pyx12-maps-{key.hexdigest()[:16]}"
    if (final / "maps.xml").is_file():
        return str(final)
    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=cache_root, prefix=".building-"))
    except OSError:  # no writable cache: a folder for this process only
        building = Path(tempfile.mkdtemp(prefix="cart837-pyx12-maps-"))
        atexit.register(shutil.rmtree, building, True)
        _write_maps(building)
        return str(building)
    _write_maps(building)
    try:
        building.rename(final)
    except OSError:  # another process renamed its copy first: use that one
        shutil.rmtree(building, ignore_errors=True)
    return str(final)


def _write_maps(folder: Path) -> None:
    source = files("pyx12").joinpath("map")
    for entry in source.iterdir():
        if entry.name.endswith(".xml") or entry.name.endswith(".xsd"):
            (folder / entry.name).write_bytes(entry.read_bytes())
    _add_routes(folder / "maps.xml")
    for map_file in (_CONTROL_MAP, _INSTITUTIONAL_MAP):  # each map carries its own GS segment
        _add_codes(folder / map_file, "GS08", (*ROUTED_LABELS, PROFESSIONAL_LABEL))
    _add_codes(folder / _INSTITUTIONAL_MAP, "ST03", ROUTED_LABELS)


def _add_routes(index: Path) -> None:
    tree = etree.parse(str(index))
    version = tree.find("version[@icvn='00501']")
    if version is None:
        raise ValidationError(f"pyx12 {PYX12_VERSION} maps.xml has no 00501 section")
    for label in (*ROUTED_LABELS, PROFESSIONAL_LABEL):
        route = etree.SubElement(version, "map", vriic=label, fic="HC", abbr="837Q3")
        route.text = _INSTITUTIONAL_MAP
    tree.write(str(index), xml_declaration=True, encoding="UTF-8")


def _add_codes(map_file: Path, element: str, codes: tuple[str, ...]) -> None:
    tree = etree.parse(str(map_file))
    valid = tree.find(f".//element[@xid='{element}']/valid_codes")
    if valid is None:
        raise ValidationError(f"pyx12 {PYX12_VERSION} {map_file.name} has no valid codes for {element}")
    for code in codes:
        etree.SubElement(valid, "code").text = code
    tree.write(str(map_file), xml_declaration=True, encoding="UTF-8")
