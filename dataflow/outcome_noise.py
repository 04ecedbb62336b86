"""How much of a truth comparison is luck of the outcomes (generated data only).

A scoring snapshot's churn outcomes are one draw from the true probabilities. With a few hundred churners
the PR-AUC of a fixed set of scores moves by several hundredths from one draw to another, so one snapshot
cannot tell a model that is 0.88× the ceiling from one that is 0.92×. This redraws the outcomes from
``true_proba`` many times, keeps every model and ceiling probability fixed, and reports the mean, spread
and share of draws meeting each acceptance line of the PR-AUC ratio and the ROC-AUC gap.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

DRAWS = 200


class _Ranking:
    """One fixed set of scores, sorted once, scored against many outcome vectors."""

    def __init__(self, score: np.ndarray) -> None:
        score = np.asarray(score, float)
        self.order = np.argsort(-score, kind="mergesort")
        s = score[self.order]
        self.ends = np.r_[s[1:] != s[:-1], True]  # last row of each tie group = one threshold
        self.counts = np.arange(1, len(s) + 1)[self.ends]
        self.ranks = rankdata(score)  # average ranks: ties count one half, as ROC-AUC does

    def average_precision(self, weight: np.ndarray) -> float:
        """PR-AUC with ``weight`` (0/1 outcomes, or soft labels) as each row's positive weight."""
        tp = np.cumsum(weight[self.order])[self.ends]
        if tp[-1] <= 0:
            return float("nan")
        return float(np.sum(np.diff(np.r_[0.0, tp / tp[-1]]) * tp / self.counts))

    def roc_auc(self, outcome: np.ndarray) -> float:
        """ROC-AUC by the rank-sum (Mann–Whitney) formula."""
        pos = outcome.astype(bool)
        n1 = int(pos.sum())
        n0 = len(outcome) - n1
        if n1 == 0 or n0 == 0:
            return float("nan")
        return float((self.ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def average_precision(weight: np.ndarray, score: np.ndarray) -> float:
    """Average precision of ``score`` with per-row positive weights (equal to scikit-learn's for 0/1)."""
    return _Ranking(score).average_precision(np.asarray(weight, float))


def redrawn_outcomes(
    score: np.ndarray,
    ceiling: np.ndarray,
    true_proba: np.ndarray,
    pr_ratio_line: float,
    roc_gap_line: float,
    draws: int = DRAWS,
    seed: int = 0,
) -> dict:
    """PR-AUC ratio and ROC-AUC gap of ``score`` to ``ceiling`` over ``draws`` outcome vectors drawn from
    ``true_proba``: mean, standard deviation, share of draws meeting each line and both."""
    model, best = _Ranking(score), _Ranking(ceiling)
    q = np.asarray(true_proba, float)
    rng = np.random.default_rng(seed)
    ratios, gaps = np.empty(draws), np.empty(draws)
    for i in range(draws):
        y = (rng.random(len(q)) < q).astype(float)
        ratios[i] = model.average_precision(y) / best.average_precision(y)
        gaps[i] = model.roc_auc(y) - best.roc_auc(y)
    pr_ok, roc_ok = ratios >= pr_ratio_line, gaps >= -roc_gap_line
    return {
        "draws": draws,
        "pr_ratio_mean": float(ratios.mean()),
        "pr_ratio_sd": float(ratios.std(ddof=1)),
        "pr_ratio_share_meeting": float(pr_ok.mean()),
        "roc_gap_mean": float(gaps.mean()),
        "roc_gap_sd": float(gaps.std(ddof=1)),
        "roc_gap_share_meeting": float(roc_ok.mean()),
        "share_meeting_both": float((pr_ok & roc_ok).mean()),
    }
