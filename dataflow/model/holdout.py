"""Held-out predictions for targeting: every customer of the test snapshot with the candidate's calibrated
probability, its risk tier and what happened, so that lift, gain and calibration per tier can be drawn from them.

The tiers are cut within the test snapshot by the one tier definition (:mod:`dataflow.model.tiers`, by rank by
default), exactly as on the scoring date.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from hamilton.function_modifiers import tag

from dataflow.model.registry import ChampionModel
from dataflow.model.settings import ModelConfig
from dataflow.model.tiers import with_tiers
from dataflow.model.training_set import LABEL, TrainingSplit


@tag(layer="model", publish="model")
def holdout_predictions(
    champion_fit: ChampionModel, training_split: TrainingSplit, model_config: ModelConfig
) -> pl.DataFrame:
    """Every customer of the held-out test snapshot with the candidate's calibrated churn probability, its risk
    tier, the margin at risk and what happened (churned or not): the data of lift, gain and calibration charts."""
    test = training_split.test
    proba = np.clip(champion_fit.predict_proba(test), 0.0, 1.0)
    margin = (
        pl.col("avg_monthly_margin_12m").cast(pl.Float64)
        if "avg_monthly_margin_12m" in test.columns
        else pl.lit(None, dtype=pl.Float64)
    )
    frame = test.select(
        "customer_id",
        "as_of_date",
        pl.Series("churn_proba", proba, dtype=pl.Float64),
        pl.col(LABEL).cast(pl.Int8).alias("churned"),
        margin.alias("avg_monthly_margin_12m"),
    ).with_columns(
        expected_monthly_loss=pl.col("churn_proba")
        * pl.max_horizontal(pl.col("avg_monthly_margin_12m").fill_null(0.0).fill_nan(0.0), 0.0),
    )
    return (
        with_tiers(frame, model_config)
        .drop("churn_pred")
        .select(
            "customer_id",
            "as_of_date",
            "churn_proba",
            "churned",
            "avg_monthly_margin_12m",
            "risk_tier",
            "expected_monthly_loss",
        )
        .sort("churn_proba", "customer_id", descending=[True, False])
    )
