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
from hamilton.caching.adapter import CachingEventType, HamiltonCacheAdapter
from hamilton.lifecycle import api as lifecycle

from dataflow import bronze, codebase, gold, model, monitor, raw, score, silver
from dataflow.config import PipelineConfig
from dataflow.runtime import cache_root

# the tags every node carries (``@tag(layer=…)``) and published nodes add (``@tag(publish=…)``)
LAYER, PUBLISH, DATASET = "layer", "publish", "dataset"
QUARANTINE = "quarantine"  # publish tag of rows set aside; the node's ``dataset`` tag names the raw file
LAYERS = ("raw", "bronze", "silver", "gold", "model", "score", "monitor")  # values of the layer tag, in order

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
    return [*raw.MODULES, *bronze.MODULES, *silver.MODULES, *gold.MODULES]


def model_modules() -> list[ModuleType]:
    """Modeling, scoring and monitoring: the modules after gold, in layer order."""
    return [*model.MODULES, *score.MODULES, *monitor.MODULES]


def all_modules() -> list[ModuleType]:
    """The whole DAG."""
    return etl_modules() + model_modules()


def layers(dr: driver.Driver) -> dict[str, str]:
    """Every node's layer (its ``layer`` tag, one of :data:`LAYERS`)."""
    return {v.name: v.tags.get(LAYER, "") for v in dr.list_available_variables() if not v.is_external_input}


def run_outputs(dr: driver.Driver) -> dict[str, str]:
    """What a run writes into its own folder: node → folder of ``runs/<run_id>/`` (its ``publish`` tag)."""
    published = dr.list_available_variables(tag_filter={PUBLISH: None})
    return {v.name: v.tags[PUBLISH] for v in published if v.tags[PUBLISH] != QUARANTINE}


def quarantine_outputs(dr: driver.Driver) -> dict[str, str]:
    """The rows a run sets aside: node → raw dataset (written to ``quarantine/<run_id>/<dataset>.parquet``)."""
    published = dr.list_available_variables(tag_filter={PUBLISH: QUARANTINE})
    return {v.name: v.tags[DATASET] for v in published}


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
    """Where Hamilton keeps cached node results: ``<cache root>/hamilton`` under the scratch root
    (``$SPANISHGAS_SCRATCH``, default the system temp dir; ``$SPANISHGAS_CACHE`` overrides the cache root)."""
    return cache_root() / "hamilton"


class CodeAwareCache(HamiltonCacheAdapter):
    """Hamilton's cache, keyed on all the code a node runs.

    Hamilton versions a node by its own function's source only, so a changed helper or constant the function
    uses would be served from the cache. Here a node's code version also covers its module and every project
    module that module imports (:func:`dataflow.codebase.fingerprint`).
    """

    def version_code(self, node_name: str, run_id: str | None = None) -> str:
        own = super().version_code(node_name, run_id=run_id)
        node = self._fn_graphs[self.last_run_id if run_id is None else run_id].nodes[node_name]
        functions = node.originating_functions or ()
        modules = [f.__module__ for f in functions if f.__module__ in codebase.module_files()]
        if own is None or not modules:
            return own
        return hashlib.sha256(f"{own}:{codebase.fingerprint(modules[0])}".encode()).hexdigest()


class Progress(lifecycle.NodeExecutionHook):
    """Prints one line per finished node with its layer tag and keeps per-node wall times (seconds)."""

    def __init__(self, emit: Callable[[str], None] | None = print):
        self.emit = emit
        self.started: dict[str, float] = {}
        self.timings: dict[str, float] = {}
        self.layers: dict[str, str] = {}

    def run_before_node_execution(self, *, node_name: str, **kwargs: Any) -> None:
        self.started[node_name] = time.perf_counter()

    def run_after_node_execution(
        self, *, node_name: str, node_tags: dict[str, Any], success: bool, **kwargs: Any
    ) -> None:
        elapsed = time.perf_counter() - self.started.pop(node_name, time.perf_counter())
        self.timings[node_name] = elapsed
        self.layers[node_name] = layer = str(node_tags.get(LAYER, ""))
        if self.emit and (elapsed >= 0.05 or not success):
            mark = "ok" if success else "FAILED"
            self.emit(f"  [{layer:7}] {node_name:<38} {elapsed:7.2f}s {mark}")

    def stage_timings(self) -> dict[str, float]:
        """Seconds per layer, in layer order (sum of node times; nodes run one at a time)."""
        out: dict[str, float] = {}
        for name, secs in self.timings.items():
            layer = self.layers[name]
            out[layer] = round(out.get(layer, 0.0) + secs, 3)
        return dict(
            sorted(out.items(), key=lambda kv: LAYERS.index(kv[0]) if kv[0] in LAYERS else len(LAYERS))
        )


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
        cache_adapter = CodeAwareCache(path=str(cache_dir()), recompute=["raw_inventory", *(recompute or [])])
        builder = builder.with_adapters(cache_adapter)
    return builder.build()


def executed_nodes(dr: driver.Driver) -> list[str]:
    """Nodes the last execution actually computed (the rest came from Hamilton's cache), sorted."""
    if dr.cache is None:
        return []

    logs = dr.cache.logs(run_id=dr.cache.last_run_id, level="info")
    return sorted(
        str(name)
        for name, events in logs.items()
        if any(e.event_type == CachingEventType.EXECUTE_NODE for e in events)
    )
