"""PR-AUC on weighted rows and paired bootstrap intervals (used by the promotion gate; not DAG nodes)."""

from __future__ import annotations

import numpy as np

_BOOTSTRAP_CHUNK = 50


def average_precision(y: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """PR-AUC (average precision, as scikit-learn: Σ ΔRecall × Precision over distinct thresholds) of ``score``
    for each row of ``weights`` (B × n case weights, e.g. bootstrap counts); one weight row of ones if None."""
    return _Ranking(np.asarray(y, dtype=float), np.asarray(score, dtype=float)).average_precision(weights)


class _Ranking:
    """The rows of one score in descending order, with the groups of tied scores where recall moves (those
    holding a churner): worked out once, then used for every bootstrap resample.

    Precision is needed only where recall moves, so for whole-number weights (bootstrap counts) the rows seen
    are summed between those groups alone: exact sums of whole numbers, so the same numbers, added up in the
    same order, as :func:`_average_precision_dense`, in a fraction of the passes over the B × n weights."""

    def __init__(self, y: np.ndarray, score: np.ndarray):
        self.y, self.score = y, score
        self.binary = bool(np.isin(y, (0.0, 1.0)).all())
        self.order = np.argsort(-score, kind="mergesort")
        s = score[self.order]
        self.ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # last row of each group of tied scores
        self.pos = np.flatnonzero(y[self.order])  # sorted positions of the churners
        group = np.searchsorted(self.ends, self.pos)  # the tie group of each churner
        self.groups = np.unique(group)  # the groups where recall moves
        self.last = np.searchsorted(group, self.groups, side="right") - 1  # each such group's last churner
        group_ends = self.ends[self.groups]
        self.starts = np.r_[0, group_ends[:-1] + 1]  # rows between one such group's end and the next
        self.stop = int(group_ends[-1]) + 1 if group_ends.size else 0

    def average_precision(self, weights: np.ndarray | None) -> np.ndarray:
        w = np.ones((1, self.y.size)) if weights is None else np.atleast_2d(np.asarray(weights))
        whole = weights is None or np.issubdtype(w.dtype, np.integer)
        if not (self.binary and whole):  # sums of fractions depend on their order: the dense path
            return _average_precision_dense(self.y, self.score, w.astype(float))
        if self.pos.size == 0:
            return np.full(w.shape[0], np.nan)
        sorted_w = w[:, self.order[: self.stop]]
        seen = np.cumsum(np.add.reduceat(sorted_w, self.starts, axis=1), axis=1).astype(float)
        tp = np.cumsum(w[:, self.order[self.pos]], axis=1)[:, self.last].astype(float)
        gained = np.diff(tp, axis=1, prepend=0.0)
        precision = np.divide(tp, seen, out=np.zeros_like(tp), where=seen > 0)
        # zero where recall does not move; column-major, as the dense terms are (taken with [:, ends]), so the
        # sum adds the same numbers in the same order
        terms = np.zeros((w.shape[0], self.ends.size), order="F")
        terms[:, self.groups] = gained * precision
        positives = tp[:, -1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(positives > 0, terms.sum(axis=1) / positives, np.nan)


def _average_precision_dense(y: np.ndarray, score: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`average_precision` over every tie group (kept for outcomes other than 0/1, and as its reference)."""
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
    rankings = {k: _Ranking(y.astype(float), np.asarray(v, dtype=float)) for k, v in scores.items()}
    done = 0
    while done < resamples:
        b = min(_BOOTSTRAP_CHUNK, resamples - done)
        idx = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n)
        if n < 2**31:  # every count and sum of counts fits: half the memory traffic, the same whole numbers
            counts = counts.astype(np.int32)
        for name, ranking in rankings.items():
            out[name].append(ranking.average_precision(counts))
        done += b
    return {k: np.concatenate(v) for k, v in out.items()}


def interval(values: np.ndarray, point: float, confidence: float) -> dict:
    """Point estimate and the two-sided percentile interval of bootstrap ``values`` at ``confidence``."""
    alpha = (1 - confidence) / 2
    lo, hi = np.nanquantile(values, [alpha, 1 - alpha])
    return {"point": float(point), "lower": float(lo), "upper": float(hi)}
