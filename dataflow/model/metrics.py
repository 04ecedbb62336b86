"""Model-quality measures on held-out rows: ranking (PR-AUC, ROC-AUC), calibration (Brier, log-loss, ECE,
reliability curve), curves thinned for the dashboard, and risk tiers.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

TIER_NAMES = ("Low", "Medium", "High", "Critical")
CURVE_POINTS = 200


def risk_tier(proba: pl.Expr, thresholds: tuple[float, float, float]) -> pl.Expr:
    """Low < t1 ≤ Medium < t2 ≤ High < t3 ≤ Critical (tiers at 0.40 / 0.60 / 0.80 by default)."""
    t1, t2, t3 = thresholds
    return (
        pl.when(proba >= t3)
        .then(pl.lit("Critical"))
        .when(proba >= t2)
        .then(pl.lit("High"))
        .when(proba >= t1)
        .then(pl.lit("Medium"))
        .otherwise(pl.lit("Low"))
    )


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> float:
    """ECE: |mean predicted − observed rate| averaged over 10 equal-width probability bins, weighted by rows."""
    y, proba = np.asarray(y, dtype=float), np.asarray(proba, dtype=float)
    idx = np.minimum((proba * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.sum() * abs(proba[mask].mean() - y[mask].mean())
    return float(total / max(len(y), 1))


def reliability(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> list[dict]:
    """Reliability curve: per probability bin, mean predicted probability, observed churn rate and rows."""
    y, proba = np.asarray(y, dtype=float), np.asarray(proba, dtype=float)
    idx = np.minimum((proba * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = idx == b
        if mask.any():
            out.append(
                {
                    "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                    "mean_proba": float(proba[mask].mean()),
                    "observed_rate": float(y[mask].mean()),
                    "n": int(mask.sum()),
                }
            )
    return out


def summary(y: np.ndarray, proba: np.ndarray) -> dict:
    """PR-AUC, ROC-AUC, Brier, log-loss and ECE of probabilities against outcomes."""
    y = np.asarray(y, dtype=int)
    proba = np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)
    return {
        "pr_auc": float(average_precision_score(y, proba)),
        "roc_auc": float(roc_auc_score(y, proba)),
        "brier": float(brier_score_loss(y, proba)),
        "log_loss": float(log_loss(y, np.clip(proba, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "ece": expected_calibration_error(y, proba),
        "n": int(y.size),
        "positives": int(y.sum()),
    }


def _thin(idx_len: int, points: int = CURVE_POINTS) -> np.ndarray:
    return np.unique(np.linspace(0, idx_len - 1, min(points, idx_len)).round().astype(int))


def curves(y: np.ndarray, proba: np.ndarray) -> dict:
    """PR and ROC curves, thinned to about 200 points each."""
    precision, recall, _ = precision_recall_curve(y, proba)
    fpr, tpr, _ = roc_curve(y, proba)
    i, j = _thin(len(precision)), _thin(len(fpr))
    return {
        "pr_curve": {"precision": precision[i].round(5).tolist(), "recall": recall[i].round(5).tolist()},
        "roc_curve": {"fpr": fpr[j].round(5).tolist(), "tpr": tpr[j].round(5).tolist()},
    }


def confusion(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict:
    """Confusion matrix at the decision threshold (churn_pred = proba ≥ threshold)."""
    y = np.asarray(y, dtype=int)
    pred = np.asarray(proba) >= threshold
    tp, fp = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum())
    fn, tn = int((~pred & (y == 1)).sum()), int((~pred & (y == 0)).sum())
    return {
        "tn": tn,
        "fp": fp,
        "fn": fn,
        "tp": tp,
        "threshold": float(threshold),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
    }
