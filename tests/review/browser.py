"""Debian's Chromium driven through chromedriver (selenium), for the review page's browser test and screenshots."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver",)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def missing() -> str | None:
    """Return why the browser test cannot run here, or None when it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (make install puts it in the test extra)"
    if not any(shutil.which(name) for name in CHROMIUM_NAMES):
        return "no chromium on PATH (.ci/run installs Debian's chromium)"
    if not any(shutil.which(name) for name in DRIVER_NAMES):
        return "no chromedriver on PATH (.ci/run installs Debian's chromium-driver)"
    return None


@contextmanager
def chromium(downloads: Path, width: int = 1280, height: int = 900) -> Iterator[object]:
    """Start headless Chromium with a fresh profile; downloads go to `downloads`. Yield the WebDriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = next(found for name in CHROMIUM_NAMES if (found := shutil.which(name)))
    driver_path = next(found for name in DRIVER_NAMES if (found := shutil.which(name)))
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cart837-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        options.add_experimental_option(
            "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
        )
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        try:
            driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
            yield driver
        finally:
            driver.quit()


def wait_for(condition: Callable[[], object], timeout: float = 120, what: str = "the page") -> object:
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the page may be between two loads
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


def downloaded(folder: Path, name: str, timeout: float = 60) -> bytes:
    """Return a finished download's bytes (Chromium writes .crdownload first)."""
    target = folder / name
    wait_for(lambda: target.is_file() and not list(folder.glob("*.crdownload")), timeout, f"download {name}")
    return target.read_bytes()
