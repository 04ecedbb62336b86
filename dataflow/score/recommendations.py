"""Recommendations: a margin-safe retention offer per scored customer, with its expected net value, a seeded
random control group and (optionally) a contact budget that keeps the highest-value offers.
"""

from __future__ import annotations

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.model.settings import ModelConfig
from dataflow.score.offers import build_offers


@tag(layer="score", publish="scored")
def recommendations(scores: pl.DataFrame, model_config: ModelConfig) -> pl.DataFrame:
    """Per scored customer: action, timing, offer cost (never above the margin it protects, none for a
    negative-margin customer), expected net value, control-group and selected flags, and the reasons."""
    offers = build_offers(scores, model_config)
    return offers.select(
        "customer_id",
        "risk_tier",
        "segment",
        "action",
        "timing_window",
        "offer_share_of_margin",
        "offer_cost_eur",
        "expected_monthly_loss",
        "save_rate",
        "expected_net_value_eur",
        "is_control",
        "selected",
        "reason_text_1",
        "reason_text_2",
        "reason_text_3",
    ).sort("expected_net_value_eur", descending=True)
