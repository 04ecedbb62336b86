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

from dataflow.model.bootstrap import average_precision

DRAWS = 200


def roc_auc(ranks: np.ndarray, outcome: np.ndarray) -> float:
    """ROC-AUC by the rank-sum (Mann–Whitney) formula, from the scores' average ranks (ties count one half)."""
    pos = outcome.astype(bool)
    n1 = int(pos.sum())
    n0 = len(outcome) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _sorted(score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The descending order of ``score``, the scores in that order, and their average ranks: worked out once
    for every draw (PR-AUC on already sorted scores sorts in one pass)."""
    score = np.asarray(score, float)
    order = np.argsort(-score, kind="mergesort")
    return order, score[order], rankdata(score)


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
    (m_order, m_sorted, m_ranks), (c_order, c_sorted, c_ranks) = _sorted(score), _sorted(ceiling)
    q = np.asarray(true_proba, float)
    rng = np.random.default_rng(seed)
    ratios, gaps = np.empty(draws), np.empty(draws)
    for i in range(draws):
        y = (rng.random(len(q)) < q).astype(float)
        ratios[i] = average_precision(y[m_order], m_sorted)[0] / average_precision(y[c_order], c_sorted)[0]
        gaps[i] = roc_auc(m_ranks, y) - roc_auc(c_ranks, y)
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
