"""Promotion gate through the DAG: a passing candidate serves, a failing one is recorded as rejected while
the previous champion (read back from the lake) keeps serving; no champion at all is a clear failure."""

import numpy as np
import polars as pl
import pytest
from hamilton import driver
from model_fixtures import gold_frame

from dataflow.errors import UserError
from dataflow.lake import Lake
from dataflow.model import MODULES, OUTPUTS, summary_lines
from dataflow.model.registry import CHAMPION_KEY, RegistryEntry

FAST = {"xgb_rounds": 60, "xgb_learning_rate": 0.15, "min_pr_auc": 0.2}
NODES = [*OUTPUTS, "serving_model"]


def _publish(lake: Lake, run_id: str, results: dict) -> None:
    """What the pipeline does with the modeling outputs (write, then registry when promoted)."""
    for name, folder in OUTPUTS.items():
        value = results[name]
        if isinstance(value, pl.DataFrame):
            lake.write_parquet(f"runs/{run_id}/{folder}/{name}.parquet", value)
        elif hasattr(value, "write_to"):
            value.write_to(lake, f"runs/{run_id}/{folder}/")
    if results["promotion_decision"].promoted:
        lake.write_json(CHAMPION_KEY, results["promotion_decision"].registry_record())


def _run(lake_dir, gold, run_id, overrides):
    dr = driver.Builder().with_modules(*MODULES).build()
    inputs = {
        "gold_features": gold,
        "lake_uri": str(lake_dir),
        "run_id": run_id,
        "model_overrides": overrides,
    }
    return dr.execute(NODES, inputs=inputs)


@pytest.fixture(scope="module")
def gold():
    return gold_frame(customers=1500, dates=10, seed=31)


def test_first_candidate_is_promoted_then_a_bad_one_is_rejected(tmp_path, gold, monkeypatch):
    monkeypatch.setattr("dataflow.aws.alerts.alerter_from_env", lambda lake=None: _Quiet())
    lake = Lake.open(str(tmp_path))
    first = _run(tmp_path, gold, "run-a", FAST)
    decision = first["promotion_decision"]
    assert decision.promoted and decision.decision == "promoted"
    assert first["scores"]["model_run_id"].unique().to_list() == ["run-a"]
    _publish(lake, "run-a", first)
    record = lake.read_json(CHAMPION_KEY)
    assert record["run_id"] == "run-a" and record["metrics"]["pr_auc"] == pytest.approx(
        decision.candidate["pr_auc"]
    )
    assert set(lake.list("runs/run-a/")) >= {
        "runs/run-a/model/champion.ubj",
        "runs/run-a/model/champion.json",
        "runs/run-a/model/evaluation.json",
        "runs/run-a/model/promotion.json",
        "runs/run-a/scored/scores.parquet",
        "runs/run-a/scored/recommendations.parquet",
        "runs/run-a/monitoring/drift.parquet",
    }
    assert any("promotion: promoted" in line for line in summary_lines(first))

    # a candidate trained on noise (labels permuted except on the test snapshot): clearly worse than run-a
    latest = gold.filter(~pl.col("is_scoring"))["as_of_date"].max()
    early = gold.filter(~pl.col("is_scoring") & (pl.col("as_of_date") < latest))
    permuted = np.random.default_rng(5).permutation(early["churned_within_horizon"].to_numpy())
    shuffled = pl.concat(
        [
            early.with_columns(churned_within_horizon=pl.Series(permuted, dtype=pl.Int8)),
            gold.filter(pl.col("is_scoring") | (pl.col("as_of_date") == latest)),
        ]
    )
    second = _run(tmp_path, shuffled, "run-b", {**FAST, "min_pr_auc": 0.0})
    rejected = second["promotion_decision"]
    assert not rejected.promoted and "worse than the current champion" in rejected.reasons[0]
    # run-a's served model was refitted on every matured snapshot, the test date included, so it cannot be
    # re-scored fairly on that snapshot: the gate compares with the PR-AUC recorded at its own promotion
    assert (
        rejected.current["run_id"] == "run-a" and rejected.current["basis"] == "recorded at its own promotion"
    )
    assert second["serving_model"].run_id == "run-a"
    assert second["scores"]["model_run_id"].unique().to_list() == ["run-a"]
    _publish(lake, "run-b", second)
    assert lake.read_json(CHAMPION_KEY)["run_id"] == "run-a"
    promo = lake.read_json("runs/run-b/model/promotion.json")
    assert promo["decision"] == "rejected" and promo["gate"]["pr_auc_tolerance"] == 0.02


def test_rejected_candidate_without_previous_champion_is_a_clear_failure(tmp_path, gold, monkeypatch):
    monkeypatch.setattr("dataflow.aws.alerts.alerter_from_env", lambda lake=None: _Quiet())
    with pytest.raises(Exception, match="no previous champion is registered") as err:
        _run(tmp_path, gold, "run-c", {**FAST, "min_pr_auc": 0.99})
    assert isinstance(err.value, UserError) or isinstance(err.value.__cause__, UserError)


def test_registry_entry_is_empty_without_a_champion(tmp_path):
    assert RegistryEntry.load(Lake.open(str(tmp_path))).model is None


class _Quiet:
    def alert(self, *a, **k):
        pass

    def metrics(self, *a, **k):
        pass
