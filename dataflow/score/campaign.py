"""Campaign design and read-out: a measurable retention campaign, and the held-out predictions to target it.

Design. The control group is drawn at random among the customers who would get an offer (an offer action and a
positive expected net value), stratified by risk tier × action: in every stratum the customers with the
smallest seeded draw (``offers.control_draw``, fixed per customer) are held out, in the same share. The share of
an action is the smallest one (never below ``control_share`` of the settings, never above ``MAX_CONTROL_SHARE``,
with at least ``MIN_CONTROL`` controls so that the normal approximation holds)
that gives the comparison of churn between treated and control customers ``POWER`` at a two-sided ``ALPHA``,
when the offer saves the assumed share of would-be churners:

    control churn  p_c = mean calibrated churn probability of the action's eligible customers
    treated churn  p_t = p_c × (1 − save rate)
    power          Φ(|p_c − p_t| / √(p_c(1−p_c)/n_c + p_t(1−p_t)/n_t) − z_{1−α/2})

Read-out. When a later run's labels show what happened to an earlier run's customers, the churn of the treated
(offer selected) is compared with the churn of the control group, with a 95 % interval on the difference.

Targeting. ``holdout_predictions`` publishes the candidate's calibrated probability and the outcome of every
customer of the held-out test snapshot, so that lift, gain and calibration per tier can be drawn from them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dataflow.model.metrics import risk_tier
from dataflow.model.registry import ChampionModel
from dataflow.model.settings import ModelConfig
from dataflow.model.training_set import LABEL, TrainingSplit
from dataflow.score.power import comparison_power, control_shares, detectable_save_rate, offer_eligible


# ---- Hamilton nodes ------------------------------------------------------------------------------------
def campaign_design(
    scores: pl.DataFrame, recommendations: pl.DataFrame, model_config: ModelConfig
) -> pl.DataFrame:
    """Per risk tier × action of the offer-eligible customers: treated and control sizes, the control share the
    power calculation chose, the expected churn without offer, the assumed save rate and the power it gives,
    the smallest save rate the split can detect, 12-month offer cost, protected margin, expected net value,
    break-even save rate and return on the offer cost."""
    months = float(model_config.months_protected)
    frame = recommendations.join(scores.select("customer_id", "churn_proba"), on="customer_id", how="left")
    eligible = frame.filter(offer_eligible())
    shares = control_shares(frame, model_config.control_share)
    schema = {
        "risk_tier": pl.String,
        "action": pl.String,
        "eligible": pl.Int64,
        "treated": pl.Int64,
        "control": pl.Int64,
        "control_share": pl.Float64,
        "expected_churn_without_offer": pl.Float64,
        "assumed_save_rate": pl.Float64,
        "power": pl.Float64,
        "detectable_save_rate": pl.Float64,
        "offer_cost_12m_eur": pl.Float64,
        "margin_protected_12m_eur": pl.Float64,
        "expected_net_value_eur": pl.Float64,
        "break_even_save_rate": pl.Float64,
        "roi": pl.Float64,
        "months_protected": pl.Int64,
    }
    if eligible.is_empty():
        return pl.DataFrame(schema=schema)
    per = (
        eligible.group_by("risk_tier", "action")
        .agg(
            eligible=pl.len(),
            control=pl.col("is_control").sum(),
            treated=pl.col("selected").sum(),
            expected_churn_without_offer=pl.col("churn_proba").mean(),
            assumed_save_rate=pl.col("save_rate").first(),
            offer_cost_12m_eur=pl.col("offer_cost_eur").filter(pl.col("selected")).sum(),
            margin_protected_12m_eur=(pl.col("expected_monthly_loss") * months)
            .filter(pl.col("selected"))
            .sum(),
            expected_net_value_eur=pl.col("expected_net_value_eur").filter(pl.col("selected")).sum(),
        )
        .sort("action", "risk_tier")
    )
    rows = []
    for r in per.to_dicts():
        n_c, n_t, p_c = int(r["control"]), int(r["treated"]), float(r["expected_churn_without_offer"])
        cost, protected = float(r["offer_cost_12m_eur"]), float(r["margin_protected_12m_eur"])
        rows.append(
            {
                **r,
                "eligible": int(r["eligible"]),
                "control": n_c,
                "treated": n_t,
                "control_share": shares.get(r["action"], 0.0),
                "power": comparison_power(p_c, float(r["assumed_save_rate"]), n_c, n_t),
                "detectable_save_rate": detectable_save_rate(p_c, n_c, n_t),
                "break_even_save_rate": cost / protected if protected > 0 else None,
                "roi": float(r["expected_net_value_eur"]) / cost if cost > 0 else None,
                "months_protected": int(months),
            }
        )
    return pl.DataFrame(rows, schema=schema)


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
    return (
        test.select(
            "customer_id",
            "as_of_date",
            pl.Series("churn_proba", proba, dtype=pl.Float64),
            pl.col(LABEL).cast(pl.Int8).alias("churned"),
            margin.alias("avg_monthly_margin_12m"),
        )
        .with_columns(
            risk_tier=risk_tier(pl.col("churn_proba"), model_config.risk_tiers),
            expected_monthly_loss=pl.col("churn_proba")
            * pl.max_horizontal(pl.col("avg_monthly_margin_12m").fill_null(0.0).fill_nan(0.0), 0.0),
        )
        .sort("churn_proba", "customer_id", descending=[True, False])
    )
