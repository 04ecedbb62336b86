"""Individual reason codes: XGBoost's native TreeSHAP contributions per customer, summed back to the gold
feature each matrix column comes from, and the top ones that RAISE the risk put into plain words.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from dataflow.model.reasons import FALLBACK_CODE, FALLBACK_TEXT, reason_for, reason_text
from dataflow.model.registry import ChampionModel

TOP_K = 3
# A reason must raise the customer's churn log-odds by at least 0.10 (≈ +10% on the odds): smaller pushes are
# noise, not something worth telling an agent. Values that describe no risk (a flag at 0, a neutral tone, no
# complaint) are never reasons, whatever their contribution (Reason.neutral in the catalogue).
MIN_CONTRIBUTION = 0.10
# Rows explained at once: TreeSHAP's contribution matrix (rows × one-hot columns) stays a few tens of MB
# whatever the size of the book.
BATCH_ROWS = 25_000


def _to_features(columns: np.ndarray, sources: list[str], features: list[str]) -> np.ndarray:
    """Per-column contributions summed into one column per gold feature (one-hot columns back to their feature)."""
    index = {f: i for i, f in enumerate(features)}
    mapping = np.zeros((columns.shape[1], len(features)))
    for j, source in enumerate(sources):
        mapping[j, index[source]] = 1.0
    return columns @ mapping


def source_contributions(
    model: ChampionModel, frame: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per-row contribution of each gold feature (one-hot columns summed), the bias, and the feature names:
    TreeSHAP for the booster's rows, the exact additive terms of the logistic regression for rows outside the
    renewal window. Contributions plus bias equal the row's log-odds margin (``model.margin``)."""
    features = list(model.encoder.features)
    part = model.outside_window
    if part is not None:
        features += [f for f in part.linear.encoder.features if f not in features]
    contrib, bias = np.zeros((frame.height, len(features))), np.zeros(frame.height)
    out = model.outside(frame)
    inside = ~out
    if inside.any():
        raw = model.contributions(frame.filter(pl.Series(inside)) if out.any() else frame)
        contrib[inside] = _to_features(raw[:, :-1], model.encoder.sources, features)
        bias[inside] = raw[:, -1]
    if out.any():
        linear = part.linear
        columns = linear.column_contributions(frame.filter(pl.Series(out)))
        contrib[out] = _to_features(columns, linear.encoder.sources, features)
        bias[out] = linear.intercept
    return contrib, bias, features


def top_reasons(
    contrib: np.ndarray,
    features: list[str],
    frame: pl.DataFrame,
    k: int = TOP_K,
    min_contribution: float = MIN_CONTRIBUTION,
) -> list[list[tuple]]:
    """For each row, up to ``k`` (feature, code, text, contribution) that raise the risk by at least
    ``min_contribution`` log-odds and whose value is not neutral, largest first, one per reason code; the
    fallback reason otherwise."""
    values = {f: frame[f].to_list() for f in features}
    order = np.argsort(-contrib, axis=1, kind="stable")
    out = []
    for i in range(contrib.shape[0]):
        chosen, codes = [], set()
        for j in order[i]:
            c = contrib[i, j]
            if c < min_contribution or c <= 0 or len(chosen) == k:
                break
            feature = features[j]
            reason = reason_for(feature)
            code = reason.code
            if code in codes:
                continue
            v = values[feature][i]
            v = None if isinstance(v, float) and math.isnan(v) else v
            if reason.is_neutral(v):
                continue
            chosen.append((feature, code, reason_text(feature, v), float(c)))
            codes.add(code)
        out.append(chosen or [("", FALLBACK_CODE, FALLBACK_TEXT, 0.0)])
    return out


def reason_columns(model: ChampionModel, frame: pl.DataFrame, k: int = TOP_K) -> pl.DataFrame:
    """reason_1..k (codes) and reason_text_1..k (sentences) per row of ``frame``; reason_1 is never empty."""
    reasons = []
    for start in range(0, frame.height, BATCH_ROWS):  # TreeSHAP's matrix for one batch at a time
        batch = frame.slice(start, BATCH_ROWS)
        contrib, _, features = source_contributions(model, batch)
        reasons += top_reasons(contrib, features, batch, k)
    cols = {}
    for n in range(k):
        cols[f"reason_{n + 1}"] = [r[n][1] if n < len(r) else None for r in reasons]
    for n in range(k):
        cols[f"reason_text_{n + 1}"] = [r[n][2] if n < len(r) else None for r in reasons]
    return pl.DataFrame(cols, schema={c: pl.String for c in cols})


def importance(model: ChampionModel, frame: pl.DataFrame, max_rows: int = 5000) -> list[dict]:
    """Feature importance per gold feature: share of total split gain, and mean |SHAP| on ``frame`` (a seeded
    sample of at most ``max_rows`` rows: TreeSHAP costs seconds per 10,000 rows)."""
    gain_by_col = model.booster.get_score(importance_type="total_gain")  # the booster's splits only
    gain: dict[str, float] = {}
    for col, source in zip(model.encoder.columns, model.encoder.sources, strict=True):
        gain[source] = gain.get(source, 0.0) + gain_by_col.get(col, 0.0)
    total = sum(gain.values()) or 1.0
    sample = frame.sample(n=max_rows, seed=0) if frame.height > max_rows else frame
    contrib, _, features = source_contributions(model, sample)
    shap = np.abs(contrib).mean(axis=0)
    rows = [
        {"feature": f, "gain": gain.get(f, 0.0) / total, "mean_abs_shap": float(s)}
        for f, s in zip(features, shap, strict=True)
    ]
    return sorted(rows, key=lambda r: -r["mean_abs_shap"])
