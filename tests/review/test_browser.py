"""A person's review in Debian's Chromium: upload, reject one fix, download, replay with --decisions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.review import browser
from tests.review.server import start
from tests.support import ROOT, cart837_command

DEMO_FILE = ROOT / "fixtures" / "demo" / "cart-medicare-outpatient-episode.837"


def test_upload_reject_download_and_replay_byte_for_byte(tmp_path: Path) -> None:
    reason = browser.missing()
    if reason:
        pytest.skip(reason)
    from selenium.webdriver.common.by import By

    server = start(None, tmp_path / "tmp")
    downloads = tmp_path / "downloads"
    try:
        with browser.chromium(downloads) as driver:
            driver.get(server.url)  # type: ignore[attr-defined]
            driver.find_element(By.ID, "upload-file").send_keys(str(DEMO_FILE))  # type: ignore[attr-defined]
            driver.find_element(By.ID, "upload-button").click()  # type: ignore[attr-defined]
            browser.wait_for(lambda: driver.find_elements(By.ID, "totals"), what="the file page")  # type: ignore[attr-defined]
            assert "token=" not in driver.current_url  # type: ignore[attr-defined]
            reject = driver.find_element(By.CSS_SELECTOR, 'button.reject[data-scope="finding"]')  # type: ignore[attr-defined]
            finding_id = reject.get_attribute("data-target")
            reject.click()
            accept = f'button.accept[data-scope="finding"][data-target="{finding_id}"]'
            browser.wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, accept), what="the rejected finding")  # type: ignore[attr-defined]
            row = driver.find_element(By.ID, f"finding-{finding_id}")  # type: ignore[attr-defined]
            assert "rejected in review" in row.text and "rejected" in row.get_attribute("class")
            assert driver.find_element(By.ID, "rejected").text == "1"  # type: ignore[attr-defined]
            driver.find_element(By.ID, "download-fixed").click()  # type: ignore[attr-defined]
            fixed = browser.downloaded(downloads, DEMO_FILE.name)
            driver.find_element(By.ID, "download-decisions").click()  # type: ignore[attr-defined]
            decisions = browser.downloaded(downloads, f"{DEMO_FILE.stem}.decisions.json")
    finally:
        server.stop()
    assert finding_id is not None and finding_id.encode() in decisions
    work = tmp_path / "replay"
    work.mkdir()
    shutil.copy(DEMO_FILE, work / DEMO_FILE.name)
    (work / "decisions.json").write_bytes(decisions)
    replay = cart837_command(["fix", DEMO_FILE.name, "--decisions", "decisions.json"], cwd=work)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout == fixed
    assert fixed != cart837_command(["fix", DEMO_FILE.name], cwd=work).stdout  # the rejection made a difference
