"""Training on a large book: every churner, a customer-hashed sample of the non-churners, weighted back.

The weights must make the sampled set stand for the whole one (Σ weights of the non-churners = their original
count, exactly), and a booster and calibrator fitted with them must give probabilities whose mean is the true
base rate, where the same fit without weights overstates it several times over.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest
from model_fixtures import gold_frame

from dataflow.model.calibration import Calibrator
from dataflow.model.recipe import fit_recipe, model_features
from dataflow.model.sampling import LABEL, WEIGHT, sample_non_churners
from dataflow.model.settings import model_config
from dataflow.model.training_set import labelled_snapshots, training_split


def _frame(customers: int = 100, dates: int = 3) -> pl.DataFrame:
    """``customers`` × ``dates`` rows; customer c churns on the last date when c is a multiple of 10."""
    rows = [
        {"customer_id": f"C{c:04d}", "as_of_date": d, LABEL: int(d == dates - 1 and c % 10 == 0)}
        for c in range(customers)
        for d in range(dates)
    ]
    return pl.DataFrame(rows)


def test_small_frames_are_left_alone():
    frame = _frame()
    for cap in (0, frame.height, frame.height + 1):
        kept, info = sample_non_churners(frame, cap, seed=1)
        assert kept.equals(frame) and WEIGHT not in kept.columns and info == {}


def test_every_churner_is_kept_and_weights_restore_the_non_churner_count():
    frame = _frame()  # 300 rows: 10 churners, 290 non-churners
    kept, info = sample_non_churners(frame, 100, seed=1)
    churners = kept.filter(pl.col(LABEL) == 1)
    others = kept.filter(pl.col(LABEL) == 0)
    assert churners.height == 10 and churners[WEIGHT].to_list() == [1.0] * 10
    # share asked: (100 − 10) / 290 of the non-churners, drawn per customer (all dates of a customer or none)
    assert 0 < others.height < 290
    assert others[WEIGHT].n_unique() == 1
    assert others[WEIGHT].sum() == pytest.approx(290.0, abs=1e-9)
    assert info["non_churners_before"] == 290 and info["non_churners_kept"] == others.height
    assert info["non_churner_weight"] == 290 / others.height
    # a kept customer keeps all its non-churner rows (2 or 3 dates), a dropped one none
    churner_ids = set(churners["customer_id"])
    for cid, n in others.group_by("customer_id").len().iter_rows():
        assert n == (2 if cid in churner_ids else 3)


def test_the_sample_depends_on_the_customers_not_on_row_order_and_changes_with_the_seed():
    frame = _frame(customers=400)
    kept, _ = sample_non_churners(frame, 300, seed=7)
    shuffled, _ = sample_non_churners(frame.sample(fraction=1.0, shuffle=True, seed=3), 300, seed=7)
    other_seed, _ = sample_non_churners(frame, 300, seed=8)
    ids = set(kept["customer_id"])
    assert set(shuffled["customer_id"]) == ids
    assert set(other_seed["customer_id"]) != ids


def test_weighted_platt_calibration_gives_the_base_rate():
    # 200,000 rows, base rate ≈ 5%: the score is the true log-odds plus noise
    rng = np.random.default_rng(0)
    n = 200_000
    logit = rng.normal(-3.3, 1.0, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pl.DataFrame({"customer_id": [f"C{i}" for i in range(n)], LABEL: y, "score": logit})
    kept, info = sample_non_churners(frame, 30_000, seed=42)
    assert info["rows"] < 35_000
    s, yk, w = kept["score"].to_numpy(), kept[LABEL].to_numpy(), kept[WEIGHT].to_numpy()
    weighted = Calibrator.fit(s, yk, "sigmoid", w)
    unweighted = Calibrator.fit(s, yk, "sigmoid")
    base_rate = y.mean()
    # the weighted fit's intercept equation makes Σ w·p = Σ w·y on the sample, which is the full base rate
    # exactly; on the full frame the mean differs only by which non-churners were drawn: about
    # sd(p) / √(kept non-churners) ≈ 0.04 / √25,000 ≈ 0.0003, so 0.002 (4% of the rate) is a wide margin
    assert abs(weighted(frame["score"].to_numpy()).mean() - base_rate) < 0.002
    assert abs(weighted.a - 1.0) < 0.1  # the score is the true log-odds: slope ≈ 1 with weights too
    assert unweighted(frame["score"].to_numpy()).mean() > 3 * base_rate  # what the weights correct


def test_forced_sampling_trains_a_calibrated_champion():
    frame = labelled_snapshots(gold_frame(customers=2500, dates=8, seed=4))
    cfg = dataclasses.replace(model_config(), max_train_rows=6000, xgb_rounds=60, xgb_early_stopping_rounds=0)
    split = training_split(frame, cfg)
    dev = split.development
    sampling = split.plan["non_churner_sampling"]["development"]
    assert WEIGHT in dev.columns and dev.height == sampling["rows"] < sampling["rows_before"]
    assert split.test.height == frame.filter(pl.col("as_of_date") == frame["as_of_date"].max()).height
    model = fit_recipe(dev, model_features(cfg.champion_experiment, "tree"), cfg)
    full_dev = frame.filter(pl.col("as_of_date").cast(pl.Utf8).is_in(split.plan["development_dates"]))
    mean_p = model.predict_proba(full_dev).mean()
    rate = full_dev[LABEL].cast(pl.Float64).mean()
    # calibrated on 3 dates' out-of-fold rows (~2,000 weighted rows): allow 20% of the rate; the unweighted
    # sample's own churn share is more than twice the rate, so a missing weight fails this
    assert abs(mean_p - rate) < 0.2 * rate
    assert dev[LABEL].cast(pl.Float64).mean() > 2 * rate
