"""`make review-screenshots`: the review page's main screens, as PNGs under out/ (Chromium via selenium).

Run as `python -m tests.review.screens OUTDIR`: starts `cart837 serve fixtures/demo`, opens a demo
file, rejects one fix, opens a refused file, and saves a screenshot of each screen.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.review import browser
from tests.review.server import start
from tests.support import ROOT

DEMO = ROOT / "fixtures" / "demo"
SHOWN = DEMO / "cart-medicare-outpatient-episode.837"


def main(out: Path) -> None:
    """Write review-home.png, review-worklist.png, review-rejected.png and review-error.png into `out`."""
    reason = browser.missing()
    if reason:
        raise SystemExit(f"review-screenshots: {reason}")
    from selenium.webdriver.common.by import By

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cart837-screens-") as scratch:
        server = start(DEMO, Path(scratch) / "tmp")
        try:
            with browser.chromium(Path(scratch) / "downloads", width=1280, height=860) as driver:
                driver.get(server.url)  # type: ignore[attr-defined]
                driver.save_screenshot(str(out / "review-home.png"))  # type: ignore[attr-defined]
                driver.find_element(By.CSS_SELECTOR, f'button[data-path="{SHOWN.name}"]').click()  # type: ignore[attr-defined]
                browser.wait_for(lambda: driver.find_elements(By.ID, "totals"))  # type: ignore[attr-defined]
                driver.save_screenshot(str(out / "review-worklist.png"))  # type: ignore[attr-defined]
                button = driver.find_element(By.CSS_SELECTOR, 'button.reject[data-scope="finding"]')  # type: ignore[attr-defined]
                finding_id = button.get_attribute("data-target")
                button.click()
                accept = f'button.accept[data-target="{finding_id}"]'
                browser.wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, accept))  # type: ignore[attr-defined]
                row = driver.find_element(By.ID, f"finding-{finding_id}")  # type: ignore[attr-defined]
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)  # type: ignore[attr-defined]
                driver.save_screenshot(str(out / "review-rejected.png"))  # type: ignore[attr-defined]
                bad = Path(scratch) / "truncated.837"
                bad.write_bytes(SHOWN.read_bytes()[:1500])
                driver.get(server.url)  # type: ignore[attr-defined]
                driver.find_element(By.ID, "upload-file").send_keys(str(bad))  # type: ignore[attr-defined]
                driver.find_element(By.ID, "upload-button").click()  # type: ignore[attr-defined]
                browser.wait_for(lambda: driver.find_elements(By.ID, "error"))  # type: ignore[attr-defined]
                driver.save_screenshot(str(out / "review-error.png"))  # type: ignore[attr-defined]
        finally:
            server.stop()
    sys.stderr.write(f"review screenshots in {out}/review-*.png\n")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
