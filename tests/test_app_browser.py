"""The dashboard in a real browser: `spanishgas dashboard` as a subprocess on 127.0.0.1, every page visited
with Playwright + Debian chromium, no error element, key text present, screenshots saved under screenshots/.

Render times are recorded in screenshots/timings.json for information only: a test asserts no wall-clock
time (a loaded machine would fail it); `just bench` measures and reports the warm render time per page.
$SPANISHGAS_APP_TEST_LAKE runs it against an existing (e.g. full-scale) lake."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest_app import ROOT, published_lake_dir

from app.browser import CHROMIUM, CHROMIUM_ARGS, ERRORS, IDLE, PAGES, render_times, screenshot, serve

SHOTS = ROOT / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def dashboard_url():
    """`spanishgas dashboard` on a free port against the published test lake; stopped afterwards."""
    with serve(published_lake_dir()) as url:
        yield url


def test_every_page_renders_in_the_browser(dashboard_url):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    timings = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        try:
            for path, (_, text) in PAGES.items():
                timings[path or "overview"] = render_times(page, dashboard_url, path, text)
                assert page.locator(ERRORS).count() == 0, f"error element on /{path}: " + " | ".join(
                    page.locator(ERRORS).all_inner_texts()
                )
                screenshot(page, SHOTS / f"{path or 'overview'}.png", 1440)
                if path == "data_explorer":  # the second tab renders only when opened
                    page.get_by_role("tab", name="Churn drivers").click()
                    page.get_by_text("Churn by months to renewal").first.wait_for(
                        state="visible", timeout=30_000
                    )
                    page.wait_for_selector(IDLE, timeout=60_000)
                    assert page.locator(ERRORS).count() == 0
                    screenshot(page, SHOTS / "data_explorer_churn_drivers.png", 1440)
            for path, (title, text) in PAGES.items():  # in-app navigation (sidebar click, no reload)
                t0 = time.perf_counter()
                page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
                page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=30_000)
                page.wait_for_selector(IDLE, timeout=60_000)
                timings[path or "overview"]["sidebar_click_s"] = round(time.perf_counter() - t0, 3)
                assert page.locator(ERRORS).count() == 0, f"error element after navigating to {title}"
        finally:
            browser.close()
    (SHOTS / "timings.json").write_text(json.dumps(timings, indent=2))
    print(json.dumps(timings, indent=2))
