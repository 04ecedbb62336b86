"""`spanishgas experiments` stores the ladder in registry/ and never writes into the published run."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import polars as pl
from conftest_app import published_lake_dir

from dataflow.experiments_job import EXPERIMENTS_KEY, run_experiments
from dataflow.lake import Lake
from dataflow.runs import current_run_id


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_experiments_go_to_the_registry_not_into_the_published_run(tmp_path):
    lake_dir = tmp_path / "lake"
    shutil.copytree(published_lake_dir(), lake_dir)
    run_id = current_run_id(Lake.open(str(lake_dir)))
    before = _files(lake_dir / "runs" / run_id)

    got_run, table, _ = run_experiments(str(lake_dir), {"experiment_max_train_rows": 1500, "xgb_rounds": 20})

    assert got_run == run_id and table.height > 0
    assert _files(lake_dir / "runs" / run_id) == before  # the published run is untouched
    stored = pl.read_parquet(lake_dir / EXPERIMENTS_KEY)
    assert stored["run_id"].unique().to_list() == [run_id]
    assert stored.drop("run_id").equals(table)
