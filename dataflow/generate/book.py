"""Generate a whole synthetic book: the seven raw files, truth/ and the _READY marker, byte-identical per seed.

``generate(lake_uri, customers, seed, consumption_format, progress, world=...)`` writes byte-identical files for
the same arguments (the package's other modules each build one part of the book).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from dataflow.config import RAW_FILES, RAW_PREFIX, READY_KEY, TRUTH_PREFIX
from dataflow.generate import calibration as C
from dataflow.generate import (
    ceiling,
    consumption,
    interactions,
    labels,
    population,
    prices,
    rng,
    tables,
    worlds,
    writer,
)
from dataflow.lake import Lake, LocalLake

DEFAULT_CUSTOMERS = 20_099
TRUTH_FILES = ("scoring_snapshot.csv", "label_probabilities.csv", "customers.parquet", "generator.json")


@dataclass
class GenerateSummary:
    """What a generate run wrote: per file rows and bytes, the book's size, and how long it took."""

    lake: str
    customers: int
    drawn: int
    seed: int
    files: list[tuple[str, int, int]] = field(default_factory=list)  # (key, rows, bytes)
    seconds: float = 0.0

    def describe(self) -> str:
        lines = [
            f"generated {self.lake}: {self.customers:,} customers active on 2025-01-01 "
            f"({self.drawn:,} incl. 2024 leavers), seed {self.seed}, {self.seconds:.1f} s"
        ]
        for key, rows, size in self.files:
            lines.append(f"  {key:48s} {rows:>13,} rows {size / 1e6:>9.1f} MB")
        return "\n".join(lines)


def _csv(df: pl.DataFrame, path: Path) -> None:
    df.write_csv(path, date_format="%Y-%m-%d", null_value="")


def generate(
    lake_uri: str,
    customers: int | None = None,
    seed: int = 42,
    consumption_format: str = "parquet",
    progress: Callable[[str], None] = lambda _m: None,
    *,
    as_of_dates: tuple[date, ...] = labels.AS_OF_DEFAULT,
    horizon_days: int = labels.HORIZON_DEFAULT,
    workers: int | None = None,
    world: str = worlds.DEFAULT_WORLD,
) -> GenerateSummary:
    """Write ``<lake>/raw/`` (the seven contract files) and ``<lake>/truth/`` for a synthetic book of the named
    world (``customers`` defaults to the world's size: 20,099 for the default world)."""
    if consumption_format not in ("parquet", "csv"):
        raise ValueError("consumption_format must be 'parquet' or 'csv'")
    w = worlds.get_world(world)
    customers = w.customers if customers is None else customers
    with worlds.applied(w):
        return _generate(
            lake_uri, customers, seed, consumption_format, progress, as_of_dates, horizon_days, workers, w
        )


def _generate(
    lake_uri: str,
    customers: int,
    seed: int,
    consumption_format: str,
    progress: Callable[[str], None],
    as_of_dates: tuple[date, ...],
    horizon_days: int,
    workers: int | None,
    w: worlds.World,
) -> GenerateSummary:
    t0 = time.perf_counter()
    lake = Lake.open(lake_uri)
    progress(f"drawing {customers:,} customers of world {w.name!r} (seed {seed}) …")
    book = population.draw_book(customers, seed)
    sched = interactions.schedule(rng.stream(seed, rng.INTERACTIONS), book)
    summary = GenerateSummary(lake.uri, customers, len(book["segment"]), seed)
    local = isinstance(lake, LocalLake)
    if local:
        lake.root.mkdir(parents=True, exist_ok=True)
    if not local:
        from dataflow.runtime import scratch_dir

        scratch_dir().mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".generate-", dir=lake.root if local else scratch_dir()))
    try:
        (stage / "raw").mkdir()
        (stage / "truth").mkdir()
        raw, truth = stage / "raw", stage / "truth"
        rows: dict[str, int] = {}
        progress("writing customers, contracts, interactions, prices, costs, labels …")
        for name, df in (
            ("customer_attributes", tables.attributes(book, seed)),
            ("customer_contracts", tables.contracts(book, seed)),
        ):
            _csv(df, raw / RAW_FILES[name])
            rows[RAW_FILES[name]] = len(df)
        records = tables.interaction_records(book, sched, seed)
        (raw / RAW_FILES["customer_interactions"]).write_bytes(tables.interactions_json(records))
        rows[RAW_FILES["customer_interactions"]] = len(records)
        c = prices.costs(seed)
        for name, df in (
            ("price_history", prices.price_frame(book, c, seed)),
            ("costs_by_province_month", prices.costs_frame(c)),
        ):
            _csv(df, raw / RAW_FILES[name])
            rows[RAW_FILES[name]] = len(df)
        lab, probs, snap = labels.label_frames(book, as_of_dates, horizon_days)
        progress("computing the achievable ceiling (posterior of the latent causes) …")
        ceiling_p, ceiling_check = ceiling.ceiling_proba(
            book, sched, labels.active_on(book, C.SCORING_DAY), C.SCORING_DAY, horizon_days, seed
        )
        snap = snap.insert_column(
            snap.columns.index("true_proba") + 1, pl.Series("ceiling_proba", np.round(ceiling_p, 6))
        )
        _csv(lab, raw / RAW_FILES["churn_label"])
        rows[RAW_FILES["churn_label"]] = len(lab)
        _csv(snap, truth / "scoring_snapshot.csv")
        _csv(probs, truth / "label_probabilities.csv")
        tables.truth_customers(book, sched).write_parquet(
            truth / "customers.parquet", compression="zstd", statistics=False
        )
        rows.update(
            {
                "scoring_snapshot.csv": len(snap),
                "label_probabilities.csv": len(probs),
                "customers.parquet": len(book["segment"]),
                "generator.json": 1,
            }
        )
        _write_generator_json(
            truth / "generator.json",
            customers,
            seed,
            consumption_format,
            as_of_dates,
            horizon_days,
            w.name,
            ceiling_check,
        )
        progress("writing hourly readings …")
        m = consumption.meters(book, seed)
        for name, n in writer.write_consumption(m, raw, consumption_format, progress, workers):
            rows[name] = n
        progress("publishing into the lake …")
        _clear_previous(lake)
        for sub in ("raw", "truth"):
            for path in sorted((stage / sub).iterdir()):
                key = f"{sub}/{path.name}"
                if local:
                    dest = lake.root / key
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(path, dest)
                else:
                    lake.write_file(key, path)
                summary.files.append((key, rows[path.name], lake.size(key)))
        write_ready_marker(
            lake, {k[len(RAW_PREFIX) :]: size for k, _, size in summary.files if k.startswith(RAW_PREFIX)}
        )
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    summary.seconds = time.perf_counter() - t0
    return summary


def write_ready_marker(lake: Lake, files: dict[str, int]) -> None:
    """Write ``raw/_READY`` LAST: the upload is complete (in AWS its arrival is what starts the one run).

    Its content (file names and sizes) is informative only and byte-identical for the same arguments."""
    import json

    lake.write_text(READY_KEY, json.dumps({"files": dict(sorted(files.items()))}, indent=2) + "\n")


def _clear_previous(lake: Lake) -> None:
    """Remove an earlier run's raw/ consumption files and truth/ so no stale file is picked up."""
    lake.delete(READY_KEY)  # first: while files are replaced, raw/ is not a complete upload
    for key in lake.list(RAW_PREFIX):
        if Path(key).name.startswith("consumption_hourly_") or Path(key).name in RAW_FILES.values():
            lake.delete(key)
    for key in lake.list(TRUTH_PREFIX):
        lake.delete(key)


def _write_generator_json(
    path: Path,
    customers: int,
    seed: int,
    fmt: str,
    as_of: tuple[date, ...],
    horizon: int,
    world: str,
    ceiling_check: dict,
) -> None:
    import json

    consts = {
        k: (v.tolist() if isinstance(v, np.ndarray) else v)
        for k, v in vars(C).items()
        if k.isupper() and not isinstance(v, np.datetime64)
    }
    doc = {
        "world": world,
        "customers": customers,
        "seed": seed,
        "consumption_format": fmt,
        "as_of_dates": [d.isoformat() for d in as_of],
        "horizon_days": horizon,
        "calibration": consts,
        "ceiling_check": ceiling_check,
    }
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
