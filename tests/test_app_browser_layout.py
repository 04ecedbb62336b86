"""The dashboard's layout in a real browser at 1280 and 1440 px: every page and every control added for the retention
team (call share, capacity by calls or budget, offer policy, stable-feature verdicts, customer lookup, filters),
with no error, no "None" on screen, no element wider than the window and no truncated KPI card. Screenshots go to
screenshots/<page>-<width>.png. Render times are reported by `just bench` (app.browser.page_timings), not
asserted here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from conftest_app import ROOT, current_run, published_lake_dir

from app import browser as b

SHOTS = ROOT / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(b.CHROMIUM).exists(), reason=f"{b.CHROMIUM} is missing (apt-get install chromium)"
    ),
]


def _slider(page, label: str):
    return page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider").first


def _press(page, label: str, key: str, times: int) -> None:
    """Move a slider by keyboard, one step at a time, each step's rerun finished before the next."""
    thumb = _slider(page, label)
    for _ in range(times):
        thumb.focus()
        thumb.press(key)
        b.settle(page)


def _controls(page, lake: Path) -> dict:
    """Per page path, the controls added for the retention team: (name, action, text proving it took effect)."""
    scores = pl.read_parquet(
        lake / "runs" / current_run(lake) / "scored" / "scores.parquet", columns=["customer_id"]
    )
    other = scores.sort("customer_id")["customer_id"][scores.height // 2]

    def lookup():
        box = page.get_by_test_id("stTextInput").get_by_role("textbox").first
        box.fill(other)
        box.press("Enter")

    def click_text(text: str):
        return lambda: page.get_by_text(text, exact=False).first.click()

    def expander(pattern: str):
        return lambda: (
            page.get_by_test_id("stExpander").filter(has_text=re.compile(pattern)).locator("summary").click()
        )

    def tab(name: str):
        return lambda: page.get_by_role("tab", name=name).click()

    return {
        "data_explorer": [("churn drivers", tab("Churn drivers"), "Churn by months to renewal")],
        "model_performance": [
            ("call share", lambda: _press(page, "Share of customers called", "ArrowRight", 3), "Lift at 25%"),
            ("curves tab", tab("Curves and calibration"), "Calibration per risk tier"),
            ("experiments tab", tab("Experiments and promotion"), "Promotion decision"),
            ("trends tab", tab("Trends over the runs"), "per published run"),
        ],
        "customer_risk": [
            ("top N", lambda: _press(page, "Top N by margin at risk", "ArrowRight", 3), "Shown")
        ],
        "customer_lookup": [
            ("another customer", lookup, other),
            ("all features", expander("All features of the scoring snapshot"), None),
            ("monthly rows", expander("Monthly rows"), "every column of these rows"),
        ],
        "pipeline_status": [("all checks", expander(r"All \d+ checks"), None)]
        + (  # the DAG image needs Graphviz
            [("whole DAG", click_text("Show the whole pipeline DAG"), "download the full-size image")]
            if shutil.which("dot")
            else []
        ),
        "recommendations": [
            ("offer policy", click_text("Offer policy"), "never exceeds the margin it protects"),
            (
                "fewer calls",
                lambda: _press(page, "Calls the team can make", "ArrowLeft", 3),
                "Customers selected",
            ),
            ("budget mode", click_text("Budget (€)"), "Offer budget over 12 months"),
            (
                "smaller budget",
                lambda: _press(page, "Offer budget over 12 months", "ArrowLeft", 3),
                "Net value",
            ),
            (
                "call list size",
                lambda: _press(page, "Show the top N by expected net value", "ArrowRight", 2),
                "Download the call list",
            ),
        ],
        "drift_monitor": [("stable features", click_text("Features that did not drift"), "(PSI ")],
    }


@pytest.mark.parametrize("width", b.WIDTHS)
def test_every_page_and_control_fits_the_window(width):
    from playwright.sync_api import sync_playwright

    lake = published_lake_dir()
    SHOTS.mkdir(exist_ok=True)
    found: dict[str, list[str]] = {}
    with b.serve(lake) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=b.CHROMIUM, args=b.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 1000})
        try:
            for path, (_, text) in b.PAGES.items():
                name = path or "overview"
                b.render(page, f"{url}/{path}", text)  # first hit: Streamlit may draw a skeleton
                b.render(page, f"{url}/{path}", text)
                b.settle(page, text)
                found[name] = b.problems(page)
                b.screenshot(page, SHOTS / f"{name}-{width}.png", width)
                for control, act, proof in _controls(page, lake).get(path, []):
                    act()
                    b.settle(page, proof)
                    found[f"{name} after {control}"] = b.problems(page)
                    slug = control.replace(" ", "_")
                    b.screenshot(page, SHOTS / f"{name}-{width}-{slug}.png", width)
        finally:
            browser.close()
    visited = {k.split(" after ")[0] for k in found}
    assert visited == {p or "overview" for p in b.PAGES}, visited
    bad = {k: v for k, v in found.items() if v}
    assert not bad, bad
