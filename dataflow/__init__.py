"""SpanishGas churn platform: the Hamilton dataflow (raw → bronze → silver → gold → models → offers)."""

import os

# XGBoost's OpenMP threads busy-wait by default, which slows fits 4–6× on a shared 2-core machine; set it
# before anything imports xgboost (Hamilton does so at import time).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Hamilton imports a plugin for every library it knows (pandas, polars, xgboost, dask, …) when its decorators are
# first imported. The nodes use none of them (no extract_columns, no cache formats), and Dask's plugin alone
# imports dask.dataframe (a second or more; Dask is installed for its executor, dataflow/driver.py), so none loads.
os.environ.setdefault("HAMILTON_AUTOLOAD_EXTENSIONS", "0")
# Memory a node frees should go back to the system before the next node allocates its own (docs/scaling.md:
# at 200,000 customers these settings took the peak of the raw, silver and model stages down by 0.3–0.6 GB,
# at no measurable CPU cost). Polars allocates with jemalloc, which keeps freed pages for 10 s; Arrow with its
# own pool; everything else (NumPy, XGBoost, DuckDB's results) with glibc, whose per-thread arenas keep freed
# blocks under a threshold that grows to 32 MB. Polars and Arrow read these when they load (after this line).
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def _glibc_gives_back() -> None:
    """glibc: at most 2 arenas, and blocks of 128 kB or more mapped on their own, so freeing them unmaps them
    (``MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072``, set from here since the process already started)."""
    import ctypes
    import sys

    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-8, 2)  # M_ARENA_MAX
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        pass


_glibc_gives_back()
