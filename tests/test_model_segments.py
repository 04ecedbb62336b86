"""Segmenting by the renewal window: the rule, the outside-window logistic regression as plain numbers, and a
segmented champion that scores, explains, saves and reloads every customer with its own segment's model."""

import json

import numpy as np
import polars as pl
import pytest
from model_fixtures import gold_frame

from dataflow.lake import Lake
from dataflow.model.champion import champion_candidate, champion_fit
from dataflow.model.evaluation import model_evaluation
from dataflow.model.explain import reason_columns, source_contributions
from dataflow.model.linear import LinearModel
from dataflow.model.recipe import customer_folds, fit_outside
from dataflow.model.registry import ChampionModel
from dataflow.model.segments import inside_renewal_window
from dataflow.model.settings import model_config
from dataflow.model.training_set import labelled_snapshots, scoring_features, training_split

FAST = {"xgb_rounds": 80, "xgb_learning_rate": 0.1}


def test_the_rule_puts_renewal_within_3_months_expired_and_unknown_inside():
    frame = pl.DataFrame({"months_to_renewal": [-2.0, 0.0, 1.5, 3.0, 3.01, 6.0, 11.9, None]})
    assert inside_renewal_window(frame).tolist() == [True, True, True, True, False, False, False, True]


def test_logistic_regression_is_plain_numbers_with_exact_additive_contributions():
    rng = np.random.default_rng(3)
    n = 20_000
    frame = pl.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "tenure_months": rng.uniform(0, 120, n),
            "is_high_competition_province": rng.integers(0, 2, n),
            "sales_channel": rng.choice(["Own Website", "Door to Door"], n),
        }
    ).with_columns(  # a missing tenure is imputed with the median
        tenure_months=pl.when(pl.int_range(n) % 50 == 0).then(None).otherwise(pl.col("tenure_months"))
    )
    logit = (
        -4
        + 1.0 * frame["is_high_competition_province"].to_numpy()
        - 0.01 * frame["tenure_months"].fill_null(60)
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))).astype(int)
    features = ["tenure_months", "is_high_competition_province", "sales_channel"]
    model = LinearModel.fit(frame, y, features, 1.0)
    z = dict(zip(model.encoder.columns, model.coef, strict=True))
    # standardised coefficients: a 0/1 cause with log-odds effect 1 and share 1/2 → about 1 × 0.5 = 0.5
    assert z["is_high_competition_province"] == pytest.approx(0.5, abs=0.12)
    assert z["tenure_months"] < 0  # shorter tenure → more churn, as generated
    contributions = model.column_contributions(frame)
    np.testing.assert_allclose(contributions.sum(axis=1) + model.intercept, model.margin(frame), atol=1e-9)
    again = LinearModel.from_dict(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_array_equal(again.margin(frame), model.margin(frame))


def test_the_strength_is_chosen_by_out_of_fold_log_loss():
    """On labels unrelated to the features the strongest regularisation wins; on a strong cause a weak one.
    The calibrated out-of-fold probabilities come from regressions that never saw the customer."""
    rows = gold_frame(customers=3000, dates=2, seed=5, scoring=False)
    rng = np.random.default_rng(6)
    cfg = model_config(model_overrides={"outside_window_c_grid": [1e-4, 1.0]})
    folds = customer_folds(rows, cfg.calibration_folds, "calibration")
    on_cal = (rows["as_of_date"] == rows["as_of_date"].max()).to_numpy()
    noise = (rng.random(rows.height) < 0.05).astype(int)
    model, p = fit_outside(rows, noise, on_cal, folds, cfg)
    assert model.linear.c == 1e-4 and p.shape == (on_cal.sum(),)
    logit = -3 + 0.08 * rows["tenure_months"].to_numpy()
    signal = (rng.random(rows.height) < 1 / (1 + np.exp(-np.clip(logit, -30, 30)))).astype(int)
    model, p = fit_outside(rows, signal, on_cal, folds, cfg)
    assert model.linear.c == 1.0 and model.fitted_on["positives"] == signal.sum()
    # out-of-fold: the held-out group's probabilities differ from the full model's (it saw them)
    full = model.calibrator(model.margin(rows.filter(pl.Series(on_cal))))
    assert not np.allclose(full, p)
    assert np.corrcoef(full, p)[0, 1] > 0.95  # but rank the same way


@pytest.fixture(scope="module")
def segmented():
    gold = gold_frame(customers=2500, dates=10, seed=11)
    cfg = model_config(model_overrides=FAST)
    assert cfg.segment_by_renewal_window
    split = training_split(labelled_snapshots(gold), cfg)
    fit = champion_fit(split, cfg)
    evaluation = model_evaluation(fit, split)
    return gold, split, fit, champion_candidate(fit, evaluation, split, cfg, "run-seg")


def test_each_customer_is_scored_by_its_segments_model(segmented):
    gold, _, fit, cand = segmented
    rows = scoring_features(gold)
    outside = ~inside_renewal_window(rows)
    assert 0.5 < outside.mean() < 0.9  # renewal days spread over the year: ~3/4 outside the window
    assert cand.outside_window is not None and (cand.outside(rows) == outside).all()
    p = cand.predict_proba(rows)
    out, ins = rows.filter(pl.Series(outside)), rows.filter(pl.Series(~outside))
    np.testing.assert_allclose(p[outside], cand.outside_window.predict_proba(out))
    np.testing.assert_allclose(p[~outside], cand.calibrator(cand.booster_margin(ins)))
    # the refit reuses the evaluated model's strength; each fit records both segments
    assert cand.outside_window.linear.c == fit.outside_window.linear.c
    seg = cand.metrics["served_model_fitted_on"]["segments"]
    assert seg["rule"] == "renewal window" and seg["outside_window"]["rows"] > 0
    # outside the window the fixture's churn odds fall with tenure (−0.015 log-odds a month): learnt with its sign
    assert (
        cand.outside_window.linear.coef[cand.outside_window.linear.encoder.columns.index("tenure_months")] < 0
    )


def test_reason_codes_exist_for_both_segments_and_add_up_to_the_margin(segmented):
    gold, _, _, cand = segmented
    rows = scoring_features(gold)
    contrib, bias, features = source_contributions(cand, rows)
    np.testing.assert_allclose(contrib.sum(axis=1) + bias, cand.margin(rows), atol=1e-3)
    outside = cand.outside(rows)
    reasons = reason_columns(cand, rows)
    assert reasons["reason_1"].null_count() == 0
    for mask in (outside, ~outside):
        codes = set(reasons.filter(pl.Series(mask))["reason_1"].to_list())
        assert codes - {"no_strong_driver"}, "some customers of each segment get a real reason"
    tenure = features.index("tenure_months")
    young = outside & (rows["tenure_months"].to_numpy() < 5)
    assert (contrib[young, tenure] > 0).all()  # short tenure raises the risk outside the window


def test_segmented_model_round_trips_without_pickle_and_scores_identically(segmented, tmp_path):
    gold, _, _, cand = segmented
    lake = Lake.open(str(tmp_path))
    cand.write_to(lake, "runs/run-seg/model/")
    assert lake.list("runs/run-seg/model/") == [
        "runs/run-seg/model/champion.json",
        "runs/run-seg/model/champion.ubj",
    ]
    meta = lake.read_json("runs/run-seg/model/champion.json")
    assert meta["outside_renewal_window"]["rule"] == "renewal_window"
    again = ChampionModel.read_from(lake, "runs/run-seg/model/")
    rows = scoring_features(gold)
    np.testing.assert_allclose(again.predict_proba(rows), cand.predict_proba(rows), atol=1e-6)
    assert reason_columns(again, rows).equals(reason_columns(cand, rows))


def test_without_segmentation_the_booster_scores_every_row():
    gold = gold_frame(customers=1500, dates=8, seed=12)
    cfg = model_config(model_overrides={**FAST, "segment_by_renewal_window": False})
    split = training_split(labelled_snapshots(gold), cfg)
    fit = champion_fit(split, cfg)
    rows = scoring_features(gold)
    assert fit.outside_window is None and not fit.outside(rows).any()
    np.testing.assert_allclose(fit.predict_proba(rows), fit.calibrator(fit.booster_margin(rows)))
    assert fit.metrics["fitted_on"]["segments"]["rule"].startswith("off")


def test_bad_segment_settings_and_a_tampered_model_file_are_clear_errors(segmented, tmp_path):
    from dataflow.errors import UserError
    from dataflow.model.registry import CHAMPION_KEY, RegistryEntry

    with pytest.raises(UserError, match="outside_window_experiment must be one of"):
        model_config(model_overrides={"outside_window_experiment": "E42"})
    with pytest.raises(UserError, match="outside_window_c_grid"):
        model_config(model_overrides={"outside_window_c_grid": [0.0]})
    _, _, _, cand = segmented
    lake = Lake.open(str(tmp_path))
    cand.write_to(lake, "runs/run-seg/model/")
    meta = lake.read_json("runs/run-seg/model/champion.json")
    meta["outside_renewal_window"]["rule"] = "tenure"
    lake.write_json("runs/run-seg/model/champion.json", meta)
    lake.write_json(CHAMPION_KEY, {"run_id": "run-seg"})
    with pytest.raises(UserError, match="cannot be read .*unknown segment rule 'tenure'"):
        RegistryEntry.load(lake)
