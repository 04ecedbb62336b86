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
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from dataflow.lake import Lake
from dataflow.runs import current_run_id, read_manifest


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def measure(cmd: list[str], env: dict | None = None, log: Path | None = None) -> dict:
    """Run a command; return wall seconds, peak RSS of its process tree (MB) and exit code."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            try:
                peak = max(peak, _tree_rss(ps))
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.stdout.read() if proc.stdout else ""
    code = proc.wait()
    stop.set()
    sampler.join()
    if log is not None:
        log.write_text(output)
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "peak_rss_mb": round(peak / 2**20, 1),
        "exit_code": code,
        "tail": output.strip().splitlines()[-12:],
    }


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", default="data/bench-lake")
    ap.add_argument("--customers", type=int, default=20_099)
    ap.add_argument("--out", default="bench/results.json")
    ap.add_argument("--skip-generate", action="store_true", help="reuse the lake's raw/ if present")
    ap.add_argument("--skip-pages", action="store_true", help="do not time the dashboard pages")
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

    exe = [sys.executable, "-m", "dataflow.cli"]
    env = {**os.environ, "SPANISHGAS_CACHE": str(Path(a.lake).with_name(Path(a.lake).name + "-cache"))}
    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "customers": a.customers,
        "stages": {},
    }
    stages = results["stages"]

    def stage(name: str, cmd: list[str]) -> dict:
        print(f"bench: {name} …", flush=True)
        res = measure(cmd, env, Path(a.out).with_name(f"{name}.log"))
        stages[name] = res
        print(
            f"bench: {name}: {res['seconds']}s, peak {res['peak_rss_mb']} MB, exit {res['exit_code']}",
            flush=True,
        )
        if res["exit_code"] != 0:
            print("\n".join(res["tail"]), file=sys.stderr)
        return res

    if not (a.skip_generate and Lake.open(a.lake).exists("raw/churn_label.csv")):
        shutil.rmtree(a.lake, ignore_errors=True)
        stage("generate", [*exe, "generate", "--lake", a.lake, "--customers", str(a.customers)])
        raw = Path(a.lake) / "raw"
        results["raw_sizes_mb"] = {p.name: round(p.stat().st_size / 2**20, 1) for p in sorted(raw.iterdir())}
    shutil.rmtree(env["SPANISHGAS_CACHE"], ignore_errors=True)
    for name in ("runs", "registry", "quarantine"):  # a cold run: no earlier run, champion or quarantine
        shutil.rmtree(Path(a.lake) / name, ignore_errors=True)
    (Path(a.lake) / "CURRENT").unlink(missing_ok=True)
    first = stage("run_cold", [*exe, "run", "--lake", a.lake])
    if first["exit_code"] == 0:
        lake = Lake.open(a.lake)
        manifest = read_manifest(lake, current_run_id(lake)) or {}
        results["run_cold_stage_seconds"] = manifest.get("timings", {})
        node_t = manifest.get("node_timings", {})
        # the aggregation runs in consumption_customer_month; bronze_customer_month keeps the known customers
        results["hourly_to_customer_month_seconds"] = round(
            sum(
                v
                for k, v in node_t.items()
                if k.startswith(("consumption_customer_month", "bronze_customer_month"))
            ),
            2,
        )
        results["raw_to_gold_seconds"] = round(
            sum(manifest.get("timings", {}).get(k, 0.0) for k in ("raw", "bronze", "silver", "gold")), 2
        )
        stage("run_unchanged_noop", [*exe, "run", "--lake", a.lake])
        stage("run_unchanged_forced_cached", [*exe, "run", "--lake", a.lake, "--force"])
        if "experiments" in _subcommands():
            stage("experiments", [*exe, "experiments", "--lake", a.lake])
        if not a.skip_pages:
            results["dashboard_page_render"] = _page_timings(a.lake)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "stages"}, indent=2))
    print(f"bench: written {out}")
    return 0 if all(s["exit_code"] == 0 for s in stages.values()) else 1


def _subcommands() -> set[str]:
    from dataflow.cli import COMMANDS

    return set(COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
