"""Drift monitor: effect sizes against a binned training reference flag exactly what moved."""

import json

import numpy as np
import polars as pl
import pytest

from dataflow.aws.alerts import send_drift_alert
from dataflow.model.drift_reference import CALENDAR_FEATURES, DRIFT_SCHEMA, Profile, Reference
from dataflow.monitor.drift import drift_alert


def _frame(n, seed, shift=None):
    rng = np.random.default_rng(seed)
    cols = {
        "tenure_months": rng.gamma(3.0, 15.0, n),
        "months_to_renewal": rng.uniform(-1, 12, n),
        "avg_monthly_elec_kwh_12m": rng.lognormal(5, 0.6, n),
        "elec_price_trend_12m": rng.normal(0.03, 0.05, n),
        "is_price_increase": (rng.random(n) < 0.6).astype(np.int8),
        "segment": rng.choice(["Residential", "SME", "Corporate"], n, p=[0.9, 0.08, 0.02]),
    }
    if shift:
        name, sigmas = shift
        cols[name] = cols[name] + sigmas * cols[name].std()
    return pl.DataFrame(cols)


FEATURES = [
    "tenure_months",
    "months_to_renewal",
    "avg_monthly_elec_kwh_12m",
    "elec_price_trend_12m",
    "is_price_increase",
    "segment",
]


@pytest.fixture(scope="module")
def reference():
    train = _frame(20000, 0)
    return Reference.build(train, FEATURES, np.random.default_rng(1).beta(1, 9, 20000))


@pytest.mark.parametrize(
    "feature", ["tenure_months", "months_to_renewal", "avg_monthly_elec_kwh_12m", "elec_price_trend_12m"]
)
def test_half_sigma_shift_flags_that_feature_and_no_other(reference, feature):
    current = _frame(20000, 7, shift=(feature, 0.5))
    preds = np.random.default_rng(8).beta(1, 9, 20000)
    report = Reference.compare(reference, current, preds, psi_threshold=0.2, ks_threshold=0.1)
    flagged = report.filter(pl.col("drifted"))["feature"].to_list()
    assert flagged == [feature]
    row = report.filter(pl.col("feature") == feature).row(0, named=True)
    assert row["ks_statistic"] > 0.1
    # unshifted columns: tiny effect sizes even though 20,000 rows make p-values twitchy
    calm = report.filter(pl.col("feature") != feature)
    assert calm["psi"].max() < 0.02 and calm["ks_statistic"].drop_nulls().max() < 0.03


def test_unchanged_data_flags_nothing(reference):
    report = Reference.compare(
        reference, _frame(5000, 3), np.random.default_rng(4).beta(1, 9, 5000), 0.2, 0.1
    )
    assert not report["drifted"].any()
    assert set(report["kind"]) == {"input", "prediction"} and report.height == len(FEATURES) + 1


def test_p_value_is_reported_but_never_the_trigger(reference):
    current = _frame(20000, 5, shift=("tenure_months", 0.08))  # real but tiny shift
    report = Reference.compare(reference, current, np.random.default_rng(6).beta(1, 9, 20000), 0.2, 0.1)
    row = report.filter(pl.col("feature") == "tenure_months").row(0, named=True)
    assert row["ks_pvalue"] < 0.01 and not row["drifted"]


def test_categorical_drift_by_category_frequencies(reference):
    current = _frame(20000, 9).with_columns(
        segment=pl.Series(
            np.random.default_rng(10).choice(["Residential", "SME", "Corporate"], 20000, p=[0.6, 0.3, 0.1])
        )
    )
    report = Reference.compare(reference, current, np.random.default_rng(11).beta(1, 9, 20000), 0.2, 0.1)
    row = report.filter(pl.col("feature") == "segment").row(0, named=True)
    assert row["drifted"] and row["psi"] > 0.2 and row["ks_statistic"] is None


def test_prediction_drift_is_monitored(reference):
    report = Reference.compare(
        reference, _frame(5000, 12), np.random.default_rng(13).beta(2, 6, 5000), 0.2, 0.1
    )
    assert report.filter(pl.col("drifted"))["feature"].to_list() == ["churn_proba"]


def test_reference_stores_bins_not_raw_values(reference):
    size = len(json.dumps(reference))
    assert size < 40_000, "the reference must not grow with the customer base"
    prof = Profile.build(pl.Series("x", [1.0, None, 2.0, 3.0]), categorical=False)
    assert prof["null_share"] == pytest.approx(0.25) and prof["n"] == 4


def test_null_share_is_its_own_check(reference):
    current = _frame(20000, 14).with_columns(
        elec_price_trend_12m=pl.when(pl.int_range(pl.len()) % 4 == 0)
        .then(None)
        .otherwise(pl.col("elec_price_trend_12m"))
    )
    report = Reference.compare(
        reference, current, np.random.default_rng(15).beta(1, 9, 20000), 0.2, 0.1, 0.10
    )
    row = report.filter(pl.col("feature") == "elec_price_trend_12m").row(0, named=True)
    # the present values are unchanged (small PSI), the 25% of missing values alarms by itself
    assert row["psi"] < 0.02 and row["null_share_current"] == pytest.approx(0.25)
    assert row["drifted"] and "share of missing values 0% → 25%" in row["reason"]
    assert report.filter(pl.col("drifted"))["feature"].to_list() == ["elec_price_trend_12m"]
    quiet = Reference.compare(reference, current, np.random.default_rng(15).beta(1, 9, 20000), 0.2, 0.1, 0.30)
    assert not quiet["drifted"].any()


def test_calendar_features_are_reported_but_never_alarmed(reference):
    current = _frame(20000, 16, shift=("elec_price_trend_12m", 2.0))
    preds = np.random.default_rng(17).beta(1, 9, 20000)
    calendar = {"elec_price_trend_12m": "a function of the date in this test"}
    report = Reference.compare(reference, current, preds, 0.2, 0.1, calendar=calendar)
    row = report.filter(pl.col("feature") == "elec_price_trend_12m").row(0, named=True)
    assert row["kind"] == "calendar" and not row["drifted"] and row["psi"] > 1
    assert row["reason"].startswith("not alarmed: a function of the as-of date")
    assert set(CALENDAR_FEATURES) >= {"province_elec_cost_trend_12m"}


def test_usual_calendar_movement_is_not_alarmed_but_more_is(reference):
    current = _frame(20000, 18, shift=("tenure_months", 0.5))
    preds = np.random.default_rng(19).beta(1, 9, 20000)
    flagged = Reference.compare(reference, current, preds, 0.2, 0.1).filter(pl.col("drifted"))
    psi = flagged["psi"][0]
    # the labelled history shows tenure moving as much over the same span: not alarmed, and it says why
    usual = {**reference, "_history": {"tenure_months": {"psi": psi, "ks": 0.3, "null": 0.0}}}
    usual["_history_span"] = "3 months (2024-07-01→2024-10-01)"
    row = (
        Reference.compare(usual, current, preds, 0.2, 0.1)
        .filter(pl.col("feature") == "tenure_months")
        .row(0, named=True)
    )
    assert not row["drifted"] and "within the usual movement over 3 months" in row["reason"]
    # twice the usual movement would alarm: a history of half of today's PSI does not hide it
    half = {**usual, "_history": {"tenure_months": {"psi": psi / 4, "ks": 0.01, "null": 0.0}}}
    row = (
        Reference.compare(half, current, preds, 0.2, 0.1)
        .filter(pl.col("feature") == "tenure_months")
        .row(0, named=True)
    )
    assert row["drifted"] and row["reason"].startswith("distribution moved")


class _Recorder:
    """An alert channel that records what it is given (stands in for the Alerter's SNS/CloudWatch)."""

    def __init__(self):
        self.alerts, self.metric_calls = [], []

    def alert(self, subject, message, severity="warning", details=None):
        self.alerts.append((subject, severity, details))

    def metrics(self, values):
        self.metric_calls.append(values)


def test_drift_alert_is_a_verdict_and_sending_it_is_separate():
    frame = pl.DataFrame(
        {
            "feature": ["a", "b", "churn_proba"],
            "kind": ["input", "input", "prediction"],
            "psi": [0.5, 0.01, 0.01],
            "ks_statistic": [0.3, 0.01, 0.02],
            "ks_pvalue": [0.0, 0.5, 0.4],
            "null_share_reference": [0.0] * 3,
            "null_share_current": [0.0] * 3,
            "drifted": [True, False, False],
            "reason": ["distribution moved: PSI 0.50 (alarm > 0.20)", "", ""],
            "reference_n": [10] * 3,
            "current_n": [10] * 3,
            "reference_date": ["2024-10-01"] * 3,
        },
        schema=DRIFT_SCHEMA,
    )
    out = drift_alert(frame)
    assert out["features_drifted"] == 1 and out["alarm"] and out["drifted"] == ["a"]
    assert out["lines"] == ["a (input): distribution moved: PSI 0.50 (alarm > 0.20)"]
    rec = _Recorder()
    assert send_drift_alert(out, rec, "run-1")
    assert rec.metric_calls[0]["FeaturesDrifted"] == 1.0 and rec.alerts[0][2]["drifted_features"] == ["a"]
    quiet = _Recorder()
    assert not send_drift_alert(drift_alert(frame.with_columns(drifted=pl.lit(False))), quiet, "run-2")
    assert quiet.alerts == [] and quiet.metric_calls[-1]["FeaturesDrifted"] == 0.0
