"""`just bench`: time each stage at full scale and record peak memory, into a JSON file.

Each stage runs as its own ``spanishgas`` process; a sampler follows the whole process tree's RSS, so
worker processes count. Stage timings inside a run come from the run's manifest. Last, the dashboard is
served over the benchmark lake and every page's warm render time is measured in a real browser and
compared with the budget (reported, never a failure: timing depends on the machine's load).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from dataflow.bench_measure import (
    Stages,
    bench_env,
    cold_run_figures,
    machine,
    raw_sizes_mb,
    reset_lake,
)
from dataflow.lake import Lake

PAGE_BUDGET_S = 2.0  # warm render time a dashboard page should stay under


def _page_timings(lake: str) -> dict:
    """Warm render seconds per dashboard page (median of three loads after a first one), or why not measured."""
    from app.browser import page_timings

    print("bench: dashboard pages …", flush=True)
    try:
        timings = page_timings(lake)
    except Exception as exc:  # noqa: BLE001 - no browser here: report it, keep the other figures
        print(f"bench: dashboard pages not measured: {exc}", flush=True)
        return {"error": str(exc)}
    for name, t in timings.items():
        mark = "" if t["warm_s"] <= PAGE_BUDGET_S else f"  (over the {PAGE_BUDGET_S}s budget)"
        print(f"bench: page {name}: warm {t['warm_s']}s, first load {t['cold_s']}s{mark}", flush=True)
    return {
        "budget_s": PAGE_BUDGET_S,
        "pages": timings,
        "over_budget": sorted(n for n, t in timings.items() if t["warm_s"] > PAGE_BUDGET_S),
    }


def _book_sizes(text: str) -> list[int]:
    """``--curve 20000,60000``: positive customer counts, comma-separated (an argparse type: a bad list is a
    usage error naming the value, not a traceback)."""
    try:
        sizes = [int(n.replace("_", "")) for n in text.split(",") if n.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected customer counts like 20000,60000,200000, got {text!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", default="data/bench-lake")
    ap.add_argument("--customers", type=int, default=20_099)
    ap.add_argument("--out", default="bench/results.json")
    ap.add_argument(
        "--curve",
        type=_book_sizes,
        default=None,
        metavar="N1,N2,…",
        help="scale curve: for each book size generate a lake under the scratch root, run it cold, delete it; "
        "→ bench/scale_curve.json and bench/scale_curve.png",
    )
    ap.add_argument("--skip-generate", action="store_true", help="reuse the lake's raw/ if present")
    ap.add_argument("--skip-pages", action="store_true", help="do not time the dashboard pages")
    ap.add_argument("--skip-experiments", action="store_true", help="do not time the experiment ladder")
    ap.add_argument(
        "--pages-only",
        action="store_true",
        help="only time the dashboard pages over the lake's published run (bench/dashboard.json)",
    )
    a = ap.parse_args(argv)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    if a.pages_only:
        Path(a.out).with_name("dashboard.json").write_text(json.dumps(_page_timings(a.lake), indent=2))
        return 0
    if a.curve:
        from dataflow.bench_curve import scale_curve

        return scale_curve(a.curve, Path(a.out).parent)

    cache = Path(a.lake).with_name(Path(a.lake).name + "-cache")
    stage = Stages(bench_env(cache), Path(a.out))
    results: dict = {"machine": machine(), "customers": a.customers, "stages": stage.results}
    if not (a.skip_generate and Lake.open(a.lake).exists("raw/churn_label.csv")):
        shutil.rmtree(a.lake, ignore_errors=True)
        stage("generate", "generate", "--lake", a.lake, "--customers", str(a.customers))
        results["raw_sizes_mb"] = raw_sizes_mb(a.lake)
    reset_lake(a.lake, str(cache))
    first = stage("run_cold", "run", "--lake", a.lake)
    if first["exit_code"] == 0:
        results.update(cold_run_figures(a.lake))
        stage("run_unchanged_noop", "run", "--lake", a.lake)
        stage("run_unchanged_forced_cached", "run", "--lake", a.lake, "--force")
        if "experiments" in _subcommands() and not a.skip_experiments:
            stage("experiments", "experiments", "--lake", a.lake)
        if not a.skip_pages:
            results["dashboard_page_render"] = _page_timings(a.lake)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out = Path(a.out)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "stages"}, indent=2))
    print(f"bench: written {out}")
    return 0 if stage.ok else 1


def _subcommands() -> set[str]:
    from dataflow.cli import COMMANDS

    return set(COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
