"""The dashboard in a real browser: serve it on a free local port and load each page until it has rendered.

Used by the browser test (every page renders, no error element) and by ``just bench`` (warm render time per
page). Needs Playwright and a Chromium binary (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = {  # url path → (sidebar title, text that proves the page rendered its content)
    "": ("Overview", "Customers scored"),
    "data_explorer": ("Data Explorer", "Browse tables"),
    "model_performance": ("Model Performance", "Precision-recall curve"),
    "customer_risk": ("Customer Risk", "Customers at risk"),
    "customer_lookup": ("Customer Lookup", "Why this risk"),
    "recommendations": ("Recommendations", "Offer policy"),
    "drift_monitor": ("Drift Monitor", "PSI per feature"),
    "pipeline_status": ("Pipeline Status", "Run history"),
}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(lake: str | Path) -> Iterator[str]:
    """`spanishgas dashboard` on a free port over ``lake``; yields its URL and stops it afterwards."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dataflow.cli", "dashboard", "--lake", str(lake), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"dashboard did not start:\n{proc.stdout.read() if proc.poll() is not None else ''}"
                )
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def render(page, url: str, text: str) -> float:
    """Load ``url`` and wait until the script finished and ``text`` is visible; seconds taken."""
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=120_000)
    page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=30_000)
    return time.perf_counter() - t0


def render_times(page, url: str, path: str, text: str, warm_loads: int = 3) -> dict[str, float]:
    """Seconds to render one page: the first load (caches fill) and the median and max of the warm loads after.

    A load is a full page load in the same browser, so it includes the websocket handshake and the browser
    drawing every chart and table.
    """
    cold = render(page, f"{url}/{path}", text)
    warm = sorted(render(page, f"{url}/{path}", text) for _ in range(warm_loads))
    return {
        "cold_s": round(cold, 3),
        "warm_s": round(warm[len(warm) // 2], 3),
        "warm_max_s": round(warm[-1], 3),
    }


def page_timings(lake: str | Path) -> dict[str, dict[str, float]]:
    """Render time of every page of the dashboard over ``lake`` (see :func:`render_times`), by page."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing (apt-get install chromium)")
    timings = {}
    with serve(lake) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            for path, (_, text) in PAGES.items():
                timings[path or "overview"] = render_times(page, url, path, text)
        finally:
            browser.close()
    return timings
