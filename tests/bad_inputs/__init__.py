"""A tiny valid raw/ folder (six customers) and helpers to break it one way at a time for the raw-layer tests."""

from __future__ import annotations

import datetime
import shutil
from functools import lru_cache
from pathlib import Path

import polars as pl

BASELINE = Path(__file__).parent / "baseline"
LEGACY_AS_OF = datetime.date(2024, 12, 31)
LEGACY_HORIZON = 90
DATASETS = (
    "customer_attributes",
    "customer_contracts",
    "price_history",
    "costs_by_province_month",
    "customer_interactions",
    "churn_label",
)


def make_raw_lake(root: Path) -> Path:
    """Copy the baseline into ``root/raw`` and add a one-day hourly parquet for two customers."""
    raw = root / "raw"
    shutil.copytree(BASELINE, raw)
    hours = [datetime.datetime(2024, 1, 1, h) for h in range(24)]
    pl.DataFrame(
        {
            "customer_id": ["C00001"] * 24 + ["C00002"] * 24,
            "timestamp": hours * 2,
            "consumption_elec_kwh": [0.25] * 47 + [-0.01],
            "consumption_gas_m3": [0.0] * 24 + [0.1] * 24,
        }
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("us"))).write_parquet(
        raw / "consumption_hourly_2024.parquet"
    )
    return root


def path(root: Path, name: str) -> Path:
    return root / "raw" / name


def edit(root: Path, name: str, old: str, new: str) -> None:
    """Replace the first occurrence of ``old`` (which must be there) in a raw file."""
    p = path(root, name)
    text = p.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(root: Path, name: str, line: str) -> None:
    with open(path(root, name), "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def write(root: Path, name: str, content: str | bytes) -> None:
    p = path(root, name)
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


@lru_cache(maxsize=1)
def _driver():
    from hamilton import driver

    from dataflow import raw

    return driver.Builder().with_modules(*raw.MODULES).build()


def run_raw(
    root: Path, *nodes: str, as_of: datetime.date = LEGACY_AS_OF, horizon: int = LEGACY_HORIZON
) -> dict:
    """Execute raw-layer nodes through Hamilton (schemas included) on the lake at ``root``."""
    wanted = list(nodes) or (
        ["raw_reconciliation", "raw_column_notes", "quarantined_customers"]
        + [f"{p}_{d}" for d in DATASETS for p in ("raw", "quarantine")]
    )
    inputs = {"lake_uri": str(root), "legacy_label_as_of": as_of, "legacy_label_horizon_days": horizon}
    return _driver().execute(wanted, inputs=inputs)
