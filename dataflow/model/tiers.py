"""Risk tiers, defined once: every place that shows or uses a tier (scores, evaluation, summary, dashboard, CSV,
offers, alerts) reads the ``risk_tier`` column this module writes, and "at risk" means the action tiers.

Tiers are relative by default (DESIGN §6): the customers are ranked by calibrated churn probability
(``tier_basis="rank"``) or by expected monthly loss (``"loss"``, p × margin), and the top ``tier_shares``
(Critical, High, Medium; default 1% / 4% / 10%) get those tiers, the rest Low. Ties are broken by customer id, so
the assignment is deterministic. The absolute cut-offs of the predecessor (0.40 / 0.60 / 0.80 on the
probability) stay available as ``tier_basis="probability"``.

The action tiers (Critical and High) are the customers "at risk": ``churn_pred`` is true exactly for them, so
the decision and the tiers are one notion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from dataflow.model.metrics import TIER_NAMES, risk_tier
from dataflow.model.settings import ModelConfig

ACTION_TIERS = ("Critical", "High")  # "at risk": the tiers that get an immediate retention offer


def tier_sizes(n: int, shares: tuple[float, float, float]) -> tuple[int, int, int]:
    """Customers in Critical, High and Medium for ``n`` scored customers: cumulative shares rounded down."""
    c, h, m = shares
    bounds = [math.floor(n * s + 1e-9) for s in (c, c + h, c + h + m)]
    return bounds[0], bounds[1] - bounds[0], bounds[2] - bounds[1]


def rank_tiers(score: np.ndarray, key: list | np.ndarray, shares: tuple[float, float, float]) -> np.ndarray:
    """Tier per row by rank of ``score`` (largest first, ties by ``key``): Critical, High, Medium, then Low."""
    score = np.nan_to_num(np.asarray(score, dtype=float), nan=-np.inf)
    n = score.size
    order = np.lexsort((np.asarray(key), -score))  # primary: score descending; ties: key ascending
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    c, h, m = tier_sizes(n, shares)
    out = np.full(n, "Low", dtype=object)
    out[rank < c + h + m] = "Medium"
    out[rank < c + h] = "High"
    out[rank < c] = "Critical"
    return out


def with_tiers(
    frame: pl.DataFrame,
    cfg: ModelConfig,
    proba: str = "churn_proba",
    loss: str = "expected_monthly_loss",
    key: str = "customer_id",
) -> pl.DataFrame:
    """``frame`` with ``risk_tier`` (by the configured basis) and ``churn_pred`` (= in an action tier)."""
    if cfg.tier_basis == "probability":
        out = frame.with_columns(risk_tier=risk_tier(pl.col(proba), cfg.risk_tiers))
    else:
        score = frame[loss if cfg.tier_basis == "loss" else proba].to_numpy()
        keys = frame[key].cast(pl.String).to_numpy() if key in frame.columns else np.arange(frame.height)
        tiers = rank_tiers(score, keys, cfg.tier_shares)
        out = frame.with_columns(risk_tier=pl.Series("risk_tier", tiers, dtype=pl.String))
    return out.with_columns(churn_pred=pl.col("risk_tier").is_in(ACTION_TIERS))


def describe_basis(cfg: ModelConfig) -> str:
    """One line saying how the tiers are cut (for summaries, the dashboard and alerts)."""
    if cfg.tier_basis == "probability":
        t1, t2, t3 = cfg.risk_tiers
        return f"by probability: Medium ≥ {t1:.2f}, High ≥ {t2:.2f}, Critical ≥ {t3:.2f}"
    c, h, m = cfg.tier_shares
    what = "calibrated churn probability" if cfg.tier_basis == "rank" else "expected monthly loss"
    return f"by rank of {what}: Critical top {c:.0%}, High next {h:.0%}, Medium next {m:.0%}"


def tier_report(scores: pl.DataFrame) -> dict:
    """Customers, expected churners (Σ p) and margin at risk per tier, and what the action tiers hold.

    ``lift`` = share of expected churners in the action tiers ÷ their share of customers (1 = no better than
    picking customers at random)."""
    n = scores.height
    by = (
        scores.group_by("risk_tier")
        .agg(
            n=pl.len(),
            expected_churners=pl.col("churn_proba").sum(),
            margin_at_risk=pl.col("expected_monthly_loss").sum(),
            min_proba=pl.col("churn_proba").min(),
        )
        .to_dicts()
    )
    rows = {r["risk_tier"]: r for r in by}
    tiers = [
        {
            "risk_tier": t,
            "n": int(rows.get(t, {}).get("n") or 0),
            "expected_churners": float(rows.get(t, {}).get("expected_churners") or 0.0),
            "margin_at_risk": float(rows.get(t, {}).get("margin_at_risk") or 0.0),
        }
        for t in reversed(TIER_NAMES)
    ]
    total_p = float(scores["churn_proba"].sum()) if n else 0.0
    total_loss = float(scores["expected_monthly_loss"].sum()) if n else 0.0
    act = [t for t in tiers if t["risk_tier"] in ACTION_TIERS]
    at_risk = sum(t["n"] for t in act)
    act_p = sum(t["expected_churners"] for t in act)
    act_loss = sum(t["margin_at_risk"] for t in act)
    customer_share = at_risk / n if n else 0.0
    churner_share = act_p / total_p if total_p else 0.0
    mins = [rows[t]["min_proba"] for t in ACTION_TIERS if t in rows and rows[t]["min_proba"] is not None]
    return {
        "n": n,
        "tiers": tiers,
        "at_risk": at_risk,
        "at_risk_share": customer_share,
        "expected_churners": total_p,
        "expected_churners_at_risk": act_p,
        "expected_churner_share_at_risk": churner_share,
        "margin_at_risk": total_loss,
        "margin_share_at_risk": act_loss / total_loss if total_loss else 0.0,
        "lift_at_risk": churner_share / customer_share if customer_share else 0.0,
        "at_risk_min_proba": min(mins) if mins else None,
    }


def tier_table(y: np.ndarray, proba: np.ndarray, frame: pl.DataFrame, cfg: ModelConfig) -> list[dict]:
    """Rows, mean probability and observed churn rate per risk tier on held-out rows (tiers cut within
    ``frame``, the test snapshot, exactly as on the scoring date)."""
    margin = (
        frame["avg_monthly_margin_12m"].cast(pl.Float64).fill_null(0.0).fill_nan(0.0).clip(0.0).to_numpy()
        if "avg_monthly_margin_12m" in frame.columns
        else np.zeros(frame.height)
    )
    p = np.asarray(proba, dtype=float)
    base = pl.DataFrame(
        {
            "customer_id": frame["customer_id"]
            if "customer_id" in frame.columns
            else np.arange(frame.height),
            "y": np.asarray(y, dtype=float),
            "churn_proba": p,
            "expected_monthly_loss": p * margin,
        }
    )
    table = (
        with_tiers(base, cfg)
        .group_by("risk_tier")
        .agg(n=pl.len(), mean_proba=pl.col("churn_proba").mean(), observed_churn_rate=pl.col("y").mean())
    )
    by = {r["risk_tier"]: r for r in table.to_dicts()}
    return [
        by.get(t, {"risk_tier": t, "n": 0, "mean_proba": None, "observed_churn_rate": None})
        for t in TIER_NAMES
    ]


@dataclass(frozen=True)
class TierSummary:
    """What the tiers of a run hold (written as scored/tiers.json; the summary and the dashboard read it)."""

    report: dict

    def write_to(self, lake, prefix: str) -> None:
        lake.write_json(prefix + "tiers.json", self.report)


def summarize_tiers(scores: pl.DataFrame, cfg: ModelConfig) -> TierSummary:
    """Tier report of scored customers plus how the tiers are cut and the contact budget."""
    return TierSummary(
        {
            **tier_report(scores),
            "basis": cfg.tier_basis,
            "basis_text": describe_basis(cfg),
            "tier_shares": list(cfg.tier_shares),
            "risk_tiers": list(cfg.risk_tiers),
            "action_tiers": list(ACTION_TIERS),
            "contact_budget": cfg.contact_budget,
        }
    )
