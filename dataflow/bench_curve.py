"""`just bench --curve 20000,60000,200000`: how time and memory grow with the book, on this machine.

For each book size: generate a lake under the scratch root, run it cold (no cache, no earlier run), record wall
time and peak RSS of each stage (and of each DAG layer while it ran) with the layer times of the run's manifest,
then delete the lake. Results go to ``bench/scale_curve.json`` (rewritten after every point) and a plot to
``bench/scale_curve.png``; the stages' logs to ``bench/curve-<customers>-<stage>.log`` (not committed).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dataflow.bench_measure import Stages, bench_env, cold_run_figures, machine, raw_sizes_mb, reset_lake
from dataflow.runtime import scratch_dir

LAYERS = ("raw", "bronze", "silver", "gold", "model", "score", "monitor", "write")


def scale_curve(sizes: list[int], out_dir: Path) -> int:
    """Measure every book size in ``sizes``; returns 0 when every stage exited cleanly."""
    out_dir.mkdir(parents=True, exist_ok=True)
    root = scratch_dir() / "bench-curve"
    doc: dict = {"machine": machine(), "points": []}
    ok = True
    for n in sizes:
        lake, cache = root / f"lake-{n}", root / f"cache-{n}"
        shutil.rmtree(lake, ignore_errors=True)
        stage = Stages(bench_env(cache), out_dir / "scale_curve.json", prefix=f"curve-{n}-")
        point: dict = {"customers": n, "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
        try:
            gen = stage("generate", "generate", "--lake", str(lake), "--customers", str(n))
            if gen["exit_code"] == 0:
                sizes_mb = raw_sizes_mb(str(lake))
                point["raw_mb"] = round(sum(sizes_mb.values()), 1)
                point["consumption_parquet_mb"] = round(
                    sum(v for k, v in sizes_mb.items() if k.startswith("consumption_")), 1
                )
                reset_lake(str(lake), str(cache))
                if stage("run_cold", "run", "--lake", str(lake))["exit_code"] == 0:
                    point.update(cold_run_figures(str(lake)))
        finally:
            shutil.rmtree(lake, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
        point["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        point["stages"] = {
            k: {
                f: v[f]
                for f in (
                    "seconds",
                    "cpu_seconds",
                    "peak_rss_mb",
                    "layer_peak_rss_mb",
                    "node_rss_growth_mb",
                    "node_peak_rss_mb",
                    "exit_code",
                )
            }
            for k, v in stage.results.items()
        }
        ok = ok and stage.ok
        doc["points"].append(point)
        (out_dir / "scale_curve.json").write_text(json.dumps(doc, indent=2))
        print(f"bench: curve point {n:,} customers written to {out_dir / 'scale_curve.json'}", flush=True)
    plot(doc, out_dir / "scale_curve.png")
    print(f"bench: plot written to {out_dir / 'scale_curve.png'}")
    return 0 if ok else 1


def plot(doc: dict, path: Path) -> None:
    """Two panels over the book size: seconds per layer of the cold run (stacked) and peak RSS per stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [p for p in doc["points"] if "run_cold_stage_seconds" in p]
    if not points:
        return
    x = [p["customers"] / 1000 for p in points]
    width = max(x) / (3 * len(x))
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    bottom = [0.0] * len(points)
    for layer in LAYERS:
        secs = [p["run_cold_stage_seconds"].get(layer, 0.0) for p in points]
        left.bar(x, secs, width=width, bottom=bottom, label=layer)
        bottom = [b + s for b, s in zip(bottom, secs, strict=True)]
    left.plot(x, [p["stages"]["run_cold"]["seconds"] for p in points], "k.-", label="wall (process)")
    left.set(xlabel="customers (thousands)", ylabel="seconds", title="cold `spanishgas run`")
    left.legend(fontsize=7)
    for name, style in (("run_cold", "o-"), ("generate", "s--")):
        right.plot(x, [p["stages"][name]["peak_rss_mb"] / 1024 for p in points], style, label=name)
    right.axhline(3.0, color="grey", linestyle=":", label="3 GB target")
    right.set(xlabel="customers (thousands)", ylabel="peak RSS (GB)", title="peak memory", ylim=(0, None))
    right.legend(fontsize=7)
    load = ", ".join(f"{p['load_average_at_start'][0]:.1f}" for p in points)
    fig.suptitle(
        f"{doc['machine']['cpus']} CPUs; 1-min load average at each point's start: {load}", fontsize=8
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
