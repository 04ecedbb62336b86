"""Hand-made gold_features frames for the modeling tests: every catalogue column, churn driven by a few
known causes (renewal within 3 months, a complaint, a price rise, short tenure), monthly snapshots plus a
scoring snapshot."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from dataflow.gold.catalog import FEATURES

LEVELS = {
    "renewal_bucket": ["expired", "0-3m", "3-6m", "6-12m"],
    "tenure_bucket": ["0-6m", "6-12m", "1-2y", "2-5y", "5y+"],
    "segment": ["Residential", "SME", "Corporate"],
    "sales_channel": ["Comparison Website", "Own Website", "Door to Door", "Call Center"],
    "portfolio_type": ["Residential_SingleFuel", "Residential_DualFuel", "SME_SingleFuel"],
    "customer_intent": ["No interaction", "Complaint / Escalation", "Pricing Offers", "Contract Renewal"],
    "sentiment_label": ["No interaction", "negative", "neutral", "positive"],
}


def churn_logit(frame: pl.DataFrame) -> np.ndarray:
    """The true log-odds of the synthetic world (known causes only)."""
    return (
        -3.2
        + 2.2 * frame["is_within_3m_of_renewal"].to_numpy()
        + 1.6 * frame["is_complaint_intent"].to_numpy()
        + 0.9 * frame["is_price_increase"].to_numpy()
        - 0.015 * frame["tenure_months"].to_numpy()
    )


def gold_frame(customers: int = 3000, dates: int = 10, seed: int = 0, scoring: bool = True) -> pl.DataFrame:
    """A gold_features-like frame: ``dates`` monthly labelled snapshots from 2024-01-01 and a scoring one."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:06d}" for i in range(customers)]
    renewal_day = rng.integers(0, 365, customers)
    activation_months = rng.gamma(2.0, 20.0, customers)
    static = {name: rng.choice(levels, customers) for name, levels in LEVELS.items()}
    base_num = rng.normal(size=(customers, len(FEATURES)))
    as_of = [dt.date(2024, 1 + k, 1) for k in range(dates)]
    parts = []
    for k, d in enumerate([*as_of, dt.date(2025, 1, 1)] if scoring else as_of):
        is_scoring = d.year == 2025
        doy = (d - dt.date(d.year, 1, 1)).days
        months_to_renewal = ((renewal_day - doy) % 365) / 30.44
        tenure = activation_months + (d - as_of[0]).days / 30.44
        complaint = rng.random(customers) < 0.08
        price_up = rng.random(customers) < 0.5
        cols: dict[str, object] = {
            "customer_id": ids,
            "as_of_date": [d] * customers,
            "horizon_days": np.full(customers, 90, np.int32),
            "is_scoring": np.full(customers, is_scoring),
        }
        for j, f in enumerate(FEATURES):
            if f.tier in ("key", "label"):
                continue
            if f.name in LEVELS:
                cols[f.name] = static[f.name]
            elif f.kind == "string":
                cols[f.name] = np.char.add(static["customer_intent"].astype(str), "_x_" + str(k % 3))
            elif f.kind == "binary":
                cols[f.name] = (base_num[:, j] + rng.normal(0, 0.3, customers) > 0.8).astype(np.int8)
            else:
                cols[f.name] = base_num[:, j] * 10 + rng.normal(0, 1, customers)
        cols.update(
            months_to_renewal=months_to_renewal,
            tenure_months=tenure,
            is_within_3m_of_renewal=(months_to_renewal <= 3).astype(np.int8),
            is_complaint_intent=complaint.astype(np.int8),
            is_price_increase=price_up.astype(np.int8),
            avg_monthly_margin_12m=rng.normal(8, 15, customers),
            sentiment_label=np.where(complaint, "negative", static["sentiment_label"]),
        )
        frame = pl.DataFrame(cols).with_columns(pl.col("as_of_date").cast(pl.Date))
        p = 1 / (1 + np.exp(-churn_logit(frame)))
        label = (rng.random(customers) < p).astype(np.int8)
        parts.append(
            frame.with_columns(
                churned_within_horizon=pl.Series(label, dtype=pl.Int8)
                if not is_scoring
                else pl.lit(None, dtype=pl.Int8)
            )
        )
    return pl.concat(parts, how="vertical_relaxed")
