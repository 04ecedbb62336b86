"""Scores: every customer active on the scoring date gets a calibrated churn probability, a risk tier (see
model.tiers: relative by default, and churn_pred = in an action tier), the margin at risk and the top-3
reasons (TreeSHAP) that raise their risk by a material amount.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from hamilton.function_modifiers import tag

from dataflow.model.explain import reason_columns
from dataflow.model.registry import ChampionModel
from dataflow.model.settings import ModelConfig
from dataflow.model.tiers import TierSummary, summarize_tiers, with_tiers

PROFILE_COLUMNS = ("segment", "sales_channel", "months_to_renewal", "tenure_months")


@tag(layer="score", publish="scored")
def scores(
    scoring_features: pl.DataFrame, serving_model: ChampionModel, model_config: ModelConfig
) -> pl.DataFrame:
    """One row per customer on the scoring date: churn_proba, churn_pred (in an action tier), risk_tier,
    expected_monthly_loss (p × max(avg monthly margin, 0)), reason codes and texts, a few profile columns and
    the model's run."""
    model = serving_model
    proba = np.clip(model.predict_proba(scoring_features), 0.0, 1.0)
    margin = pl.col("avg_monthly_margin_12m")
    base = scoring_features.select(
        "customer_id",
        "as_of_date",
        pl.Series("churn_proba", proba, dtype=pl.Float64),
        margin.cast(pl.Float64).alias("avg_monthly_margin_12m"),
        *[pl.col(c) for c in PROFILE_COLUMNS if c in scoring_features.columns],
    ).with_columns(
        expected_monthly_loss=pl.col("churn_proba")
        * pl.max_horizontal(margin.fill_null(0.0).fill_nan(0.0), 0.0),
        model_run_id=pl.lit(model.run_id),
    )
    base = with_tiers(base, model_config)
    reasons = reason_columns(model, scoring_features)
    ordered = [
        "customer_id",
        "as_of_date",
        "churn_proba",
        "churn_pred",
        "risk_tier",
        "avg_monthly_margin_12m",
        "expected_monthly_loss",
        *reasons.columns,
        *[c for c in PROFILE_COLUMNS if c in base.columns],
        "model_run_id",
    ]
    return pl.concat([base, reasons], how="horizontal").select(ordered)


@tag(layer="score", publish="scored")
def tier_summary(scores: pl.DataFrame, model_config: ModelConfig) -> TierSummary:
    """Customers, expected churners (Σ p) and margin at risk per tier, and the share the action tiers hold."""
    return summarize_tiers(scores, model_config)
