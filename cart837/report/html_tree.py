"""Building blocks of the HTML report's lxml tree, shared by its sections."""

from __future__ import annotations

from lxml import etree

Element = etree._Element


def sub(parent: Element, tag: str, text: str | None = None, cls: str | None = None, **attrs: str) -> Element:
    """Append a child element with optional text, class and attributes (`data_x` -> `data-x`)."""
    child = etree.SubElement(parent, tag)
    if cls:
        child.set("class", cls)
    for name, value in attrs.items():
        child.set(name.rstrip("_").replace("_", "-"), value)
    if text is not None:
        child.text = text
    return child


def header(table: Element, names: tuple[str, ...], numeric: tuple[int, ...] = ()) -> None:
    row = sub(sub(table, "thead"), "tr")
    for index, name in enumerate(names):
        sub(row, "th", name, cls="num" if index in numeric else None)
