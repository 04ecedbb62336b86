"""The ``spanishgas experiments`` job: run the experiment ladder on the current published run's gold table
and store the table in the registry (``registry/experiments.parquet``, with the run id it was computed on).

A published run is immutable (readers cache it), so the job never writes into it.
"""

from __future__ import annotations

import logging
import time

import polars as pl

from dataflow import driver
from dataflow.errors import UserError
from dataflow.lake import Lake
from dataflow.model import MODULES
from dataflow.runs import current_run_id

EXPERIMENTS_KEY = "registry/experiments.parquet"


def run_experiments(lake_uri: str, overrides: dict | None = None) -> tuple[str, pl.DataFrame, float]:
    """Execute the ``experiment_results`` node on CURRENT's gold_features; returns run id, table, seconds."""
    lake = Lake.open(lake_uri)
    run_id = current_run_id(lake)
    if run_id is None:
        raise UserError(f"no published run in {lake.uri}: run `spanishgas run --lake {lake.uri}` first")
    key = f"runs/{run_id}/gold/gold_features.parquet"
    if not lake.exists(key):
        raise UserError(f"the current run {run_id} has no {key}: re-run `spanishgas run --force`")
    gold = lake.read_parquet(key)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("spanishgas.model")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        t0 = time.perf_counter()
        dr = driver.build(modules=MODULES, cache=False)
        inputs = {"gold_features": gold, "lake_uri": lake_uri, "model_overrides": overrides or {}}
        table = dr.execute(["experiment_results"], inputs=inputs)["experiment_results"]
        seconds = time.perf_counter() - t0
    finally:
        logger.removeHandler(handler)
    lake.write_parquet(EXPERIMENTS_KEY, table.with_columns(run_id=pl.lit(run_id)))
    return run_id, table, seconds


def format_table(table: pl.DataFrame) -> str:
    """The ladder as aligned text, best PR-AUC per model family marked."""
    lines = [
        f"{'experiment':<26} {'model':<14} {'PR-AUC':>7} {'ROC-AUC':>8} {'Brier':>7} {'log-loss':>8} "
        f"{'ECE':>6} {'features':>8}"
    ]
    best = table.group_by("model").agg(pl.col("pr_auc").max().alias("best"))
    marks = {r["model"]: r["best"] for r in best.to_dicts()}
    for r in table.to_dicts():
        star = " *" if r["pr_auc"] == marks.get(r["model"]) else ""
        lines.append(
            f"{r['experiment']:<26} {r['model']:<14} {r['pr_auc']:7.3f} {r['roc_auc']:8.3f} "
            f"{r['brier']:7.4f} {r['log_loss']:8.4f} {r['ece']:6.3f} {r['n_features']:8d}{star}"
        )
    return "\n".join(lines)
