"""The one place that wires Hamilton: which modules form the DAG, its inputs, caching, progress and where the
map tasks run (this process, or a Dask cluster).

Everything else (CLI, notebooks, dashboard lineage, tests) asks this module for a driver.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any

import polars as pl
from hamilton import driver
from hamilton.caching import fingerprinting
from hamilton.caching.adapter import CachingEventType, HamiltonCacheAdapter
from hamilton.execution.executors import SynchronousLocalTaskExecutor, TaskExecutor
from hamilton.execution.grouping import NodeGroupPurpose
from hamilton.lifecycle import api as lifecycle

from dataflow import bronze, codebase, gold, model, monitor, raw, score, silver
from dataflow.bronze.consumption import LOCAL_TASK_ROWS
from dataflow.config import ENV_DUCKDB_MEMORY, ENV_DUCKDB_THREADS, PipelineConfig, env
from dataflow.errors import UserError
from dataflow.execution import CacheMetadataStore, FrameResultStore, ReleasingGraphExecutor
from dataflow.runtime import DUCKDB_MEMORY_SHARE, cache_root, cpu_limit, memory_limit_bytes, scratch_dir

# the tags every node carries (``@tag(layer=…)``) and published nodes add (``@tag(publish=…)``)
LAYER, PUBLISH, DATASET = "layer", "publish", "dataset"
QUARANTINE = "quarantine"  # publish tag of rows set aside; the node's ``dataset`` tag names the raw file
LAYERS = ("raw", "bronze", "silver", "gold", "model", "score", "monitor")  # values of the layer tag, in order
_MAP_TASK = r"^expand-[^.]+\.(\d+)\.block-"  # the task id of item i of a map: expand-<node>.<i>.block-…

# Hamilton cannot fingerprint pathlib paths by default, which would make every node downstream of the raw
# inventory uncacheable; a path is identified by its text (the file content is covered by its sha256).
fingerprinting.hash_value.register(PurePath)(fingerprinting.hash_repr)


# fingerprints of the tables still alive, by identity: a table passed on unchanged (a checked table and its
# unchecked original, a node's input and the result it came from) is hashed once (0.6 s at 200,000 customers
# for the gold features)
_FINGERPRINTS: dict[int, tuple[weakref.ref, str]] = {}


@fingerprinting.hash_value.register(pl.DataFrame)
def _hash_polars_frame(obj: pl.DataFrame, *args, depth: int = 0, **kwargs) -> str:
    """A table's fingerprint: its schema and its row hashes. Hamilton's own covers only the rows, so two empty
    tables (e.g. an empty quarantine and an empty customer list) shared one fingerprint and the cache could hand
    back one for the other; it also hashes the row hashes one by one in Python (~1 s per 200k rows), where
    hashing their bytes takes milliseconds."""
    known = _FINGERPRINTS.get(id(obj))
    if known is not None and known[0]() is obj:
        return known[1]
    digest = hashlib.sha256(repr(obj.schema).encode())
    if obj.width:
        digest.update(obj.hash_rows().to_numpy().tobytes())
    key = id(obj)
    _FINGERPRINTS[key] = (weakref.ref(obj, lambda _: _FINGERPRINTS.pop(key, None)), digest.hexdigest())
    return _FINGERPRINTS[key][1]


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


def inputs_for(
    lake_uri: str, config: PipelineConfig | None = None, executor: TaskExecutor | None = None
) -> dict[str, Any]:
    """The DAG's external inputs for one run (``executor``: where the map tasks run, sizing them)."""
    config = config or PipelineConfig()
    local = executor is None or isinstance(executor, SynchronousLocalTaskExecutor)
    return {
        "lake_uri": lake_uri,
        "hourly_task_rows": LOCAL_TASK_ROWS if local else 1,
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


class Progress(lifecycle.NodeExecutionHook, lifecycle.TaskSubmissionHook, lifecycle.TaskReturnHook):
    """Prints one line per finished node, and per file of a map step, with its layer tag, and keeps per-node wall
    times (seconds). A map node's time runs from its first file's start to its last file's end; a file done on a
    Dask worker is reported by this process when its result comes back (timed from its submission)."""

    def __init__(self, emit: Callable[[str], None] | None = print):
        self.emit = emit
        self.started: dict[tuple[str, str | None], float] = {}
        self.timings: dict[str, float] = {}
        self.layers: dict[str, str] = {}
        self._spans: dict[str, tuple[float, float]] = {}  # map node → (first start, last end)
        self._submitted: dict[str, float] = {}  # map task → when it was handed to its executor
        self._ran_here: set[str] = set()  # tasks whose nodes ran in this process

    def __getstate__(self) -> dict:
        """The copy a Dask worker receives with a task stays silent: the coordinator reports the task."""
        return {**self.__dict__, "emit": None}

    def run_before_node_execution(self, *, node_name: str, task_id: str | None = None, **kwargs: Any) -> None:
        self.started[(node_name, task_id)] = time.perf_counter()
        if task_id:
            self._ran_here.add(task_id)

    def run_after_node_execution(
        self,
        *,
        node_name: str,
        node_tags: dict[str, Any],
        success: bool,
        task_id: str | None = None,
        **kwargs,
    ) -> None:
        end = time.perf_counter()
        self._record(node_name, node_tags, task_id, self.started.pop((node_name, task_id), end), end, success)

    def run_before_task_submission(self, *, task_id: str, purpose: NodeGroupPurpose, **kwargs: Any) -> None:
        if purpose == NodeGroupPurpose.EXECUTE_BLOCK:
            self._submitted[task_id] = time.perf_counter()

    def run_after_task_return(self, *, task_id: str, nodes: list, success: bool, **kwargs: Any) -> None:
        start = self._submitted.pop(task_id, None)
        if start is None or task_id in self._ran_here:
            return  # not a map task, or it ran here and its nodes reported themselves
        for node_ in nodes:
            self._record(
                node_.name, node_.tags, task_id, start, time.perf_counter(), success, " (Dask worker)"
            )

    def _record(
        self, name: str, tags: dict, task_id: str | None, start: float, end: float, ok: bool, where: str = ""
    ) -> None:
        self.layers[name] = layer = str(tags.get(LAYER, ""))
        part = partition_of(task_id)
        if part is None:
            self.timings[name] = end - start
        else:
            first, last = self._spans.get(name, (start, end))
            self._spans[name] = (min(first, start), max(last, end))
            self.timings[name] = self._spans[name][1] - self._spans[name][0]
        label = name if part is None else f"{name}[{part}]"
        if self.emit and (end - start >= 0.05 or not ok):
            self.emit(f"  [{layer:7}] {label:<38} {end - start:7.2f}s {'ok' if ok else 'FAILED'}{where}")

    def stage_timings(self) -> dict[str, float]:
        """Seconds per layer, in layer order (sum of node times; nodes run one at a time, a map's files may not)."""
        out: dict[str, float] = {}
        for name, secs in self.timings.items():
            layer = self.layers[name]
            out[layer] = round(out.get(layer, 0.0) + secs, 3)
        return dict(
            sorted(out.items(), key=lambda kv: LAYERS.index(kv[0]) if kv[0] in LAYERS else len(LAYERS))
        )


def partition_of(task_id: str | None) -> int | None:
    """Which item of a map a task works on (0, 1, …; Hamilton numbers them in its task ids), None outside maps."""
    match = re.search(_MAP_TASK, task_id or "")
    return int(match.group(1)) if match else None


def build(
    modules: list[ModuleType] | None = None,
    *,
    cache: bool = True,
    progress: Progress | None = None,
    recompute: list[str] | None = None,
    executor: TaskExecutor | None = None,
    publisher: lifecycle.NodeExecutionHook | None = None,
) -> driver.Driver:
    """A Hamilton driver over the given modules (default: the whole DAG) with caching and progress. The map
    steps' tasks (``Parallelizable``) run on ``executor`` (default: this process, one after the other; see
    :func:`task_executor`); every other node runs in this process. A result is held only until the last node
    that reads it has started (:class:`dataflow.execution.ReleasingGraphExecutor`); ``publisher`` (a
    :class:`dataflow.staging.Publisher`) sees every result as its node ends."""
    builder = (
        driver.Builder()
        .with_modules(*(modules or all_modules()))
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_local_executor(SynchronousLocalTaskExecutor())
        .with_remote_executor(executor or SynchronousLocalTaskExecutor())
    )
    for adapter in (progress, publisher):
        if adapter is not None:
            builder = builder.with_adapters(adapter)
    if cache:
        # The inventory hashes the raw files, so it must run every time; everything else is cached
        # by code version + upstream data version, so an unchanged re-run recomputes nothing.
        cache_adapter = CodeAwareCache(
            path=str(cache_dir()),
            metadata_store=CacheMetadataStore(path=str(cache_dir())),
            result_store=FrameResultStore(str(cache_dir() / "results")),
            recompute=["raw_inventory", *(recompute or [])],
        )
        builder = builder.with_adapters(cache_adapter)
    dr = builder.build()
    dr.graph_executor = ReleasingGraphExecutor(dr.graph_executor)
    return dr


def hand_off(dr: driver.Driver, names: set[str] | list[str]) -> None:
    """Asked-for nodes the caller takes care of as they are computed (its publisher writes them): they are
    released like intermediate results and left out of what ``dr.execute`` returns."""
    dr.graph_executor.handed_off = set(names)


# ---- where the map tasks run: this process, or a Dask cluster ------------------------------------------------
EXECUTORS = ("local", "dask")
ENV_EXECUTOR = "SPANISHGAS_EXECUTOR"  # local | dask (what --executor defaults to)
ENV_DASK_SCHEDULER = "SPANISHGAS_DASK_SCHEDULER"  # tcp://host:8786 (what --dask-scheduler defaults to)
ENV_DASK_WORKERS = "SPANISHGAS_DASK_WORKERS"  # workers of a local Dask cluster (what --workers defaults to)
DASK_CONNECT_TIMEOUT_S = 20


@contextlib.contextmanager
def task_executor(
    kind: str | None = None, scheduler: str | None = None, workers: int | None = None
) -> Iterator[TaskExecutor]:
    """Where the map tasks run, for as long as the block lasts: ``local`` (this process, one after the other) or
    ``dask`` (Hamilton's Dask executor on a ``distributed`` client: a scheduler at ``scheduler``, else a local
    cluster of ``workers`` single-threaded processes spilling under the scratch root). Unset arguments come from
    ``$SPANISHGAS_EXECUTOR``, ``$SPANISHGAS_DASK_SCHEDULER`` and ``$SPANISHGAS_DASK_WORKERS``."""
    kind = (kind or env(ENV_EXECUTOR) or ("dask" if scheduler else "local")).strip().lower()
    if kind not in EXECUTORS:
        raise UserError(
            f"--executor must be one of {', '.join(EXECUTORS)}, got {kind!r} (or ${ENV_EXECUTOR})"
        )
    if kind == "local" and scheduler:
        raise UserError(
            f"--dask-scheduler {scheduler} needs --executor dask (the local executor uses no scheduler)"
        )
    scheduler = scheduler or env(ENV_DASK_SCHEDULER)
    if kind == "local":
        yield SynchronousLocalTaskExecutor()
        return
    from hamilton.plugins.h_dask import DaskExecutor

    if workers is None and env(ENV_DASK_WORKERS):
        try:
            workers = int(env(ENV_DASK_WORKERS))
        except ValueError:
            raise UserError(
                f"${ENV_DASK_WORKERS} must be a whole number, got {env(ENV_DASK_WORKERS)!r}"
            ) from None
    with _dask_client(scheduler, cpu_limit() if workers is None else workers) as client:
        yield DaskExecutor(client=client)


@contextlib.contextmanager
def _dask_client(scheduler: str | None, workers: int):
    """A ``distributed`` client on the scheduler at ``scheduler``, or on a new local cluster (closed after)."""
    from distributed import Client, LocalCluster

    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("distributed").setLevel(logging.WARNING)  # keep worker restarts, drop the chatter
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{DASK_CONNECT_TIMEOUT_S}s")
        except Exception as exc:  # noqa: BLE001 - a bad address or a scheduler that is down: one clear line
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise UserError(
                f"--dask-scheduler {scheduler}: no Dask scheduler answered within {DASK_CONNECT_TIMEOUT_S}s "
                f"({reason}); expected the address of a running scheduler, like tcp://10.0.1.5:8786"
            ) from None
        with client:
            yield client
        return
    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        local_directory=str(scratch_dir() / "dask"),
        dashboard_address=None,
        env=_worker_env(workers),
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def _worker_env(workers: int) -> dict[str, str]:
    """DuckDB's threads and memory for each local worker: this machine's share divided among the workers
    (unless set explicitly), so the workers together use what one process would."""
    out = {}
    if not env(ENV_DUCKDB_THREADS):
        out[ENV_DUCKDB_THREADS] = str(max(1, cpu_limit() // workers))
    if not env(ENV_DUCKDB_MEMORY):
        out[ENV_DUCKDB_MEMORY] = (
            f"{max(256, int(memory_limit_bytes() * DUCKDB_MEMORY_SHARE / workers) >> 20)}MiB"
        )
    return out  # the rest of the environment ($SPANISHGAS_SCRATCH, AWS_*) the worker processes inherit


def executed_nodes(dr: driver.Driver) -> list[str]:
    """Nodes the last execution actually computed (the rest came from Hamilton's cache), sorted."""
    if dr.cache is None:
        return []

    logs = dr.cache.logs(run_id=dr.cache.last_run_id, level="info")  # keyed (node, task) in task-based runs
    return sorted(
        {
            str(key[0] if isinstance(key, tuple) else key)
            for key, events in logs.items()
            if any(e.event_type == CachingEventType.EXECUTE_NODE for e in events)
        }
    )
