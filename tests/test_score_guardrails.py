"""Guardrails of scores and offers as properties: margin-safe offers, probabilities in [0, 1], reasons never
empty, a stable control group and a contact budget that keeps the most valuable offers."""

import math
import re

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_fixtures import gold_frame

from dataflow.model.champion import champion_candidate, champion_fit
from dataflow.model.evaluation import model_evaluation
from dataflow.model.metrics import risk_tier
from dataflow.model.settings import model_config
from dataflow.model.training_set import labelled_snapshots, scoring_features, training_split
from dataflow.score.offers import NO_OFFER, OFFER_POLICY, build_offers, control_draw
from dataflow.score.recommendations import recommendations
from dataflow.score.scoring import scores

CFG = model_config()
margins = st.one_of(st.none(), st.floats(-5000, 5000, allow_nan=False), st.just(float("nan")), st.just(0.0))
rows = st.lists(st.tuples(st.floats(0, 1), margins), min_size=1, max_size=60)


def _scores(pairs) -> pl.DataFrame:
    """A scores-like frame built the way the scores node builds it."""
    frame = pl.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(len(pairs))],
            "churn_proba": [p for p, _ in pairs],
            "avg_monthly_margin_12m": [m for _, m in pairs],
            "segment": "Residential",
            "reason_text_1": "renewal within 3 months",
            "reason_text_2": None,
            "reason_text_3": None,
        },
        schema_overrides={
            "avg_monthly_margin_12m": pl.Float64,
            "reason_text_2": pl.String,
            "reason_text_3": pl.String,
        },
    )
    margin = pl.max_horizontal(pl.col("avg_monthly_margin_12m").fill_null(0.0).fill_nan(0.0), 0.0)
    return frame.with_columns(
        risk_tier=risk_tier(pl.col("churn_proba"), CFG.risk_tiers),
        expected_monthly_loss=pl.col("churn_proba") * margin,
    )


@given(rows)
@settings(max_examples=150, deadline=None)
def test_offers_are_margin_safe(pairs):
    offers = build_offers(_scores(pairs), CFG)
    months = CFG.months_protected
    for r in offers.to_dicts():
        m = r["avg_monthly_margin_12m"]
        if m is None or math.isnan(m) or m <= 0:  # no offer to a customer who does not earn us money
            assert r["action"] == NO_OFFER and r["offer_cost_eur"] == 0 and not r["selected"]
        assert (
            0 <= r["offer_cost_eur"] <= r["expected_monthly_loss"] * months + 1e-9
        )  # never above what it protects
        assert r["expected_net_value_eur"] == pytest.approx(
            r["save_rate"] * r["expected_monthly_loss"] * months - r["offer_cost_eur"], abs=1e-6
        )
        if r["selected"]:
            assert r["action"] != NO_OFFER and not r["is_control"] and r["expected_net_value_eur"] > 0
        policy = OFFER_POLICY.filter(pl.col("risk_tier") == r["risk_tier"]).row(0, named=True)
        if r["action"] != NO_OFFER:
            assert r["action"] == policy["action"] and r["timing_window"] == policy["timing_window"]


@given(rows, st.integers(1, 20))
@settings(max_examples=100, deadline=None)
def test_contact_budget_keeps_the_highest_value_offers(pairs, budget):
    cfg = model_config(model_overrides={"contact_budget": budget})
    offers = build_offers(_scores(pairs), cfg)
    chosen = offers.filter(pl.col("selected"))
    eligible = offers.filter(
        (pl.col("action") != NO_OFFER) & ~pl.col("is_control") & (pl.col("expected_net_value_eur") > 0)
    )
    assert chosen.height == min(budget, eligible.height)
    if chosen.height and eligible.height > chosen.height:
        left_out = eligible.join(chosen, on="customer_id", how="anti")
        assert chosen["expected_net_value_eur"].min() >= left_out["expected_net_value_eur"].max()


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30, unique=True))
@settings(max_examples=50, deadline=None)
def test_control_group_is_fixed_by_customer_id(ids):
    a = [control_draw(i) for i in ids]
    assert a == [control_draw(i) for i in reversed(ids)][::-1]
    assert all(0 <= x < 1 for x in a)


def test_control_share_is_about_five_percent():
    draws = np.array([control_draw(f"ES{i:07d}") for i in range(20000)])
    assert abs((draws < 0.05).mean() - 0.05) < 0.005


@pytest.fixture(scope="module")
def served():
    gold = gold_frame(customers=1500, dates=10, seed=21)
    cfg = model_config(model_overrides={"xgb_rounds": 60, "xgb_learning_rate": 0.15})
    split = training_split(labelled_snapshots(gold), cfg)
    fit = champion_fit(split, cfg)
    return gold, champion_candidate(fit, model_evaluation(fit, split), split, cfg, "run-g")


NUMERIC = ["months_to_renewal", "tenure_months", "elec_price_trend_12m", "last_interaction_days_ago"]


@given(
    st.lists(
        st.tuples(
            *[st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)) for _ in NUMERIC],
            st.sampled_from(["Residential", "SME", "Corporate", "Unseen"]),
        ),
        min_size=1,
        max_size=25,
    )
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_scores_are_probabilities_with_reasons_for_any_feature_values(served, values):
    gold, model = served
    base = scoring_features(gold).head(len(values))
    edited = base.with_columns(
        *[pl.Series(name, [v[i] for v in values], dtype=pl.Float64) for i, name in enumerate(NUMERIC)],
        segment=pl.Series([v[-1] for v in values]),
    )
    out = scores(edited, model, CFG)
    assert out.height == edited.height
    assert out["churn_proba"].is_between(0, 1).all()
    assert out["reason_1"].null_count() == 0 and (out["reason_text_1"].str.len_chars() > 0).all()
    # one notion of "at risk": churn_pred is exactly the action tiers (Critical, High)
    assert (out["churn_pred"] == out["risk_tier"].is_in(["Critical", "High"])).all()
    margin = out["avg_monthly_margin_12m"].fill_null(0).fill_nan(0).clip(lower_bound=0)
    np.testing.assert_allclose(
        out["expected_monthly_loss"].to_numpy(), (out["churn_proba"] * margin).to_numpy()
    )


def test_recommendations_table_has_the_published_columns(served):
    gold, model = served
    recos = recommendations(scores(scoring_features(gold), model, CFG), CFG)
    assert recos.columns == [
        "customer_id",
        "risk_tier",
        "segment",
        "action",
        "timing_window",
        "offer_share_of_margin",
        "offer_cost_eur",
        "expected_monthly_loss",
        "save_rate",
        "expected_net_value_eur",
        "is_control",
        "selected",
        "reason_text_1",
        "reason_text_2",
        "reason_text_3",
    ]
    assert recos["reason_text_1"].null_count() == 0


def test_reasons_are_material_and_never_neutral():
    from dataflow.model.explain import MIN_CONTRIBUTION, top_reasons

    features = ["sentiment_compound", "is_complaint_intent", "months_to_renewal", "tenure_months"]
    frame = pl.DataFrame(
        {
            "sentiment_compound": [0.0, -0.6],
            "is_complaint_intent": [0, 1],
            "months_to_renewal": [2.0, 2.0],
            "tenure_months": [60.0, 60.0],
        }
    )
    # row 0: a neutral tone and no complaint push the risk up by a lot, renewal by a material amount,
    # tenure by less than the threshold; row 1: the same contributions with a negative tone and a complaint
    contrib = np.array([[0.9, 0.8, 0.3, MIN_CONTRIBUTION / 2], [0.9, 0.8, 0.3, MIN_CONTRIBUTION / 2]])
    out = top_reasons(contrib, features, frame)
    assert [r[0] for r in out[0]] == ["months_to_renewal"]
    assert all("neutral" not in r[2] and "+0.00" not in r[2] for r in out[0])
    assert [r[0] for r in out[1]] == ["sentiment_compound", "is_complaint_intent", "months_to_renewal"]
    assert out[1][0][2] == "negative tone in the latest contact (score -0.60)"
    # nothing material: the fallback reason, not a made-up one
    assert (
        top_reasons(np.array([[0.05, 0.0, -1.0, 0.01]]), features, frame.head(1))[0][0][1]
        == "no_strong_driver"
    )
    assert MIN_CONTRIBUTION == 0.10


def test_every_model_feature_has_a_plain_reason_and_a_label():
    """No reason reads as a catalogue docstring ("… (null when none): 91.0") or a code on the dashboard."""
    from app.fmt import REASON_LABELS
    from dataflow.gold.catalog import BY_NAME
    from dataflow.model.reasons import CATALOGUE, reason_text

    model_inputs = {n for n, f in BY_NAME.items() if f.model_use and f.kind != "string"}
    assert model_inputs - set(CATALOGUE) == set()
    assert {r.code for r in CATALOGUE.values()} - set(REASON_LABELS) == set()
    assert reason_text("days_since_negative_contact", 91.0) == "last negative contact 91 days ago"
    assert reason_text("days_since_negative_contact", None) == "no negative contact on record"
    assert reason_text("negative_contact_share", 0.25) == "25% of contacts were negative"
    assert reason_text("elec_price_volatility_12m", None) == "no price history this year"
    assert reason_text("avg_monthly_elec_kwh_12m", None) == (
        "average monthly electricity use over the last 12 months: not on record"
    )
    assert reason_text("segment", None) == "segment not on record"
    for name in model_inputs:
        for value in (None, 0.0, 1.0):
            text = reason_text(name, value)
            assert not re.search(r"null|None|[±€]unknown|unknown (€|kWh|m³|times|of|contacts)", text), (
                name,
                text,
            )
