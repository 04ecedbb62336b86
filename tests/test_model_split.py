"""Time-based split: purge of overlapping label windows, embargo before calibration, random fallback."""

import datetime as dt

import polars as pl
import pytest
from model_fixtures import gold_frame

from dataflow.errors import UserError
from dataflow.model.settings import model_config
from dataflow.model.training_set import _plan_time_split, labelled_snapshots, scoring_features, training_split

MONTHS = [dt.date(2024, m, 1) for m in range(1, 11)]


def _ends(dates, days=90):
    return {d: d + dt.timedelta(days=days) for d in dates}


def test_test_snapshot_is_purged_of_overlapping_windows():
    plan = _plan_time_split(MONTHS, _ends(MONTHS), embargo_days=-1, calibration_snapshots=1)
    test = plan["test_date"]
    assert test == dt.date(2024, 10, 1)
    for d in plan["train_dates"] + plan["validation_dates"]:
        assert d + dt.timedelta(days=90) <= test, f"{d}'s label window reaches the test date"
    assert plan["purged_before_test"] == [dt.date(2024, 8, 1), dt.date(2024, 9, 1)]


def test_default_embargo_keeps_train_windows_off_the_calibration_snapshot():
    plan = _plan_time_split(MONTHS, _ends(MONTHS), embargo_days=-1, calibration_snapshots=1)
    (cal,) = plan["validation_dates"]
    assert cal == dt.date(2024, 7, 1)
    assert all(d + dt.timedelta(days=90) <= cal for d in plan["train_dates"])
    assert plan["train_dates"] == MONTHS[:4]
    no_embargo = _plan_time_split(MONTHS, _ends(MONTHS), embargo_days=0, calibration_snapshots=1)
    assert no_embargo["train_dates"] == MONTHS[:6]


def test_embargo_falls_back_to_adjacent_snapshots_when_too_few():
    dates = MONTHS[5:]  # Jun..Oct: test Oct, dev Jun & Jul only
    plan = _plan_time_split(dates, _ends(dates), embargo_days=-1, calibration_snapshots=1)
    assert plan["train_dates"] == [dt.date(2024, 6, 1)] and plan["validation_dates"] == [dt.date(2024, 7, 1)]
    assert plan["embargo_days"] == 0 and plan["embargo_requested"] == "horizon"


def test_dates_never_straddle_parts():
    gold = gold_frame(customers=400, dates=10, seed=1)
    split = training_split(
        labelled_snapshots(gold), model_config(model_overrides={"calibration_holdout": "dates"})
    )
    parts = [set(p["as_of_date"].unique().to_list()) for p in (split.train, split.validation, split.test)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert split.test["as_of_date"].n_unique() == 1
    assert split.train.height == 4 * 400 and split.test.height == 400


def test_single_snapshot_uses_a_stratified_random_split():
    gold = gold_frame(customers=2000, dates=1, seed=2, scoring=False)
    split = training_split(labelled_snapshots(gold), model_config())
    assert split.plan["method"] == "random_stratified"
    ids = [set(p["customer_id"]) for p in (split.train, split.validation, split.test)]
    assert sum(len(i) for i in ids) == 2000 and not (ids[0] & ids[2])
    rate = gold["churned_within_horizon"].mean()
    for part in (split.train, split.validation, split.test):
        assert abs(part["churned_within_horizon"].mean() - rate) < 0.01
    assert abs(split.test.height / 2000 - 0.2) < 0.01


def test_scoring_rows_are_kept_out_of_training():
    gold = gold_frame(customers=300, dates=3, seed=3)
    assert labelled_snapshots(gold)["is_scoring"].sum() == 0
    assert scoring_features(gold)["is_scoring"].all()
    with pytest.raises(UserError, match="one class"):
        training_split(
            labelled_snapshots(gold).with_columns(churned_within_horizon=pl.lit(0, pl.Int8)), model_config()
        )


def test_customer_holdout_shares_no_churn_event_between_train_and_calibration():
    gold = gold_frame(customers=3000, dates=10, seed=4)
    cfg = model_config(
        model_overrides={"calibration_holdout": "customers", "calibration_customer_share": 0.3}
    )
    split = training_split(labelled_snapshots(gold), cfg)
    plan = split.plan
    cal = dt.date.fromisoformat(plan["validation_dates"][0])
    shared = [dt.date.fromisoformat(d) for d in plan["customer_split_dates"]]
    assert shared == [dt.date(2024, 5, 1), dt.date(2024, 6, 1)]  # windows reaching the 2024-07-01 calibration
    assert all(d + dt.timedelta(days=90) > cal for d in shared)
    calib_customers = set(split.validation["customer_id"])
    assert 0.25 < len(calib_customers) / 3000 < 0.35
    overlapping_train = split.train.filter(pl.col("as_of_date").is_in(shared))
    assert not calib_customers & set(overlapping_train["customer_id"]), (
        "a calibration customer trained on a shared window"
    )
    early = split.train.filter(pl.col("as_of_date") < dt.date(2024, 5, 1))
    assert early.height == 4 * 3000  # snapshots whose windows closed before calibration keep every customer
    # the same customers form the group in every run (hash of the id, not a random draw)
    again = training_split(labelled_snapshots(gold), cfg)
    assert set(again.validation["customer_id"]) == calib_customers


def test_snapshots_with_short_contact_history_are_left_out():
    gold = gold_frame(customers=300, dates=10, seed=3)
    first_contact = dt.date(2024, 1, 1)
    gold = gold.with_columns(
        contact_history_days=(pl.col("as_of_date") - pl.lit(first_contact)).dt.total_days().cast(pl.Int32)
    )
    kept_all = training_split(labelled_snapshots(gold), model_config())
    assert "dates_short_contact_history" not in kept_all.plan
    split = training_split(
        labelled_snapshots(gold), model_config(model_overrides={"min_contact_history_days": 100})
    )
    short = [dt.date(2024, m, 1).isoformat() for m in range(1, 5)]  # 0, 31, 60 and 91 days of history
    assert split.plan["dates_short_contact_history"] == short
    for part in (split.train, split.validation, split.test, split.development):
        assert part["as_of_date"].min() >= dt.date(2024, 5, 1)
    assert split.train["as_of_date"].min() == split.matured["as_of_date"].min() == dt.date(2024, 5, 1)
    # when what remains allows no time split, every date is kept
    few = training_split(
        labelled_snapshots(gold), model_config(model_overrides={"min_contact_history_days": 250})
    )
    assert few.plan["method"] == "time" and "dates_short_contact_history" not in few.plan
    assert few.matured["as_of_date"].n_unique() == 10
