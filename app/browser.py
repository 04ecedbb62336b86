"""The dashboard in a real browser: serve it on a free local port and load each page until it has rendered.

Used by the browser tests (every page renders, no error element; the layout test: no "None", nothing wider than
the window, no truncated KPI card) and by ``just bench`` (warm render time per page, :func:`page_timings`). Needs
Playwright and Debian's chromium (``apt-get install chromium``; never ``playwright install``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Debian's chromium; $SPANISHGAS_CHROMIUM names another Chromium-based browser (CI on Ubuntu: Google Chrome)
CHROMIUM = os.environ.get("SPANISHGAS_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = (1280, 1440)
PAGES = {  # url path → (sidebar title, text that proves the page rendered its content)
    "": ("Overview", "Customers scored"),
    "data_explorer": ("Data Explorer", "Browse tables"),
    "model_performance": ("Model Performance", "Targeting: whom to call"),
    "customer_risk": ("Customer Risk", "Customers at risk"),
    "customer_lookup": ("Customer Lookup", "What drives the score"),
    "recommendations": ("Recommendations", "Campaign design"),
    "drift_monitor": ("Drift Monitor", "PSI per feature"),
    "pipeline_status": ("Pipeline Status", "Run history"),
}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'

# elements of the main area wider than the window and not clipped by a scrolling box inside it, and KPI values cut
# with an ellipsis
LAYOUT_JS = """
() => {
  const W = window.innerWidth;
  const main = document.querySelector('[data-testid="stMain"]');
  const wide = [];
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= W + 1) continue;
    let p = el.parentElement, clipped = false;
    while (p && p !== main) {
      const cs = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(cs.overflowX) && p.getBoundingClientRect().right <= W + 1) {
        clipped = true; break;
      }
      p = p.parentElement;
    }
    if (!clipped) wide.push(`${el.tagName}[${el.getAttribute('data-testid') || ''}] right=${Math.round(r.right)}`);
  }
  // a box that scrolls sideways (a table wider than its column): nothing should need a sideways scroll
  const scrolls = [];
  for (const el of main.querySelectorAll('*')) {
    if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 1) continue;
    const ox = getComputedStyle(el).overflowX;
    if (!['auto', 'scroll'].includes(ox)) continue;
    const host = el.closest('[data-testid]');
    scrolls.push(`${host ? host.getAttribute('data-testid') : el.tagName} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth} px`);
  }
  const cut = [];
  for (const el of main.querySelectorAll('[data-testid="stMetricValue"], [data-testid="stMetricValue"] *, [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *')) {
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) cut.push(el.innerText);
  }
  return {wide: wide.slice(0, 10), scrolls: scrolls.slice(0, 10), truncated: cut.slice(0, 10),
          pageWidth: document.documentElement.scrollWidth};
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(lake: str | Path, env: dict | None = None) -> Iterator[str]:
    """`spanishgas dashboard` on a free local port for ``lake``; yields its URL and stops it afterwards."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dataflow.cli", "dashboard", "--lake", str(lake), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env or {**os.environ},
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
                out = proc.stdout.read() if proc.poll() is not None and proc.stdout else ""
                raise RuntimeError(f"dashboard did not start:\n{out}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def render(page, url: str, text: str) -> float:
    """Load ``url``, wait until the script finished and ``text`` is visible; seconds taken."""
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=120_000)
    page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=60_000)
    return time.perf_counter() - t0


# true once the script is idle, no element is stale and the main area has not changed for QUIET_MS: a rerun
# triggered by a widget sets the script state at once (rerun requested → running), so a wait begun right after
# the action cannot see the page before it
QUIET_MS = 600
QUIET_JS = """
(quiet) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const now = performance.now();
  if (!app || !main || app.getAttribute('data-test-script-state') !== 'notRunning'
      || document.querySelector('[data-stale="true"], [data-testid="stSkeleton"], [data-testid="stSpinner"]')) {
    window.__sgQuiet = null;
    return false;
  }
  const sig = main.querySelectorAll('*').length + ':' + main.innerText.length + ':'
    + main.querySelectorAll('canvas, svg').length;
  if (!window.__sgQuiet || window.__sgQuiet.sig !== sig) { window.__sgQuiet = {sig, t: now}; return false; }
  return now - window.__sgQuiet.t >= quiet;
}
"""


def settle(page, text: str | None = None) -> None:
    """Wait until the page is quiet after a load or a widget's rerun (see QUIET_JS), and ``text``, when given, is
    visible: conditions only, no fixed sleep."""
    page.evaluate("() => { window.__sgQuiet = null; }")
    page.wait_for_function(QUIET_JS, arg=QUIET_MS, timeout=120_000, polling=100)
    if text:
        page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=60_000)
        page.wait_for_function(QUIET_JS, arg=QUIET_MS, timeout=120_000, polling=100)


def problems(page) -> list[str]:
    """Error elements, "None" shown as text, elements wider than the window and truncated KPI cards."""
    import re

    found = [f"error: {t}" for t in page.locator(ERRORS).all_inner_texts()]
    body = page.locator('[data-testid="stMain"]').inner_text()
    found += [
        f"'None' in: …{body[max(0, m.start() - 40) : m.end() + 40]}…" for m in re.finditer(r"\bNone\b", body)
    ]
    layout = page.evaluate(LAYOUT_JS)
    found += [f"wider than the window: {w}" for w in layout["wide"]]
    found += [f"wider than its column: {w}" for w in layout["scrolls"]]
    found += [f"truncated card: {t}" for t in layout["truncated"]]
    return found


def screenshot(page, path: Path, width: int) -> None:
    """The whole page at ``width``: Streamlit scrolls inside its main block, so grow the viewport to its height."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 1000")
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 8000)})
    settle(page)  # charts redraw at the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": 1000})


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


def page_timings(lake: str | Path, width: int = 1440) -> dict[str, dict[str, float]]:
    """Render time of every page of the dashboard over ``lake`` (see :func:`render_times`), by page."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing (apt-get install chromium)")
    timings = {}
    with serve(lake) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000})
            for path, (_, text) in PAGES.items():
                timings[path or "overview"] = render_times(page, url, path, text)
        finally:
            browser.close()
    return timings


README_WIDTH = 1280
README_MAX_HEIGHT = 2200  # px: the top of a long page; the README shows one picture per page
README_MAX_BYTES = 150_000


def readme_screenshots(lake: str | Path, out: str | Path, width: int = README_WIDTH) -> dict[str, int]:
    """The README's screenshots, one per page: each page warmed, then drawn at ``width`` px, cut to at most
    README_MAX_HEIGHT px and stored as a 256-colour PNG (small enough for the repository); returns bytes by file."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    with serve(lake) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000})
            for path, (_, text) in PAGES.items():
                render(page, f"{url}/{path}", text)  # the first hit may be a skeleton
                render(page, f"{url}/{path}", text)
                settle(page, text)
                target = out / f"{path or 'overview'}.png"
                screenshot(page, target, width)
                image = Image.open(target).convert("RGB")
                image = image.crop((0, 0, image.width, min(image.height, README_MAX_HEIGHT)))
                height = image.height
                while True:
                    small = image.crop((0, 0, image.width, height)).quantize(
                        colors=256, method=Image.Quantize.MEDIANCUT
                    )
                    small.save(target, optimize=True)
                    if target.stat().st_size <= README_MAX_BYTES or height <= 900:
                        break
                    height -= 200
                sizes[target.name] = target.stat().st_size
        finally:
            browser.close()
    return sizes


if __name__ == "__main__":  # python -m app.browser LAKE OUT: the README's screenshots
    print(readme_screenshots(sys.argv[1], sys.argv[2]))
