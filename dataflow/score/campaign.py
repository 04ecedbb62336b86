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

Targeting data (the held-out predictions) is a model output: ``dataflow.model.holdout``.
"""

from __future__ import annotations

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.model.settings import ModelConfig
from dataflow.score import power


# ---- Hamilton nodes ------------------------------------------------------------------------------------
@tag(layer="score", publish="scored")
def campaign_design(
    scores: pl.DataFrame, recommendations: pl.DataFrame, model_config: ModelConfig
) -> pl.DataFrame:
    """Per risk tier × action of the offer-eligible customers: treated and control sizes, the control share the
    power calculation chose, the expected churn without offer, the assumed save rate and the power it gives,
    the smallest save rate the split can detect, 12-month offer cost, protected margin, expected net value,
    break-even save rate and return on the offer cost."""
    months = float(model_config.months_protected)
    frame = recommendations.join(scores.select("customer_id", "churn_proba"), on="customer_id", how="left")
    eligible = frame.filter(power.offer_eligible())
    shares = power.control_shares(frame, model_config.control_share)
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
                "power": power.comparison_power(p_c, float(r["assumed_save_rate"]), n_c, n_t),
                "detectable_save_rate": power.detectable_save_rate(p_c, n_c, n_t),
                "break_even_save_rate": cost / protected if protected > 0 else None,
                "roi": float(r["expected_net_value_eur"]) / cost if cost > 0 else None,
                "months_protected": int(months),
            }
        )
    return pl.DataFrame(rows, schema=schema)
