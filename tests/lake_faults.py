"""A small generated lake, one-row faults planted in its raw files, and what a run must then show.

Used by the row-fault tests (tests/test_row_faults.py) and the property test (tests/test_row_faults_property.py).
Everything is checked against the files as written, counted independently of the pipeline: the rows of a
customer in each file, the rows of each file, the row numbers of the planted faults.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dataflow.lake import Lake
from dataflow.runs import current_run_id, read_manifest

CSV_FILES = (
    "customer_attributes",
    "customer_contracts",
    "price_history",
    "costs_by_province_month",
    "churn_label",
)
CUSTOMER_FILES = ("customer_contracts", "price_history", "customer_interactions", "churn_label")


def copy_raw(source: Path, dest: Path) -> Path:
    """A private copy of ``source/raw`` at ``dest/raw`` (any earlier copy replaced)."""
    shutil.rmtree(dest / "raw", ignore_errors=True)
    shutil.copytree(source / "raw", dest / "raw")
    return dest


def csv_lines(lake: Path, dataset: str) -> list[str]:
    return (lake / "raw" / f"{dataset}.csv").read_text(encoding="utf-8").splitlines()


def write_lines(lake: Path, dataset: str, lines: list[str]) -> None:
    (lake / "raw" / f"{dataset}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def rows_in_file(lake: Path, dataset: str) -> int:
    """Data rows of one raw dataset as written (CSV lines after the header, JSON records, Parquet rows)."""
    raw = lake / "raw"
    if dataset == "customer_interactions":
        return len(json.loads((raw / "customer_interactions.json").read_text(encoding="utf-8")))
    if dataset == "consumption":
        return sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in raw.glob("consumption_*"))
    return sum(1 for line in csv_lines(lake, dataset)[1:] if line.strip())


def customer_rows(lake: Path, dataset: str, customer_id: str) -> int:
    """Rows of one customer in one raw dataset, as written."""
    raw = lake / "raw"
    if dataset == "customer_interactions":
        records = json.loads((raw / "customer_interactions.json").read_text(encoding="utf-8"))
        return sum(1 for r in records if isinstance(r, dict) and r.get("customer_id") == customer_id)
    if dataset == "consumption":
        return sum(
            pl.scan_parquet(p).filter(pl.col("customer_id") == customer_id).select(pl.len()).collect().item()
            for p in raw.glob("consumption_*")
        )
    return sum(1 for line in csv_lines(lake, dataset)[1:] if line.split(",", 1)[0] == customer_id)


@dataclass
class Published:
    """What a published run left in the lake: its manifest and each quarantine file."""

    lake: Path
    run_id: str
    manifest: dict

    def quarantine(self, dataset: str) -> pl.DataFrame:
        path = self.lake / "quarantine" / self.run_id / f"{dataset}.parquet"
        return pl.read_parquet(path) if path.exists() else pl.DataFrame()

    def output(self, table: str) -> pl.DataFrame:
        (path,) = (self.lake / "runs" / self.run_id).rglob(f"{table}.parquet")
        return pl.read_parquet(path)


def published(lake: Path, run_id: str) -> Published:
    """The run, after checking it is the one CURRENT points to and its manifest says published."""
    lk = Lake.open(str(lake))
    assert current_run_id(lk) == run_id
    manifest = read_manifest(lk, run_id)
    assert manifest["status"] == "published"
    return Published(lake, run_id, manifest)


def assert_reconciled(run: Published) -> None:
    """Per file: rows as written = rows read = kept + quarantined, and the quarantine files hold exactly that."""
    for rec in run.manifest["reconciliation"]:
        d = rec["dataset"]
        assert rec["rows_in"] == rows_in_file(run.lake, d), rec
        assert rec["rows_in"] == rec["rows_kept"] + rec["rows_quarantined"], rec
        assert run.quarantine(d).height == rec["rows_quarantined"] == run.manifest["quarantined"][d], rec


def assert_customer_cascaded(run: Published, customer_id: str, reason: str, parent: str) -> None:
    """Every row of ``customer_id`` in every other file is in quarantine with ``reason`` (naming ``parent``), and
    the customer is in no published table."""
    assert reason.startswith(f"customer quarantined in {parent}: ") or f"is not in {parent}" in reason, reason
    for dataset in (*CUSTOMER_FILES, "customer_attributes", "consumption"):
        if dataset == parent:
            continue
        expected = customer_rows(run.lake, dataset, customer_id)
        q = run.quarantine(dataset)
        mine = q.filter(pl.col("customer_id").str.strip_chars() == customer_id) if q.height else q
        assert mine.height == expected, (dataset, mine.height, expected)
        if expected:
            assert set(mine["_reason"]) == {reason}, (dataset, set(mine["_reason"]))
    for table in ("bronze_customer", "bronze_customer_month", "silver_customer", "silver_customer_month"):
        assert customer_id not in run.output(table)["customer_id"].to_list(), table
