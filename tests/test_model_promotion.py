"""Promotion gate: PR-AUC and paired bootstrap on hand-worked fixtures, then through the DAG — a first good
candidate is promoted, a shuffled-label one is rejected by the skill test (and with no champion the run fails
clearly), a worse one is rejected by the non-inferiority test, a better one is promoted."""

import numpy as np
import polars as pl
import pytest
from model_fixtures import gold_frame
from sklearn.metrics import average_precision_score

from dataflow import driver as dag
from dataflow.errors import UserError
from dataflow.lake import Lake
from dataflow.model.bootstrap import average_precision, interval, paired_bootstrap
from dataflow.model.registry import CHAMPION_KEY, RegistryEntry
from dataflow.pipeline import register_champion, write_outputs
from dataflow.summary import summary_lines

FAST = {"xgb_rounds": 60, "xgb_learning_rate": 0.15, "gate_bootstrap": 200}
# what a run publishes from the nodes after gold, from their tags
OUTPUTS = dag.run_outputs(dag.build(dag.model_modules(), cache=False))
NODES = [*OUTPUTS, "serving_model"]


# ---- PR-AUC and the paired bootstrap on hand-worked values -------------------------------------------
def test_average_precision_by_hand():
    # ranks: 1 (pos) 2 (neg) 3 (pos) 4 (neg) → precision at the positives 1/1 and 2/3 → AP = (1 + 2/3) / 2
    y, s = np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])
    assert average_precision(y, s)[0] == pytest.approx(5 / 6)
    # a tie between the first positive and a negative is one threshold: precision 1/2 there
    assert average_precision(y, np.array([0.9, 0.9, 0.7, 0.1]))[0] == pytest.approx((1 / 2 + 2 / 3) / 2)
    # weights act as repeated rows: the negative at rank 2 counted twice → (1 + 2/4) / 2
    assert average_precision(y, s, np.array([[1, 2, 1, 1]]))[0] == pytest.approx(0.75)


def test_average_precision_matches_scikit_learn_with_ties_and_weights():
    rng = np.random.default_rng(0)
    y = (rng.random(3000) < 0.05).astype(int)
    s = np.round(rng.random(3000) + y * 0.4, 2)  # many ties
    w = rng.integers(0, 3, 3000)
    assert average_precision(y, s)[0] == pytest.approx(average_precision_score(y, s))
    assert average_precision(y, s, w[None])[0] == pytest.approx(
        average_precision_score(y, s, sample_weight=w)
    )


def test_paired_bootstrap_known_answers():
    rng = np.random.default_rng(1)
    y = (rng.random(2000) < 0.1).astype(int)
    perfect, noise = y + rng.random(2000) * 0.5, rng.random(2000)
    boot = paired_bootstrap(y, {"perfect": perfect, "same": perfect.copy(), "noise": noise}, 200, seed=3)
    assert np.allclose(boot["perfect"], 1.0)  # a perfect ranking is perfect on every resample
    assert np.allclose(boot["perfect"] - boot["same"], 0.0)  # paired: identical scores never differ
    iv = interval(boot["noise"], float(average_precision(y, noise)[0]), 0.90)
    assert iv["lower"] < 0.1 * 1.5 and iv["upper"] > 0.1 * 0.7  # noise scores ≈ the prevalence
    assert iv["lower"] < iv["point"] < iv["upper"]


# ---- through the DAG ---------------------------------------------------------------------------------
def _publish(lake: Lake, run_id: str, results: dict) -> None:
    """The pipeline's publish step for the modeling outputs (write, then registry when promoted)."""
    write_outputs(lake, run_id, results, OUTPUTS)
    if results["promotion_decision"].promoted:
        register_champion(lake, results["promotion_decision"])


def _run(lake_dir, gold, run_id, overrides):
    dr = dag.build(dag.model_modules(), cache=False)
    inputs = {
        "gold_features": gold,
        "lake_uri": str(lake_dir),
        "run_id": run_id,
        "model_overrides": overrides,
    }
    return dr.execute(NODES, inputs=inputs)


def _permuted(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    y = frame["churned_within_horizon"].to_numpy()
    return frame.with_columns(
        churned_within_horizon=pl.Series(np.random.default_rng(seed).permutation(y), dtype=pl.Int8)
    )


@pytest.fixture(scope="module")
def gold():
    return gold_frame(customers=1500, dates=10, seed=31)


def test_first_candidate_is_promoted_then_a_worse_one_is_rejected(tmp_path, gold):
    lake = Lake.open(str(tmp_path))
    first = _run(tmp_path, gold, "run-a", FAST)
    decision = first["promotion_decision"]
    assert decision.promoted and decision.decision == "promoted"
    ev = decision.gate["evidence"]
    assert [t["test"] for t in decision.gate["tests"]] == ["skill", "baseline"]
    assert ev["candidate"]["lower"] >= 2 * ev["prevalence"] and ev["baseline"]["difference"]["lower"] > 0
    assert ev["prevalence"] == pytest.approx(ev["positives"] / ev["n_test"])
    assert first["scores"]["model_run_id"].unique().to_list() == ["run-a"]
    _publish(lake, "run-a", first)
    assert lake.read_json(CHAMPION_KEY)["run_id"] == "run-a"
    promo = lake.read_json("runs/run-a/model/promotion.json")
    assert promo["gate"]["evidence"]["baseline"]["name"].startswith("logistic regression on lifecycle")
    assert any(line.startswith("gate evidence") for line in summary_lines(first))

    # a candidate trained on noise (labels permuted except on the test snapshot): clearly worse than run-a
    latest = gold.filter(~pl.col("is_scoring"))["as_of_date"].max()
    early = gold.filter(~pl.col("is_scoring") & (pl.col("as_of_date") < latest))
    shuffled = pl.concat(
        [_permuted(early, 5), gold.filter(pl.col("is_scoring") | (pl.col("as_of_date") == latest))]
    )
    second = _run(tmp_path, shuffled, "run-b", FAST)
    rejected = second["promotion_decision"]
    assert not rejected.promoted
    failed = {t["test"] for t in rejected.gate["tests"] if not t["passed"]}
    assert "non_inferiority" in failed
    assert any(r.startswith("failed the non_inferiority test by ") for r in rejected.reasons)
    # run-a's served model was refitted on every matured snapshot, the test date included, so it cannot be
    # re-scored fairly on that snapshot: the gate compares with the PR-AUC recorded at its own promotion
    assert rejected.current["run_id"] == "run-a"
    assert rejected.current["basis"].startswith("recorded at its own promotion")
    assert second["serving_model"].run_id == "run-a"
    assert second["scores"]["model_run_id"].unique().to_list() == ["run-a"]
    _publish(lake, "run-b", second)
    assert lake.read_json(CHAMPION_KEY)["run_id"] == "run-a"


def test_a_better_candidate_replaces_a_weak_champion(tmp_path, gold):
    lake = Lake.open(str(tmp_path))
    # a weak champion, registered with the gate relaxed explicitly: 5 shallow rounds on lifecycle features only
    weak = {**FAST, "xgb_rounds": 3, "xgb_max_depth": 1, "champion_experiment": "E0"}
    weak.update(gate_skill_multiple=0.0, gate_baseline=False)
    # served as evaluated (no refit on the test date), so the next run can re-score it on the same customers
    weak.update(refit_on_all_matured=False)
    first = _run(tmp_path, gold, "run-w", weak)
    assert first["promotion_decision"].promoted
    _publish(lake, "run-w", first)
    better = _run(tmp_path, gold, "run-x", FAST)
    decision = better["promotion_decision"]
    assert decision.promoted, decision.reasons
    champ = decision.gate["evidence"]["champion"]
    assert champ["run_id"] == "run-w" and champ["difference"]["point"] > 0
    assert better["serving_model"].run_id == "run-x"


def test_shuffled_labels_are_rejected_and_without_a_champion_the_run_fails_clearly(tmp_path, gold):
    labelled = gold.filter(~pl.col("is_scoring"))
    parts = [
        _permuted(labelled.filter(pl.col("as_of_date") == d), i)
        for i, d in enumerate(labelled["as_of_date"].unique().sort())
    ]
    shuffled = pl.concat([*parts, gold.filter(pl.col("is_scoring"))])
    with pytest.raises(Exception, match="failed the skill test by") as err:
        _run(tmp_path, shuffled, "run-s", FAST)
    assert "no previous champion is registered" in str(err.value)
    assert isinstance(err.value, UserError) or isinstance(err.value.__cause__, UserError)


def test_absolute_floor_is_off_by_default_and_available(tmp_path, gold):
    with pytest.raises(Exception, match="failed the floor test"):
        _run(tmp_path, gold, "run-c", {**FAST, "min_pr_auc": 0.99})


def test_registry_entry_is_empty_without_a_champion(tmp_path):
    assert RegistryEntry.load(Lake.open(str(tmp_path))).model is None
