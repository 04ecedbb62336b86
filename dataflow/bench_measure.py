"""Measuring one stage of the benchmark: wall and CPU seconds, peak RSS of the process tree, and from a run's
progress lines the peak RSS of each DAG layer and the memory each node leaves behind (used by
``dataflow.bench`` and ``dataflow.bench_curve``).
"""

from __future__ import annotations

import os
import platform
import re
import resource
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


# a progress line of `spanishgas run` (dataflow/driver.py Progress): "  [layer  ] node_name   1.23s ok"
_NODE_LINE = re.compile(r"^\s*\[(\w+)\s*\]\s+(\S+)\s+([0-9.]+)s\s")


def measure(cmd: list[str], env: dict | None = None, log: Path | None = None) -> dict:
    """Run a command; return wall seconds, peak RSS of its process tree (MB), exit code and, for a
    ``spanishgas run``, the peak RSS while each layer's nodes ran (from the timestamps of its progress lines)."""
    t0, cpu0 = time.perf_counter(), _children_cpu()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ps = psutil.Process(proc.pid)
    samples: list[tuple[float, int]] = []  # (seconds since start, RSS of the tree)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                samples.append((time.perf_counter() - t0, _tree_rss(ps)))
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines: list[tuple[float, str]] = []
    for line in proc.stdout or ():
        lines.append((time.perf_counter() - t0, line.rstrip("\n")))
    code = proc.wait()
    stop.set()
    sampler.join()
    output = "\n".join(text for _, text in lines)
    if log is not None:
        log.write_text(output)
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        # CPU seconds (user + system) of the command and its children: less sensitive to other load than wall
        "cpu_seconds": round(_children_cpu() - cpu0, 2),
        "peak_rss_mb": round(max((r for _, r in samples), default=0) / 2**20, 1),
        "layer_peak_rss_mb": layer_peaks(lines, samples),
        "node_rss_growth_mb": node_growth(lines, samples),
        "node_peak_rss_mb": node_peaks(lines, samples),
        "exit_code": code,
        "tail": output.strip().splitlines()[-12:],
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def layer_peaks(lines: list[tuple[float, str]], samples: list[tuple[float, int]]) -> dict[str, float]:
    """Peak RSS (MB) per DAG layer: the largest sample taken while one of the layer's nodes ran. A node's
    progress line is printed when it ends, with its duration, so it ran from (line time − duration) on."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for at, text in lines:
        m = _NODE_LINE.match(text)
        if m:
            spans.setdefault(m[1], []).append((at - float(m[3]) - 0.05, at))
    return {
        layer: round(max((r for t, r in samples if any(a <= t <= b for a, b in ivs)), default=0) / 2**20, 1)
        for layer, ivs in spans.items()
    }


def node_peaks(
    lines: list[tuple[float, str]], samples: list[tuple[float, int]], top: int = 12
) -> dict[str, float]:
    """The nodes during which the process held the most memory (MB): the largest sample while each ran, largest
    first (which node sets a layer's peak)."""
    peaks = {}
    for at, text in lines:
        m = _NODE_LINE.match(text)
        if m:
            start = at - float(m[3]) - 0.05
            peak = max((r for t, r in samples if start <= t <= at), default=0)
            peaks[m[2]] = round(peak / 2**20, 1)
    return dict(sorted(peaks.items(), key=lambda kv: -kv[1])[:top])


def node_growth(
    lines: list[tuple[float, str]], samples: list[tuple[float, int]], top: int = 12
) -> dict[str, float]:
    """The nodes after which the process held the most extra memory (MB): RSS at the node's end minus RSS at its
    start, largest first. What a node leaves behind stays in the run until it ends (Hamilton keeps results)."""
    growth = {}
    for at, text in lines:
        m = _NODE_LINE.match(text)
        if m:
            before = [r for t, r in samples if t <= at - float(m[3])]
            after = [r for t, r in samples if t <= at]
            if before and after:
                growth[m[2]] = round((after[-1] - before[-1]) / 2**20, 1)
    return dict(sorted(growth.items(), key=lambda kv: -kv[1])[:top])


def bytecode_env(env: dict) -> dict:
    """The environment with Python's bytecode cached under the scratch root, as in the container image (which
    ships compiled bytecode): a timed run should not spend seconds compiling the libraries' sources."""
    from dataflow.runtime import scratch_dir

    out = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPYCACHEPREFIX"] = str(scratch_dir() / "pycache")
    return out


def compile_bytecode(env: dict) -> None:
    """Compile the project and its libraries once into the bytecode cache (no-op when up to date)."""
    import site
    import sysconfig

    roots = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    here = Path(__file__).resolve().parent
    print("bench: compiling bytecode (once) …", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            str(here),
            *sorted(r for r in roots if Path(r).is_dir()),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,  # a library file that does not compile is not our concern; it is compiled on import
    )


class Stages:
    """Runs ``spanishgas`` subcommands as timed stages, logging each to ``<out dir>/<name>.log``."""

    def __init__(self, env: dict, out: Path, prefix: str = ""):
        self.env, self.out, self.prefix, self.results = env, out, prefix, {}
        self.exe = [sys.executable, "-m", "dataflow.cli"]

    def __call__(self, name: str, *args: str) -> dict:
        print(f"bench: {name} …", flush=True)
        res = measure([*self.exe, *args], self.env, self.out.with_name(f"{self.prefix}{name}.log"))
        self.results[name] = res
        layers = ", ".join(f"{k} {v:.0f}" for k, v in res["layer_peak_rss_mb"].items())
        print(
            f"bench: {name}: {res['seconds']}s (CPU {res['cpu_seconds']}s), peak {res['peak_rss_mb']} MB"
            + (f" (per layer MB: {layers})" if layers else "")
            + f", exit {res['exit_code']}",
            flush=True,
        )
        if res["exit_code"] != 0:
            print("\n".join(res["tail"]), file=sys.stderr)
        return res

    @property
    def ok(self) -> bool:
        return all(s["exit_code"] == 0 for s in self.results.values())


def bench_env(cache: Path) -> dict:
    """The stages' environment: their own Hamilton cache, and bytecode compiled once (see ``bytecode_env``)."""
    env = bytecode_env({**os.environ, "SPANISHGAS_CACHE": str(cache)})
    compile_bytecode(env)
    return env


def reset_lake(lake: str, cache: str) -> None:
    """Make the next run cold: no Hamilton cache, no earlier run, champion or quarantine."""
    shutil.rmtree(cache, ignore_errors=True)
    for name in ("runs", "registry", "quarantine"):
        shutil.rmtree(Path(lake) / name, ignore_errors=True)
    (Path(lake) / "CURRENT").unlink(missing_ok=True)


def cold_run_figures(lake: str) -> dict:
    """From the published run's manifest: per-layer seconds, the hourly aggregation's seconds, readings."""
    lk = Lake.open(lake)
    manifest = read_manifest(lk, current_run_id(lk)) or {}
    timings = manifest.get("timings", {})
    node_t = manifest.get("node_timings", {})
    readings = sum(r["rows_in"] for r in manifest.get("reconciliation", []) if r["dataset"] == "consumption")
    return {
        "run_cold_stage_seconds": timings,
        # the aggregation: one consumption_batch_sums task per batch of files, merged in consumption_customer_month;
        # bronze_customer_month keeps the known customers
        "hourly_to_customer_month_seconds": round(
            sum(
                v
                for k, v in node_t.items()
                if k.startswith(("consumption_batch", "consumption_customer_month", "bronze_customer_month"))
            ),
            2,
        ),
        "raw_to_gold_seconds": round(
            sum(timings.get(k, 0.0) for k in ("raw", "bronze", "silver", "gold")), 2
        ),
        "readings": readings,
        "slowest_nodes_seconds": dict(sorted(node_t.items(), key=lambda kv: -kv[1])[:8]),
    }


def raw_sizes_mb(lake: str) -> dict[str, float]:
    raw = Path(lake) / "raw"
    return {p.name: round(p.stat().st_size / 2**20, 1) for p in sorted(raw.iterdir())}


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
