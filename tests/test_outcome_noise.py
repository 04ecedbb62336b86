"""Outcome noise in the truth comparison: metrics against scikit-learn and by hand, and the redraw spread."""

import numpy as np
import pytest
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, roc_auc_score

from dataflow.model.bootstrap import average_precision
from dataflow.outcome_noise import redrawn_outcomes, roc_auc


def test_ranking_metrics_by_hand_and_against_sklearn():
    # positives scored 0.9 and 0.5, negatives 0.5 and 0.1: pairs won 1 + 1 + ½ (the tie) + 1 of 4
    s4 = np.array([0.9, 0.5, 0.5, 0.1])
    assert roc_auc(rankdata(s4), np.array([1.0, 0.0, 1.0, 0.0])) == pytest.approx(3.5 / 4)
    # thresholds 0.9 (recall ½, precision 1) and 0.5 (recall 1, precision ⅔)
    assert average_precision(np.array([1.0, 0.0, 1.0, 0.0]), s4)[0] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    rng = np.random.default_rng(5)
    score = np.round(rng.random(3000), 2)  # with ties
    ranks = rankdata(score)
    for _ in range(3):
        y = (rng.random(3000) < 0.05 + 0.2 * score).astype(float)
        assert average_precision(y, score)[0] == pytest.approx(average_precision_score(y, score))
        assert roc_auc(ranks, y) == pytest.approx(roc_auc_score(y, score))


def test_the_ceiling_against_itself_never_varies():
    rng = np.random.default_rng(1)
    c = rng.beta(0.5, 20, 4000)
    out = redrawn_outcomes(c, c, c, 0.90, 0.02, draws=50)
    assert out["pr_ratio_mean"] == pytest.approx(1.0) and out["pr_ratio_sd"] == pytest.approx(0.0)
    assert out["roc_gap_mean"] == pytest.approx(0.0) and out["share_meeting_both"] == 1.0


def test_certain_outcomes_give_one_answer_every_draw():
    # true probabilities 0 or 1: every draw is the same outcome vector, so the spread is zero and the mean is
    # the ratio on that vector
    rng = np.random.default_rng(2)
    y = (rng.random(2000) < 0.1).astype(float)
    ceiling = np.clip(y * 0.6 + rng.random(2000) * 0.5, 0, 1)
    model = np.clip(y * 0.3 + rng.random(2000) * 0.5, 0, 1)
    out = redrawn_outcomes(model, ceiling, y, 0.90, 0.02, draws=20)
    expected = average_precision_score(y, model) / average_precision_score(y, ceiling)
    assert out["pr_ratio_mean"] == pytest.approx(expected) and out["pr_ratio_sd"] == pytest.approx(0.0)
    assert out["roc_gap_mean"] == pytest.approx(roc_auc_score(y, model) - roc_auc_score(y, ceiling))
    assert out["pr_ratio_share_meeting"] == float(expected >= 0.90)


def test_a_weaker_model_varies_and_sometimes_misses():
    # a model that is the ceiling blurred by noise: below 1× on average, and with ~100 churners its ratio
    # moves between draws enough that some draws meet the 0.90 line and some do not
    rng = np.random.default_rng(3)
    q = 1 / (1 + np.exp(-rng.normal(-4.2, 1.3, 5000)))
    model = 1 / (1 + np.exp(-(np.log(q / (1 - q)) + rng.normal(0, 0.45, 5000))))
    out = redrawn_outcomes(model, q, q, 0.90, 0.02, draws=200, seed=4)
    assert 0.8 < out["pr_ratio_mean"] < 1.0 and out["pr_ratio_sd"] > 0.01
    assert 0.0 < out["pr_ratio_share_meeting"] < 1.0
    assert out["share_meeting_both"] <= min(out["pr_ratio_share_meeting"], out["roc_gap_share_meeting"])
    assert out == redrawn_outcomes(model, q, q, 0.90, 0.02, draws=200, seed=4)  # seeded: repeatable
