"""Headless Chromium for the report tests and `make report-screenshot` (no network, no profile)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
)


def find() -> str | None:
    """Return the path of a Chromium-like browser, or None."""
    return next((found for name in NAMES if (found := shutil.which(name))), None)


def run(
    page: Path, *args: str, width: int = 1280, height: int = 2000, fragment: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run the browser headless on a local page (`#fragment` when given) with a throw-away profile."""
    browser = find()
    if browser is None:
        raise FileNotFoundError("no chromium on PATH")
    with tempfile.TemporaryDirectory(prefix="cart837-chromium-") as profile:
        command = [browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", *args]
        return subprocess.run(
            [*command, page.resolve().as_uri() + (f"#{fragment}" if fragment else "")],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def dump_dom(page: Path, fragment: str = "") -> str:
    """Return the page's DOM after its scripts ran (opened at `#fragment` when given)."""
    return run(page, "--dump-dom", fragment=fragment).stdout


def print_pdf(page: Path, out: Path) -> int:
    """Print the page to PDF as a person would (print CSS) and return its page count."""
    run(page, f"--print-to-pdf={out.resolve()}", "--no-pdf-header-footer")
    if not out.exists():
        raise RuntimeError(f"chromium wrote no PDF for {page}")
    return out.read_bytes().count(b"/Type /Page") - out.read_bytes().count(b"/Type /Pages")


def screenshot(page: Path, out: Path, height: int = 2000) -> None:
    """Save a PNG of the page as a person would see it."""
    run(page, f"--screenshot={out.resolve()}", height=height)
    if not out.exists():
        raise RuntimeError(f"chromium wrote no screenshot for {page}")


def main(argv: list[str]) -> None:
    """make report-screenshot: PAGE[#FRAGMENT] PNG [WIDTHxHEIGHT [SCALE]]."""
    page, _, fragment = argv[0].partition("#")
    width, height = (int(n) for n in (argv[2] if len(argv) > 2 else "1280x2000").split("x"))
    scale = argv[3] if len(argv) > 3 else "1"
    out = Path(argv[1])
    flags = (f"--screenshot={out.resolve()}", f"--force-device-scale-factor={scale}", "--hide-scrollbars")
    run(Path(page), *flags, width=width, height=height, fragment=fragment)
    if not out.exists():
        raise RuntimeError(f"chromium wrote no screenshot for {page}")
    sys.stderr.write(f"screenshot: {out}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
