"""The process's runtime footprint: one scratch root for every local write, resource limits, logging.

Everything the platform writes outside the lake goes under :func:`scratch_dir` (``$SPANISHGAS_SCRATCH``, default
the system temp dir): Hamilton's cache, the S3 download cache and DuckDB's spill files. So a container with a
read-only root filesystem needs exactly one writable path (Fargate: the task's ``/tmp`` volume; Compose: a tmpfs).
DuckDB's threads and memory follow the container's CPU and memory limits (cgroup v2 or v1, else the ECS task
metadata, else the machine), overridable with ``$SPANISHGAS_DUCKDB_THREADS`` / ``$SPANISHGAS_DUCKDB_MEMORY``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import signal
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from dataflow.config import (
    ENV_CACHE,
    ENV_DUCKDB_MEMORY,
    ENV_DUCKDB_THREADS,
    ENV_LOG_FORMAT,
    ENV_LOG_LEVEL,
    ENV_RUN_TIMEOUT,
    ENV_SCRATCH,
    env,
)

CGROUP = Path("/sys/fs/cgroup")
DUCKDB_MEMORY_SHARE = 0.4  # the rest of the task's memory is for Polars, the models and Python itself
DUCKDB_MIN_MEMORY_MB = 256
DEFAULT_RUN_TIMEOUT_MIN = 120
CLAIM_GRACE = timedelta(
    minutes=10
)  # a claim outlives its task's timeout by this much before it is reclaimable


# ---- the scratch root ----------------------------------------------------------------------------------------
def scratch_dir() -> Path:
    """``$SPANISHGAS_SCRATCH``, else ``<system temp dir>/spanishgas``: the only local folder the app writes."""
    explicit = env(ENV_SCRATCH)
    return Path(explicit) if explicit else Path(tempfile.gettempdir()) / "spanishgas"


def cache_root() -> Path:
    """Caches (Hamilton results, S3 downloads): ``$SPANISHGAS_CACHE`` if set (an override), else ``<scratch>/cache``."""
    explicit = env(ENV_CACHE)
    return Path(explicit) if explicit else scratch_dir() / "cache"


def duckdb_temp_dir() -> Path:
    """Where DuckDB spills (instead of ``.tmp`` under the working directory)."""
    return scratch_dir() / "duckdb"


# ---- resource limits -----------------------------------------------------------------------------------------
def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


@functools.lru_cache(maxsize=1)
def _ecs_task_limits() -> dict:
    """``Limits`` of the ECS task metadata (``{"CPU": vCPUs, "Memory": MiB}``), or {} outside ECS."""
    uri = os.environ.get("ECS_CONTAINER_METADATA_URI_V4")
    if not uri:
        return {}
    try:
        import urllib.request

        with urllib.request.urlopen(f"{uri}/task", timeout=1.0) as resp:  # noqa: S310 - the ECS agent's URI
            return json.load(resp).get("Limits") or {}
    except Exception:  # noqa: BLE001 - limits are a hint; fall back to cgroup and the machine
        return {}


def cpu_limit(root: Path = CGROUP) -> int:
    """CPUs this process may use: the cgroup quota (v2 ``cpu.max``, v1 ``cfs_quota_us``), the ECS task limit
    and the affinity mask, whichever is smallest (at least 1)."""
    candidates = [len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1]
    v2 = _read(root / "cpu.max")
    if v2:
        quota, _, period = v2.partition(" ")
        if quota != "max" and period:
            candidates.append(math.ceil(int(quota) / int(period)))
    else:
        quota, period = _read(root / "cpu" / "cpu.cfs_quota_us"), _read(root / "cpu" / "cpu.cfs_period_us")
        if quota and period and int(quota) > 0:
            candidates.append(math.ceil(int(quota) / int(period)))
    if root == CGROUP and _ecs_task_limits().get("CPU"):
        candidates.append(math.ceil(float(_ecs_task_limits()["CPU"])))
    return max(1, min(candidates))


def memory_limit_bytes(root: Path = CGROUP) -> int:
    """Memory this process may use: the cgroup limit (v2 ``memory.max``, v1 ``limit_in_bytes``), the ECS
    task limit and the machine's RAM, whichever is smallest."""
    candidates = []
    try:
        candidates.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        pass
    for text in (_read(root / "memory.max"), _read(root / "memory" / "memory.limit_in_bytes")):
        if text and text.isdigit() and int(text) < 1 << 60:  # v1 says "no limit" with a huge number
            candidates.append(int(text))
    if root == CGROUP and _ecs_task_limits().get("Memory"):
        candidates.append(int(float(_ecs_task_limits()["Memory"]) * 1024 * 1024))
    return min(candidates) if candidates else 4 << 30


def duckdb_settings() -> dict[str, str | int]:
    """``threads``, ``memory_limit`` and ``temp_directory`` for every DuckDB connection of the platform."""
    threads = env(ENV_DUCKDB_THREADS)
    memory = env(ENV_DUCKDB_MEMORY)
    if not memory:
        mb = max(DUCKDB_MIN_MEMORY_MB, int(memory_limit_bytes() * DUCKDB_MEMORY_SHARE) >> 20)
        memory = f"{mb}MiB"
    return {
        "threads": int(threads) if threads else cpu_limit(),
        "memory_limit": memory,
        "temp_directory": str(duckdb_temp_dir()),
    }


def configure_duckdb(con):
    """Apply :func:`duckdb_settings` to a connection (returns it)."""
    for name, value in duckdb_settings().items():
        literal = value if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
        con.sql(f"SET {name} = {literal}")
    return con


# ---- the run's time budget -----------------------------------------------------------------------------------
def run_timeout() -> timedelta:
    """``$SPANISHGAS_RUN_TIMEOUT_MINUTES`` (default 120): a run stops itself after this long (Fargate has no
    task timeout), and a "running" claim older than this plus :data:`CLAIM_GRACE` is reclaimable."""
    text = env(ENV_RUN_TIMEOUT)
    minutes = float(text) if text else DEFAULT_RUN_TIMEOUT_MIN
    if minutes <= 0:
        raise ValueError(f"{ENV_RUN_TIMEOUT} must be a positive number of minutes, got {text!r}")
    return timedelta(minutes=minutes)


def claim_expiry() -> timedelta:
    """How old a "running" claim must be before another worker may take it over."""
    return run_timeout() + CLAIM_GRACE


# ---- logging -------------------------------------------------------------------------------------------------
class JsonLines(logging.Formatter):
    """One JSON object per line (CloudWatch Logs Insights parses the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def on_ecs() -> bool:
    return bool(
        os.environ.get("ECS_CONTAINER_METADATA_URI_V4") or os.environ.get("ECS_CONTAINER_METADATA_URI")
    )


def configure_logging(stream=None) -> logging.Handler:
    """Root logging from ``$SPANISHGAS_LOG_LEVEL`` (default INFO); JSON lines when ``$SPANISHGAS_LOG_FORMAT``
    is ``json`` or, unset, when running on ECS/Fargate; plain text otherwise. Idempotent."""
    level_name = (env(ENV_LOG_LEVEL) or "INFO").upper()
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        raise ValueError(
            f"{ENV_LOG_LEVEL} must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level_name!r}"
        )
    fmt = (env(ENV_LOG_FORMAT) or ("json" if on_ecs() else "text")).lower()
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_spanishgas", False)]:
        root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._spanishgas = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonLines() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
    return handler


# ---- stopping: the time budget and ECS's SIGTERM ---------------------------------------------------------------
class RunStopped(RuntimeError):
    """The run was stopped from outside (time budget used up, or SIGTERM from ECS): recorded as failed."""


@contextlib.contextmanager
def time_budget(timeout: timedelta | None = None):
    """Raise :class:`RunStopped` in the main thread when ``timeout`` (default :func:`run_timeout`) runs out or
    SIGTERM arrives, so the run is recorded as failed and alerted instead of vanishing mid-write."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    timeout = timeout or run_timeout()

    def on_alarm(_signum, _frame):
        raise RunStopped(f"the run exceeded its time budget of {timeout} ({ENV_RUN_TIMEOUT})")

    def on_term(_signum, _frame):
        raise RunStopped("the run was stopped by SIGTERM (ECS StopTask, deployment or scale-in)")

    old_alarm, old_term = signal.signal(signal.SIGALRM, on_alarm), signal.signal(signal.SIGTERM, on_term)
    signal.setitimer(signal.ITIMER_REAL, timeout.total_seconds())
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_alarm)
        signal.signal(signal.SIGTERM, old_term)
