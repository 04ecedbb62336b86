"""The future-information check of evaluate-truth: hand-worked z-scores, and on a generated world it finds
the one gold column that knows the future (the latest product change) and no model input."""

from datetime import date

import polars as pl
import pytest

from dataflow.config import PipelineConfig
from dataflow.future_information import Feature, future_information, snapshot_overlap
from dataflow.generate import generate
from dataflow.pipeline import run_pipeline
from dataflow.truth import evaluate_truth


def _feature(name: str, model_use: bool = True) -> Feature:
    return Feature(name, "behavioral", "binary", model_use, "", "A test flag.")


def test_z_scores_by_hand():
    # 400 rows on two monthly snapshots (30 days apart, 90-day horizon: each churn counts in 3 snapshots),
    # every true probability 0.1, so each 200-row group expects 20 churners with variance 200 × 0.09 × 3 = 54
    i = pl.int_range(400, eager=True)
    frame = pl.DataFrame(
        {
            "as_of_date": pl.select(
                pl.when(i % 2 == 0).then(date(2024, 1, 1)).otherwise(date(2024, 1, 31))
            ).to_series(),
            "leaky": (i < 200).cast(pl.Int8),
            "fair": ((i // 10) % 2).cast(pl.Int8),
            # 60 churners among the first 200 rows (i % 10 < 3), 20 among the rest (i % 10 == 0)
            "churned_within_horizon": ((i < 200) & (i % 10 < 3) | (i >= 200) & (i % 10 == 0)).cast(pl.Int8),
            "true_proba": pl.repeat(0.1, 400, eager=True),
        }
    )
    assert snapshot_overlap(frame["as_of_date"], 90) == pytest.approx(3.0)
    checks = future_information(frame, 90, (_feature("leaky"), _feature("fair", model_use=False)))
    assert [c.feature for c in checks] == ["leaky", "fair"]
    leaky, fair = checks
    # leaky = 1: 60 churned vs 20 expected → z = 40 / √54 = 5.443, three times the true probabilities
    assert (leaky.group, leaky.rows, leaky.churned) == ("1", 200, 60)
    assert leaky.z == pytest.approx(40 / 54**0.5) and leaky.ratio == pytest.approx(3.0) and leaky.flagged
    # fair: each group holds 10 blocks of the first half (30 churners) and 10 of the second (10) → 40 vs 20 →
    # z = 20 / √54 = 2.722 in both groups: luck of this size is not flagged
    assert fair.churned == 40 and fair.z == pytest.approx(20 / 54**0.5) and not fair.flagged


def test_a_generated_world_shows_the_overwritten_product_change_and_no_leaky_model_input(tmp_path):
    # faint world: the most churners per customer, so 8,000 customers give the check its power
    generate(str(tmp_path), customers=8000, seed=42, world="faint")
    overrides = {"gate_skill_multiple": 0.0, "gate_baseline": False}
    assert (
        run_pipeline(str(tmp_path), PipelineConfig(model_overrides=overrides), progress=None).status
        == "published"
    )
    report = evaluate_truth(str(tmp_path))
    found = report.figures["future_information"]
    assert found["model_inputs_flagged"] == []
    # the extract keeps only each customer's latest product change: at a past date a customer who will change
    # again (and so must stay) looks as if he never changed, so the "null" group churns far below its true p
    assert len(found["business_columns_flagged"]) == 1
    assert found["business_columns_flagged"][0].startswith("months_since_last_change (null:")
    assert "future information" in report.describe() and "months_since_last_change" in report.describe()
