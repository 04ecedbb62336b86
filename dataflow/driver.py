"""The one place that wires Hamilton: which modules form the DAG, its inputs, caching and progress.

Everything else (CLI, notebooks, dashboard lineage, tests) asks this module for a driver.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any

import polars as pl
from hamilton import driver
from hamilton.caching import fingerprinting
from hamilton.lifecycle import api as lifecycle

from dataflow.config import ENV_CACHE, PipelineConfig, env

# Hamilton cannot fingerprint pathlib paths by default, which would make every node downstream of the raw
# inventory uncacheable; a path is identified by its text (the file content is covered by its sha256).
fingerprinting.hash_value.register(PurePath)(fingerprinting.hash_repr)


@fingerprinting.hash_value.register(pl.DataFrame)
def _hash_polars_frame(obj: pl.DataFrame, *args, depth: int = 0, **kwargs) -> str:
    """A table's fingerprint: its schema and its row hashes. Hamilton's own covers only the rows, so two empty
    tables (e.g. an empty quarantine and an empty customer list) shared one fingerprint and the cache could hand
    back one for the other; it also hashes the row hashes one by one in Python (~1 s per 200k rows), where
    hashing their bytes takes milliseconds."""
    digest = hashlib.sha256(repr(obj.schema).encode())
    if obj.width:
        digest.update(obj.hash_rows().to_numpy().tobytes())
    return digest.hexdigest()


def etl_modules() -> list[ModuleType]:
    """Raw → bronze → silver → gold: the modules of the ETL part of the DAG, in layer order."""
    from dataflow import bronze, gold, raw, silver

    return [*raw.MODULES, *bronze.MODULES, *silver.MODULES, *gold.MODULES]


def all_modules() -> list[ModuleType]:
    """The whole DAG: ETL plus modeling, scoring and monitoring when those modules are installed."""
    return etl_modules() + model_modules()


def model_modules() -> list[ModuleType]:
    try:
        from dataflow.model import MODULES as MODEL_MODULES
    except ImportError:
        return []
    return list(MODEL_MODULES)


def layer_of(node_name: str) -> str:
    """The medallion layer a node belongs to, from its name (used for stage timings and progress)."""
    for suffix in ("_pandera_schema", "_raw"):
        node_name = node_name.removesuffix(suffix)
    if node_name.endswith("_screening") or node_name.startswith("audit_"):
        return "raw"
    for prefix, layer in (
        ("quarantine_", "raw"),
        ("contracted_customers", "raw"),
        ("quarantined_customers", "raw"),
        ("raw_", "raw"),
        ("consumption_", "bronze"),
        ("bronze_", "bronze"),
        ("latest_reading", "bronze"),
        ("silver_", "silver"),
        ("snapshots", "gold"),
        ("scoring_date", "gold"),
        ("gold_", "gold"),
    ):
        if node_name.startswith(prefix):
            return layer
    return "model"


def inputs_for(lake_uri: str, config: PipelineConfig | None = None) -> dict[str, Any]:
    """The DAG's external inputs for one run."""
    config = config or PipelineConfig()
    return {
        "lake_uri": lake_uri,
        "legacy_label_as_of": config.legacy_label_as_of,
        "legacy_label_horizon_days": int(config.legacy_label_horizon_days),
        "scoring_date_override": config.scoring_date.isoformat()
        if isinstance(config.scoring_date, date)
        else "",
        "sentiment_backend": config.sentiment_backend,
        "champion_experiment": config.champion_experiment,
        "champion_model": config.champion_model,
        "model_overrides": dict(config.model_overrides),
    }


def cache_dir() -> Path:
    """Where Hamilton keeps cached node results (``$SPANISHGAS_CACHE/hamilton``, default ``data/cache``)."""
    return Path(env(ENV_CACHE, "data/cache")) / "hamilton"


class Progress(lifecycle.NodeExecutionHook):
    """Prints one line per finished node and keeps per-node wall times (seconds)."""

    def __init__(self, emit: Callable[[str], None] | None = print):
        self.emit = emit
        self.started: dict[str, float] = {}
        self.timings: dict[str, float] = {}

    def run_before_node_execution(self, *, node_name: str, **kwargs: Any) -> None:
        self.started[node_name] = time.perf_counter()

    def run_after_node_execution(self, *, node_name: str, success: bool, **kwargs: Any) -> None:
        elapsed = time.perf_counter() - self.started.pop(node_name, time.perf_counter())
        self.timings[node_name] = elapsed
        if self.emit and (elapsed >= 0.05 or not success):
            mark = "ok" if success else "FAILED"
            self.emit(f"  [{layer_of(node_name):6}] {node_name:<38} {elapsed:7.2f}s {mark}")

    def stage_timings(self) -> dict[str, float]:
        """Seconds per layer (sum of node times; nodes run one at a time)."""
        out: dict[str, float] = {}
        for name, secs in self.timings.items():
            out[layer_of(name)] = round(out.get(layer_of(name), 0.0) + secs, 3)
        return out


def build(
    modules: list[ModuleType] | None = None,
    *,
    cache: bool = True,
    progress: Progress | None = None,
    recompute: list[str] | None = None,
) -> driver.Driver:
    """A Hamilton driver over the given modules (default: the whole DAG) with caching and progress."""
    builder = driver.Builder().with_modules(*(modules or all_modules()))
    if progress is not None:
        builder = builder.with_adapters(progress)
    if cache:
        # The inventory hashes the raw files, so it must run every time; everything else is cached
        # by code version + upstream data version, so an unchanged re-run recomputes nothing.
        builder = builder.with_cache(path=str(cache_dir()), recompute=["raw_inventory", *(recompute or [])])
    return builder.build()


def executed_nodes(dr: driver.Driver) -> list[str]:
    """Nodes the last execution actually computed (the rest came from Hamilton's cache), sorted."""
    if dr.cache is None:
        return []
    from hamilton.caching.adapter import CachingEventType

    logs = dr.cache.logs(run_id=dr.cache.last_run_id, level="info")
    return sorted(
        str(name)
        for name, events in logs.items()
        if any(e.event_type == CachingEventType.EXECUTE_NODE for e in events)
    )
