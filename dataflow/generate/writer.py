"""Writing the hourly readings fast and byte-identically: one Parquet file per month (or one CSV).

Months are independent, so up to two worker processes (fork) write them side by side; a month's file
depends only on the seed, the book and the fixed writer settings below, never on scheduling.
Parquet: zstd, dictionary-encoded ids and readings, delta-encoded timestamps, one row group per block
(~2M rows) so DuckDB scans in parallel.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dataflow.generate import consumption as K
from dataflow.generate import loadshapes as L

PARQUET_OPTIONS = dict(
    compression="zstd",
    compression_level=1,
    use_dictionary=["customer_id", "consumption_elec_kwh", "consumption_gas_m3"],
    column_encoding={"timestamp": "DELTA_BINARY_PACKED"},
    dictionary_pagesize_limit=4 << 20,
    write_statistics=True,
    store_schema=False,
    version="2.6",
    data_page_version="1.0",
)
CSV_HEADER = ",".join(K.SCHEMA.names) + "\n"
_METERS: K.Meters | None = None  # set in the parent before forking the workers


def month_name(month: int, fmt: str) -> str:
    return f"consumption_hourly_2024-{month + 1:02d}.parquet" if fmt == "parquet" else f"part-{month:02d}.csv"


def _csv_table(t: pa.Table, month: int) -> pa.Table:
    """The CSV form: timestamps as 'YYYY-MM-DD HH:MM:SS' text."""
    h0, h1 = int(L.MONTH_START_DAY[month] * 24), int(L.MONTH_START_DAY[month + 1] * 24)
    stamps = np.datetime64("2024-01-01T00", "h") + np.arange(h0, h1)
    text = pa.array([str(s).replace("T", " ") + ":00:00" for s in stamps])
    us = t.column("timestamp").combine_chunks().cast(pa.int64()).to_numpy()
    hour = ((us - K.T0_US) // K.HOUR_US - h0).astype(np.int32)
    return t.set_column(1, "timestamp", pa.DictionaryArray.from_arrays(pa.array(hour), text))


def write_month(month: int, fmt: str, out_dir: str) -> tuple[int, int, str]:
    """Write one month's readings; returns (month, rows, path)."""
    m = _METERS
    assert m is not None
    path = Path(out_dir) / month_name(month, fmt)
    buf, rows, writer = K.Buffers(), 0, None
    with open(path, "wb") as sink:
        for b, cust in K.blocks(m, month):
            t = K.block_table(m, month, b, cust, buf)
            rows += t.num_rows
            if fmt == "parquet":
                writer = writer or pq.ParquetWriter(sink, t.schema, **PARQUET_OPTIONS)
                writer.write_table(t, row_group_size=t.num_rows)
            else:
                pacsv.write_csv(
                    _csv_table(t, month), sink, pacsv.WriteOptions(include_header=False, quoting_style="none")
                )
        if writer is not None:
            writer.close()
    return month, rows, str(path)


def write_consumption(
    m: K.Meters, out_dir: Path, fmt: str, progress: Callable[[str], None], workers: int | None = None
) -> list[tuple[str, int]]:
    """Write all months into ``out_dir``; returns [(file name, rows)] in file order."""
    global _METERS
    _METERS = m
    L.shapes()  # computed once, inherited by the workers
    if workers is None:
        workers = 1 if K.active_hours(m) < 20_000_000 else min(2, os.cpu_count() or 1)
    done: dict[int, tuple[int, str]] = {}
    try:
        if workers > 1:
            with mp.get_context("fork").Pool(workers) as pool:
                jobs = [pool.apply_async(write_month, (mo, fmt, str(out_dir))) for mo in range(12)]
                for j in jobs:
                    mo, rows, path = j.get()
                    done[mo] = (rows, path)
                    progress(f"  readings {mo + 1:2d}/12 written ({rows:,} rows)")
        else:
            for mo in range(12):
                _, rows, path = write_month(mo, fmt, str(out_dir))
                done[mo] = (rows, path)
                progress(f"  readings {mo + 1:2d}/12 written ({rows:,} rows)")
    finally:
        _METERS = None
    if fmt == "parquet":
        return [(Path(done[mo][1]).name, done[mo][0]) for mo in range(12)]
    target = Path(out_dir) / "consumption_hourly_2024.csv"
    with open(target, "wb") as out:
        out.write(CSV_HEADER.encode())
        for mo in range(12):
            part = Path(done[mo][1])
            with open(part, "rb") as fh:
                while block := fh.read(1 << 24):
                    out.write(block)
            part.unlink()
    return [(target.name, sum(r for r, _ in done.values()))]
