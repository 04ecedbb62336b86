"""SpanishGas churn platform: the Hamilton dataflow (raw → bronze → silver → gold → models → offers)."""

import os

# XGBoost's OpenMP threads busy-wait by default, which slows fits 4–6× on a shared 2-core machine; set it
# before anything imports xgboost (Hamilton does so at import time).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Hamilton imports a plugin for every library it knows (pandas, polars, xgboost, dask, …) when its decorators are
# first imported. The nodes use none of them (no extract_columns, no cache formats), and Dask's plugin alone
# imports dask.dataframe (a second or more; Dask is installed for its executor, dataflow/driver.py), so none loads.
os.environ.setdefault("HAMILTON_AUTOLOAD_EXTENSIONS", "0")
# Polars allocates with jemalloc, which keeps freed pages for 10 s before giving them back: a run that frees
# gigabytes from one node to the next would still hold them (at 200,000 customers, most of its peak). Give them
# back after 1 s (measured: no slower). Read once, when Polars loads, so it is set before any import of it.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:1000,muzzy_decay_ms:0")
