"""The retention offer policy as a table: per risk tier the action, when to act, the offer budget as a share
of the customer's monthly margin, and the assumed share of at-risk customers the action saves.

Economics of one offer (documented in docs/modeling.md):
    margin_protected  = expected_monthly_loss × months_protected      (p × max(margin, 0) × months)
    offer_cost_eur    = min(offer_share_of_margin × max(margin, 0) × months_protected, margin_protected)
    expected_net_value_eur = save_rate × margin_protected − offer_cost_eur
"""

from __future__ import annotations

import hashlib

import polars as pl

from dataflow.model.settings import ModelConfig
from dataflow.score import power

# risk tier → action (reference §6 budgets; save rates are assumptions to be replaced by measured uplift)
OFFER_POLICY = pl.DataFrame(
    {
        "risk_tier": ["Critical", "High", "Medium", "Low"],
        "action": ["offer_large", "offer_medium", "offer_small", "no_offer"],
        "action_label": [
            "Large retention offer",
            "Medium retention offer",
            "Small retention offer",
            "No action needed",
        ],
        "timing_window": ["immediate", "immediate", "30_60_days", "60_90_days"],
        "offer_share_of_margin": [0.25, 0.15, 0.05, 0.0],
        "save_rate": [0.40, 0.30, 0.20, 0.0],
    }
)
NO_OFFER = "no_offer"


def policy(save_rates: dict[str, float] | None = None) -> pl.DataFrame:
    """The offer table, with save rates per action overridden when given (e.g. {"offer_large": 0.5})."""
    if not save_rates:
        return OFFER_POLICY
    unknown = set(save_rates) - set(OFFER_POLICY["action"])
    if unknown:
        raise ValueError(f"unknown actions {sorted(unknown)} in save rates")
    return OFFER_POLICY.with_columns(
        save_rate=pl.col("action").replace_strict(
            save_rates, default=pl.col("save_rate"), return_dtype=pl.Float64
        )
    )


CONTROL_SEED = "spanishgas-control-v1"


def control_draw(customer_id: str, seed: str = CONTROL_SEED) -> float:
    """A uniform number in [0, 1) fixed by the customer id (same customer → same draw in every run)."""
    digest = hashlib.sha256(f"{seed}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def build_offers(scores: pl.DataFrame, cfg: ModelConfig) -> pl.DataFrame:
    """The offer table for scored customers (pure function of scores and settings; see score.offers)."""
    months = float(cfg.months_protected)
    margin = pl.max_horizontal(pl.col("avg_monthly_margin_12m").fill_null(0.0).fill_nan(0.0), 0.0)
    offerable = (pl.col("avg_monthly_margin_12m").fill_nan(None).fill_null(-1.0) > 0) & (
        pl.col("action") != NO_OFFER
    )
    frame = (
        scores.join(policy(cfg.save_rates), on="risk_tier", how="left")
        .with_columns(
            action=pl.when(offerable).then(pl.col("action")).otherwise(pl.lit(NO_OFFER)),
            margin_protected=pl.col("expected_monthly_loss") * months,
        )
        .with_columns(
            offer_share_of_margin=pl.when(pl.col("action") == NO_OFFER)
            .then(0.0)
            .otherwise(pl.col("offer_share_of_margin")),
            save_rate=pl.when(pl.col("action") == NO_OFFER).then(0.0).otherwise(pl.col("save_rate")),
        )
        .with_columns(
            offer_cost_eur=pl.min_horizontal(
                pl.col("offer_share_of_margin") * margin * months, pl.col("margin_protected")
            ),
        )
        .with_columns(
            expected_net_value_eur=pl.col("save_rate") * pl.col("margin_protected")
            - pl.col("offer_cost_eur"),
        )
    )
    # control group: drawn among offer-eligible customers, stratified by tier × action, sized by power
    draw = pl.col("customer_id").map_elements(control_draw, return_dtype=pl.Float64)
    frame = frame.with_columns(is_control=power.assign_control(frame, draw, cfg.control_share))
    eligible = (pl.col("action") != NO_OFFER) & ~pl.col("is_control") & (pl.col("expected_net_value_eur") > 0)
    rank = pl.when(eligible).then(pl.col("expected_net_value_eur")).rank("ordinal", descending=True)
    budget = cfg.contact_budget if cfg.contact_budget > 0 else None
    selected = eligible & (rank <= budget) if budget else eligible
    return frame.with_columns(selected=selected.fill_null(False))
