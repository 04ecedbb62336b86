"""Calibration maps scores to honest probabilities; the threshold rule maximises precision at recall ≥ 0.70."""

import numpy as np
import pytest

from dataflow.model.calibration import Calibrator, choose_threshold, sigmoid
from dataflow.model.metrics import expected_calibration_error, summary


def _world(n=20000, seed=0):
    rng = np.random.default_rng(seed)
    true_logit = rng.normal(-2.5, 1.5, n)
    y = (rng.random(n) < sigmoid(true_logit)).astype(int)
    return true_logit, y


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrator_repairs_an_overconfident_score(method):
    true_logit, y = _world()
    score = 3.0 * true_logit + 4.0  # a badly scaled and shifted model score, same ranking
    fit, hold = slice(0, 10000), slice(10000, None)
    assert expected_calibration_error(y[hold], sigmoid(score[hold])) > 0.1
    cal = Calibrator.fit(score[fit], y[fit], method)
    p = cal(score[hold])
    assert expected_calibration_error(y[hold], p) < 0.015
    assert ((p >= 0) & (p <= 1)).all()
    again = Calibrator.from_dict(cal.to_dict())
    np.testing.assert_allclose(again(score[hold]), p)


def test_sigmoid_calibration_keeps_the_ranking():
    true_logit, y = _world(seed=1)
    cal = Calibrator.fit(true_logit, y, "sigmoid")
    assert cal.a > 0
    assert summary(y, cal(true_logit))["roc_auc"] == pytest.approx(summary(y, sigmoid(true_logit))["roc_auc"])


def test_threshold_is_the_highest_precision_with_recall_at_least_target():
    true_logit, y = _world(seed=2)
    p = sigmoid(true_logit)
    t = choose_threshold(y, p, "precision_at_recall", 0.70)
    assert t["rule"] == "precision_at_recall" and t["recall"] >= 0.70
    pred = p >= t["threshold"]
    assert (pred & (y == 1)).sum() / (y == 1).sum() == pytest.approx(t["recall"])
    # brute force over every candidate threshold: none with recall ≥ 0.70 has higher precision
    for thr in np.unique(p)[::50]:
        sel = p >= thr
        rec = (sel & (y == 1)).sum() / (y == 1).sum()
        if rec >= 0.70:
            assert (sel & (y == 1)).sum() / sel.sum() <= t["precision"] + 1e-12


def test_threshold_falls_back_to_best_f1_when_recall_target_is_unreachable():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.9])
    t = choose_threshold(y, p, "precision_at_recall", 1.01)
    assert (
        t["rule"] == "f1_fallback" and t["threshold"] == pytest.approx(0.3) and t["f1"] == pytest.approx(1.0)
    )
