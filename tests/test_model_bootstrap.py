"""The promotion gate's PR-AUC on bootstrap resamples: the fast path (precision only where recall moves, counts
as 32-bit integers) gives bit for bit the numbers of the plain computation over every tie group."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from dataflow.model.bootstrap import _average_precision_dense, average_precision, paired_bootstrap


def _data(n: int = 4000, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.04).astype(int)
    score = np.round(rng.random(n) + 0.3 * y, 2)  # rounded: many tied scores, churners among them
    return rng, y, score


def test_fast_path_equals_the_dense_sum_bit_for_bit():
    rng, y, score = _data()
    counts = rng.integers(0, 4, size=(7, y.size))
    fast = average_precision(y, score, counts)
    dense = _average_precision_dense(y.astype(float), score, counts.astype(float))
    assert np.array_equal(fast, dense)
    assert np.array_equal(
        average_precision(y, score), _average_precision_dense(y.astype(float), score, np.ones((1, y.size)))
    )


def test_fast_path_matches_scikit_learn_with_weights():
    rng, y, score = _data(seed=1)
    w = rng.integers(0, 3, size=y.size)
    assert average_precision(y, score, w[None])[0] == pytest.approx(
        average_precision_score(y, score, sample_weight=w), rel=1e-12
    )


def test_no_churner_gives_nan_and_fractional_weights_take_the_dense_path():
    _, y, score = _data()
    assert np.isnan(average_precision(np.zeros_like(y), score)[0])
    w = np.full((1, y.size), 0.5)
    assert np.array_equal(average_precision(y, score, w), _average_precision_dense(y.astype(float), score, w))


def test_paired_bootstrap_equals_the_plain_resampling_loop():
    _, y, score = _data(n=3000, seed=2)
    other = np.round(score + np.random.default_rng(5).normal(0, 0.2, y.size), 2)
    boot = paired_bootstrap(y, {"a": score, "b": other}, 120, seed=9)
    # the same resamples drawn the plain way: 50 at a time, counts per row, every tie group summed
    rng, n, done, ref = np.random.default_rng(9), y.size, 0, {"a": [], "b": []}
    while done < 120:
        b = min(50, 120 - done)
        idx = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(float)
        for name, s in (("a", score), ("b", other)):
            ref[name].append(_average_precision_dense(y.astype(float), s, counts))
        done += b
    for name in ("a", "b"):
        assert np.array_equal(boot[name], np.concatenate(ref[name]))
