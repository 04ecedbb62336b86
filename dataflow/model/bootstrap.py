"""PR-AUC on weighted rows and paired bootstrap intervals (used by the promotion gate; not DAG nodes)."""

from __future__ import annotations

import numpy as np

_BOOTSTRAP_CHUNK = 50


def average_precision(y: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """PR-AUC (average precision, as scikit-learn: Σ ΔRecall × Precision over distinct thresholds) of ``score``
    for each row of ``weights`` (B × n case weights, e.g. bootstrap counts); one weight row of ones if None."""
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    w = np.ones((1, y.size)) if weights is None else np.atleast_2d(np.asarray(weights, dtype=float))
    order = np.argsort(-score, kind="mergesort")
    s, yy, w = score[order], y[order], w[:, order]
    ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # last row of each group of tied scores
    tp = np.cumsum(w * yy, axis=1)[:, ends]
    seen = np.cumsum(w, axis=1)[:, ends]
    positives = tp[:, -1]
    precision = np.divide(tp, seen, out=np.zeros_like(tp), where=seen > 0)
    gained = np.diff(tp, axis=1, prepend=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(positives > 0, (gained * precision).sum(axis=1) / positives, np.nan)


def paired_bootstrap(y: np.ndarray, scores: dict[str, np.ndarray], resamples: int, seed: int) -> dict:
    """PR-AUC of each named score on ``resamples`` bootstrap resamples of the same rows (paired: every score
    sees the same resampled customers). Returns name → array of ``resamples`` PR-AUCs."""
    y = np.asarray(y)
    n = y.size
    rng = np.random.default_rng(seed)
    out: dict[str, list[np.ndarray]] = {k: [] for k in scores}
    done = 0
    while done < resamples:
        b = min(_BOOTSTRAP_CHUNK, resamples - done)
        idx = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n)
        for name, score in scores.items():
            out[name].append(average_precision(y, score, counts))
        done += b
    return {k: np.concatenate(v) for k, v in out.items()}


def interval(values: np.ndarray, point: float, confidence: float) -> dict:
    """Point estimate and the two-sided percentile interval of bootstrap ``values`` at ``confidence``."""
    alpha = (1 - confidence) / 2
    lo, hi = np.nanquantile(values, [alpha, 1 - alpha])
    return {"point": float(point), "lower": float(lo), "upper": float(hi)}
