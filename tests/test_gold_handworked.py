"""Gold features against numbers worked out by hand on a 3-customer fixture.

Snapshots: d1 = 2024-07-01 and d2 = 2024-10-15 (mid-month: October is not complete at d2).
A: dual fuel, comparison website, renewal 2025-09-01 (as of d1 rolled back to 2024-09-01).
B: electricity only, activated the day before d1, contract expired 2024-06-15, product change 2024-08-01.
C: churned 2024-08-20 (label at d1 only), never contacted us.
"""

from datetime import date, datetime

import polars as pl
import pytest

from dataflow.gold._common import DAYS_PER_MONTH, renewal_as_of
from dataflow.gold.features import gold_features
from dataflow.gold.snapshots import snapshots as build_snapshots
from dataflow.gold.tier_behavioral import gold_behavioral, latest_interaction
from dataflow.gold.tier_compound import gold_compound
from dataflow.gold.tier_lifecycle import _renewal_bucket, _tenure_bucket, gold_lifecycle
from dataflow.gold.tier_market_core import gold_market_core, province_cost_stats, tier1_price_stats
from dataflow.gold.tier_market_risk import gold_market_risk
from dataflow.gold.tier_sentiment import gold_sentiment
from dataflow.gold.tier_strings import gold_strings

D1, D2 = date(2024, 7, 1), date(2024, 10, 15)
M = DAYS_PER_MONTH

MONTH_COLUMNS = [
    "customer_id", "month", "segment", "province_code", "monthly_elec_kwh", "monthly_gas_m3", "monthly_gas_kwh",
    "elec_kwh_tier_1_peak", "elec_kwh_tier_2_standard", "elec_kwh_tier_3_offpeak", "hours_with_reading",
    "variable_price_tier1_eur_kwh", "variable_price_tier2_eur_kwh", "variable_price_tier3_eur_kwh",
    "elec_fixed_fee_eur_month", "elec_fixed_cost_eur_month", "gas_variable_price_eur_m3",
    "gas_fixed_revenue_eur_year", "gas_fixed_cost_eur_year", "elec_var_cost_eur_kwh", "gas_var_cost_eur_m3",
    "peaje_elec_eur_kwh", "elec_revenue_variable", "elec_revenue_fixed", "elec_cost_variable", "elec_cost_fixed",
    "elec_margin", "gas_revenue_variable", "gas_revenue_fixed", "gas_cost_variable", "gas_cost_fixed",
    "gas_margin", "total_revenue", "total_cost", "total_margin",
]  # fmt: skip


def customer_month(rows: list[tuple]) -> pl.DataFrame:
    """(customer, month, elec, gas, margin) → a silver_customer_month frame with every column.

    Revenue: elec × 0.2 + 10 fixed; gas × 0.8 + 5 fixed (already monthly in silver)."""
    out = []
    for cid, month, elec, gas, margin in rows:
        gas_var, gas_fix, elec_var, elec_fix = gas * 0.8, 5.0 if gas > 0 else 0.0, elec * 0.2, 10.0
        revenue = elec_var + elec_fix + gas_var + gas_fix
        out.append({
            "customer_id": cid, "month": month, "segment": "Residential", "province_code": 28,
            "monthly_elec_kwh": float(elec), "monthly_gas_m3": float(gas), "monthly_gas_kwh": gas * 11.0,
            "elec_kwh_tier_1_peak": elec * 0.3, "elec_kwh_tier_2_standard": elec * 0.3,
            "elec_kwh_tier_3_offpeak": elec * 0.4, "hours_with_reading": 720,
            "variable_price_tier1_eur_kwh": 0.2, "variable_price_tier2_eur_kwh": 0.2,
            "variable_price_tier3_eur_kwh": 0.2, "elec_fixed_fee_eur_month": elec_fix,
            "elec_fixed_cost_eur_month": 2.0, "gas_variable_price_eur_m3": 0.8,
            "gas_fixed_revenue_eur_year": gas_fix * 12, "gas_fixed_cost_eur_year": 12.0,
            "elec_var_cost_eur_kwh": 0.1, "gas_var_cost_eur_m3": 0.5, "peaje_elec_eur_kwh": 0.02,
            "elec_revenue_variable": elec_var, "elec_revenue_fixed": elec_fix, "elec_cost_variable": 0.0,
            "elec_cost_fixed": 0.0, "elec_margin": 0.0, "gas_revenue_variable": gas_var,
            "gas_revenue_fixed": gas_fix, "gas_cost_variable": 0.0, "gas_cost_fixed": 0.0, "gas_margin": 0.0,
            "total_revenue": revenue, "total_cost": revenue - margin, "total_margin": float(margin),
        })  # fmt: skip
    return pl.DataFrame(out).select(MONTH_COLUMNS).with_columns(pl.col("province_code").cast(pl.Int16))


def m(month: int, year: int = 2024) -> date:
    return date(year, month, 1)


def silver_customer() -> pl.DataFrame:
    end = datetime(2024, 12, 31, 23)
    rows = [
        # id, province, high comp, second res, channel, segment, activation, product change, renewal, last reading
        ("A", 28, 1, 0, "Comparison Website", "Residential", date(2019, 3, 1), D2, date(2025, 9, 1), end),
        ("B", 8, 0, 1, "Own Website", "SME", date(2024, 6, 30), date(2024, 8, 1), date(2024, 6, 15), end),
        ("C", 8, 0, 0, "Office", "Residential", date(2020, 1, 1), None, date(2025, 2, 10), datetime(2024, 8, 19, 23)),
    ]  # fmt: skip
    return pl.DataFrame(
        [
            {
                "customer_id": r[0],
                "contracted_power_kw": 4.6,
                "is_industrial": 0,
                "is_second_residence": r[3],
                "province_code": r[1],
                "region": "X",
                "is_high_competition_province": r[2],
                "is_urban": 1,
                "sales_channel": r[4],
                "sales_channel_code": r[4].lower(),
                "segment": r[5],
                "residential_type": "Primary",
                "customer_first_activation_date": r[6],
                "contract_start_date": r[6],
                "last_product_change_date": r[7],
                "next_renewal_date": r[8],
                "first_reading_at": datetime(2024, 1, 1),
                "last_reading_at": r[9],
            }
            for r in rows
        ]  # fmt: skip
    ).with_columns(
        pl.col("province_code").cast(pl.Int16),
        pl.col("is_high_competition_province").cast(pl.Int8),
        pl.col("last_product_change_date").cast(pl.Date),
    )


A_MONTHS = [(1, 300, 50, 10), (2, 280, 45, 12), (3, 260, 40, 8), (4, 240, 30, 6), (5, 220, 20, -2),
            (6, 200, 10, 4), (7, 210, 10, 9), (8, 230, 10, 11), (9, 250, 15, 7), (10, 9999, 999, -500)]  # fmt: skip


def silver_customer_month() -> pl.DataFrame:
    rows = [("A", m(mo), e, g, mg) for mo, e, g, mg in A_MONTHS]
    rows += [("B", m(7), 100, 0, 1), ("B", m(8), 120, 0, 2), ("B", m(9), 140, 0, 3)]
    rows += [("C", m(mo), 150, 0, 5) for mo in range(1, 8)]
    return customer_month(rows)


def raw_price_history() -> pl.DataFrame:
    a = {m(12, 2023): 0.15, m(1): 0.15, m(2): 0.15, m(3): None, m(4): 0.18, m(5): 0.18, m(6): 0.18,
         m(7): 0.20, m(8): 0.20, m(9): 0.20, m(10): 0.25}  # fmt: skip
    rows = [("A", k, v) for k, v in a.items()] + [("B", m(mo), 0.22) for mo in (7, 8, 9)]
    rows = rows[::-1]  # file order must not matter
    cols = ["variable_price_tier2_eur_kwh", "variable_price_tier3_eur_kwh", "elec_fixed_fee_eur_month",
            "elec_fixed_cost_eur_month", "gas_variable_price_eur_m3", "gas_fixed_revenue_eur_year",
            "gas_fixed_cost_eur_year"]  # fmt: skip
    return pl.DataFrame(
        {"customer_id": [r[0] for r in rows], "pricing_date": [r[1] for r in rows], "month": [r[1] for r in rows],
         "variable_price_tier1_eur_kwh": [r[2] for r in rows], **{c: [1.0] * len(rows) for c in cols}},
        schema_overrides={"variable_price_tier1_eur_kwh": pl.Float64},
    )  # fmt: skip


def raw_costs() -> pl.DataFrame:
    months = [m(mo, 2023) for mo in range(7, 13)] + [m(mo) for mo in range(1, 11)]
    rows = []
    for province in (28, 8):
        for mo in months:
            elec = 5.0 if mo == m(10) else (0.10 if mo.year == 2023 else 0.12)
            rows.append((mo, province, elec, 0.5, 0.02))
    return pl.DataFrame(
        rows, schema=["month", "province", "elec_var_cost_eur_kwh", "gas_var_cost_eur_m3", "peaje_elec_eur_kwh"],
        orient="row",
    ).with_columns(pl.col("province").cast(pl.Int16))  # fmt: skip


def silver_interactions() -> pl.DataFrame:
    rows = [  # file order deliberately not by date
        ("A", date(2024, 3, 10), "Complaint / Escalation", "negative", -0.7),
        ("A", date(2024, 6, 20), "Contract Renewal", "positive", 0.6),
        ("A", date(2024, 1, 5), "Billing / Payment", "neutral", 0.0),
        ("A", D2, "Pricing Offers", "neutral", 0.1),  # on d2: does not exist yet at d2
        ("A", date(2024, 7, 5), "Cancellation / Switch", "negative", -0.8),
        ("B", date(2024, 9, 20), "Pricing Offers", "neutral", 0.2),
        ("B", date(2024, 9, 20), "Complaint / Escalation", "negative", -0.6),  # same day: more severe wins
    ]
    return pl.DataFrame(
        [{"customer_id": c, "date": d, "channel": "phone", "interaction_summary": f"{i} text",
          "customer_intent": i, "sentiment_neg": 0.1, "sentiment_neu": 0.8, "sentiment_pos": 0.1,
          "sentiment_compound": s, "sentiment_label": lab} for c, d, i, lab, s in rows]
    )  # fmt: skip


def raw_churn_label() -> pl.DataFrame:
    rows = [("A", D1, 0, None), ("A", D2, 0, None), ("B", D1, 0, None), ("B", D2, 0, None),
            ("C", D1, 1, date(2024, 8, 20)), ("C", D2, 0, None)]  # fmt: skip
    return pl.DataFrame(
        {"customer_id": [r[0] for r in rows], "label_date": [r[1] for r in rows],
         "horizon_days": pl.Series([90] * len(rows), dtype=pl.Int32),
         "churned_within_horizon": pl.Series([r[2] for r in rows], dtype=pl.Int8),
         "churn_effective_date": pl.Series([r[3] for r in rows], dtype=pl.Date)}
    )  # fmt: skip


@pytest.fixture(scope="module")
def gold() -> pl.DataFrame:
    snaps = build_snapshots(raw_churn_label(), silver_customer(), date(2025, 1, 1))
    snaps = snaps.filter(~pl.col("is_scoring"))
    sc, scm, inter = silver_customer(), silver_customer_month(), silver_interactions()
    life = gold_lifecycle(snaps, sc, scm)
    latest = latest_interaction(snaps, inter)
    beh = gold_behavioral(snaps, sc, inter, latest)
    sent = gold_sentiment(snaps, latest, inter)
    prices, costs = tier1_price_stats(snaps, raw_price_history()), province_cost_stats(snaps, sc, raw_costs())
    return gold_features(
        snaps, life, gold_market_core(snaps, scm, prices, costs), gold_market_risk(snaps, scm, prices, costs),
        beh, sent, gold_compound(life, beh), gold_strings(life, beh, sent),
    )  # fmt: skip


def row(gold: pl.DataFrame, cid: str, d: date) -> dict:
    rows = gold.filter((pl.col("customer_id") == cid) & (pl.col("as_of_date") == d)).to_dicts()
    assert len(rows) == 1, (cid, d)
    return rows[0]


def test_snapshot_rows(gold):
    got = sorted(
        (r["customer_id"], r["as_of_date"]) for r in gold.select("customer_id", "as_of_date").to_dicts()
    )
    assert got == [("A", D1), ("A", D2), ("B", D1), ("B", D2), ("C", D1)]  # C churned 2024-08-20 < d2


def test_renewal_rolls_back_by_whole_years():
    df = pl.DataFrame({
        "nrd": [date(2025, 9, 1), date(2025, 9, 1), date(2024, 6, 15), date(2024, 2, 29), date(2026, 7, 1)],
        "as_of_date": [D1, D2, D1, date(2023, 3, 1), D1],
    })  # fmt: skip
    got = df.select(renewal_as_of(pl.col("nrd")))["nrd"].to_list()
    assert got == [date(2024, 9, 1), date(2025, 9, 1), date(2024, 6, 15), date(2024, 2, 29), D1]


def test_renewal_and_tenure_buckets_at_the_edges():
    values = pl.DataFrame({"x": [-1.0, 0.0, 0.001, 3.0, 3.01, 6.0, 6.5, 12.0, 12.5, None]})
    got = values.select(_renewal_bucket(pl.col("x")).alias("x"))["x"].to_list()
    assert got == ["expired", "expired", "0-3m", "0-3m", "3-6m", "3-6m", "6-12m", "6-12m", "12m+", None]
    tenure = pl.DataFrame({"x": [0.0, 6.0, 6.1, 12.0, 24.0, 60.0, 60.1, 300.0]})
    got = tenure.select(_tenure_bucket(pl.col("x")).alias("x"))["x"].to_list()
    assert got == ["0-6m", "0-6m", "6-12m", "6-12m", "1-2y", "2-5y", "5y+", "5y+"]


def test_lifecycle_by_hand(gold):
    a1, a2, b1, b2 = row(gold, "A", D1), row(gold, "A", D2), row(gold, "B", D1), row(gold, "B", D2)
    # A at d1: renewal 2025-09-01 rolled back to 2024-09-01 = 62 days ahead
    assert a1["months_to_renewal"] == pytest.approx(62 / M)
    assert (a1["renewal_bucket"], a1["is_within_3m_of_renewal"], a1["is_expired_contract"]) == ("0-3m", 1, 0)
    # A at d2: 2024-09-01 is before d2, so the renewal is 2025-09-01 = 321 days ahead
    assert a2["months_to_renewal"] == pytest.approx(321 / M)
    assert (a2["renewal_bucket"], a2["is_within_3m_of_renewal"]) == ("6-12m", 0)
    assert a1["tenure_months"] == pytest.approx(1949 / M) and a1["tenure_bucket"] == "5y+"
    # B: contract expired 2024-06-15, 16 days before d1; activated 1 day before d1
    assert b1["months_to_renewal"] == pytest.approx(-16 / M)
    assert (b1["renewal_bucket"], b1["is_expired_contract"], b1["is_within_3m_of_renewal"]) == (
        "expired",
        1,
        0,
    )
    assert b1["tenure_months"] == pytest.approx(1 / M) and b1["tenure_bucket"] == "0-6m"
    assert b2["tenure_months"] == pytest.approx(107 / M)
    assert (a1["is_dual_fuel"], a1["portfolio_type"], b2["is_dual_fuel"], b2["portfolio_type"]) == (
        1, "Residential_DualFuel", 0, "SME_SingleFuel")  # fmt: skip
    assert (a1["is_digital_channel"], a1["is_comparison_channel"], a1["is_own_website_channel"]) == (1, 1, 0)
    assert (b1["is_digital_channel"], b1["is_comparison_channel"], b1["is_own_website_channel"]) == (1, 0, 1)
    assert (a1["is_high_competition_province"], b1["is_second_residence"]) == (1, 1)


def test_market_core_by_hand(gold):
    a1, a2, b1, b2 = row(gold, "A", D1), row(gold, "A", D2), row(gold, "B", D1), row(gold, "B", D2)
    assert a1["avg_monthly_elec_kwh_12m"] == pytest.approx(250.0)  # Jan–Jun 2024
    assert a1["avg_monthly_gas_m3_12m"] == pytest.approx(32.5)
    # gas revenue 0.8 × 195 + 6 × 5 = 186; total 0.2 × 1500 + 6 × 10 + 186 = 546 (fixed fee divided once)
    assert a1["gas_share_of_revenue_12m"] == pytest.approx(186 / 546)
    assert (a1["total_margin_12m"], a1["months_observed_12m"]) == (pytest.approx(38.0), 6)
    assert a2["months_observed_12m"] == 9  # October is not complete on 2024-10-15
    assert a2["total_elec_kwh_12m"] == pytest.approx(2190.0)
    assert a1["province_avg_elec_cost_12m"] == pytest.approx(0.11)  # 6 × 0.10 + 6 × 0.12
    assert a2["province_avg_elec_cost_12m"] == pytest.approx(0.115)  # 3 × 0.10 + 9 × 0.12
    assert a1["province_avg_gas_cost_12m"] == pytest.approx(0.5)
    assert (a1["price_change_count_12m"], a2["price_change_count_12m"]) == (1, 2)
    assert b2["gas_share_of_revenue_12m"] == 0.0
    assert b1["avg_monthly_elec_kwh_12m"] is None and b1["total_elec_kwh_12m"] == 0.0
    assert (b1["months_observed_12m"], b1["price_change_count_12m"], b2["price_change_count_12m"]) == (
        0,
        0,
        0,
    )


def test_market_risk_by_hand(gold):
    a1, a2, b2 = row(gold, "A", D1), row(gold, "A", D2), row(gold, "B", D2)
    assert a1["elec_price_trend_12m"] == pytest.approx((0.18 - 0.15) / 0.15)  # Dec–Jun, March missing
    assert a2["elec_price_trend_12m"] == pytest.approx((0.20 - 0.15) / 0.15)  # October's 0.25 not yet
    assert a1["elec_price_volatility_12m"] == pytest.approx((6 * 0.015**2 / 5) ** 0.5)
    assert (a1["is_price_increase"], b2["is_price_increase"], b2["elec_price_trend_12m"]) == (1, 0, 0.0)
    assert row(gold, "B", D1)["elec_price_trend_12m"] is None
    assert a1["province_elec_cost_trend_12m"] == pytest.approx(0.2)
    assert a1["elec_price_vs_province_cost_spread"] == pytest.approx(0.18 - 0.11)
    assert a2["elec_price_vs_province_cost_spread"] == pytest.approx(0.20 - 0.115)
    # rolling margin: (Apr–Jun mean 8/3) − (Jan–Mar mean 10); at d2 (Jul–Sep mean 9) − 8/3
    assert a1["rolling_margin_trend_3m"] == pytest.approx(8 / 3 - 10)
    assert a2["rolling_margin_trend_3m"] == pytest.approx(9 - 8 / 3)
    assert b2["rolling_margin_trend_3m"] is None  # only 3 months observed
    assert (a1["min_monthly_margin_12m"], a1["negative_margin_months_12m"]) == (-2.0, 1)
    assert a2["min_monthly_margin_12m"] == -2.0  # October's −500 is not complete yet
    assert b2["std_monthly_elec_kwh_12m"] == pytest.approx(20.0)
    assert b2["std_monthly_gas_m3_12m"] == 0.0


def test_behavioral_and_sentiment_by_hand(gold):
    a1, a2, b1, b2, c1 = (row(gold, c, d) for c, d in (("A", D1), ("A", D2), ("B", D1), ("B", D2), ("C", D1)))
    # A at d1: latest by date is 2024-06-20 (second in the file), renewal 2024-09-01 is 73 days later
    assert (a1["customer_intent"], a1["sentiment_label"], a1["sentiment_compound"]) == (
        "Contract Renewal", "positive", 0.6)  # fmt: skip
    assert (a1["last_interaction_days_ago"], a1["interaction_count_12m"], a1["has_interaction"]) == (11, 3, 1)
    assert (a1["interaction_within_3m_of_renewal"], a1["is_interaction_within_30d_of_renewal"]) == (1, 0)
    assert (a1["recent_complaint_flag"], a1["intent_severity_score"], a1["is_negative_sentiment"]) == (
        0,
        0,
        0,
    )
    # A at d2: the 2024-10-15 pricing call is on d2, so the 2024-07-05 cancellation is the latest
    assert (a2["customer_intent"], a2["intent_severity_score"], a2["last_interaction_days_ago"]) == (
        "Cancellation / Switch", 3, 102)  # fmt: skip
    assert (a2["is_cancellation_intent"], a2["recent_complaint_flag"], a2["complaint_near_renewal"]) == (
        1,
        1,
        0,
    )
    assert (a2["is_negative_sentiment"], a2["complaint_x_negative_sentiment"]) == (1, 1)
    assert a2["interaction_count_12m"] == 4
    # B at d2: two calls on 2024-09-20, the complaint outranks the pricing call
    assert (b2["customer_intent"], b2["is_complaint_intent"], b2["last_interaction_days_ago"]) == (
        "Complaint / Escalation", 1, 25)  # fmt: skip
    assert b2["interaction_within_3m_of_renewal"] == 0  # contract expired before the call
    assert (b1["customer_intent"], b1["has_interaction"], b1["last_interaction_days_ago"]) == (
        "No interaction", 0, None)  # fmt: skip
    assert (c1["sentiment_label"], c1["sentiment_compound"], c1["is_negative_sentiment"]) == (
        "No interaction", None, 0)  # fmt: skip
    # product change: A's is on d2 (not yet), B's 2024-08-01 is 75 days before d2 and after d1
    assert a2["months_since_last_change"] is None and b1["months_since_last_change"] is None
    assert b2["months_since_last_change"] == pytest.approx(75 / M)


def test_contact_history_by_hand(gold):
    """Negative = complaint/cancellation intent or negative tone, counted over every contact before the date."""
    cols = ("negative_contact_count", "negative_contact_share", "most_negative_compound",
            "days_since_negative_contact", "cancellation_intent_ever")  # fmt: skip
    a1, a2, b1, b2 = (row(gold, c, d) for c, d in (("A", D1), ("A", D2), ("B", D1), ("B", D2)))
    # A at 2024-07-01: billing 0.0, complaint −0.7 (2024-03-10, 113 days back), renewal +0.6
    assert tuple(a1[c] for c in cols) == (1, pytest.approx(1 / 3), -0.7, 113.0, 0)
    # A at 2024-10-15: + the 2024-07-05 cancellation (−0.8, 102 days back); the call on the date is not seen
    assert tuple(a2[c] for c in cols) == (2, 0.5, -0.8, 102.0, 1)
    # B at 2024-10-15: a pricing call and a complaint on 2024-09-20
    assert tuple(b2[c] for c in cols) == (1, 0.5, -0.6, 25.0, 0)
    assert tuple(b1[c] for c in cols) == (0, None, None, None, 0)  # never in touch


def test_compound_and_strings_by_hand(gold):
    a1, a2, b2 = row(gold, "A", D1), row(gold, "A", D2), row(gold, "B", D2)
    assert (a1["is_competition_x_renewal"], a1["dual_fuel_x_renewal"], a1["dual_fuel_x_competition"]) == (
        1,
        1,
        1,
    )
    assert (a1["dual_fuel_x_intent"], a2["dual_fuel_x_intent"], a1["is_high_risk_lifecycle"]) == (0, 1, 0)
    assert (b2["is_high_risk_lifecycle"], b2["is_price_sensitive"], b2["dual_fuel_x_intent"]) == (1, 0, 0)
    assert a1["intent_x_renewal_bucket"] == "Contract Renewal_x_0-3m"
    assert a1["intent_x_sentiment"] == "Contract Renewal_x_positive"
    assert a1["tenure_x_renewal_bucket"] == "5y+_x_0-3m"
    assert a1["sales_channel_x_renewal_bucket"] == "Comparison Website_x_0-3m"
    assert a1["has_interaction_x_renewal_bucket"] == "1_x_0-3m"
    assert a1["competition_x_intent"] == "1_x_Contract Renewal"
    assert row(gold, "C", D1)["sentiment_x_renewal_bucket"] == "No interaction_x_6-12m"


def test_binary_flags_are_int8_and_never_null(gold):
    from dataflow.gold.catalog import FEATURES

    for f in FEATURES:
        if f.kind == "binary" and f.tier not in ("key", "label"):
            assert gold[f.name].dtype == pl.Int8, f.name
            assert gold[f.name].null_count() == 0, f.name
            assert set(gold[f.name].unique()) <= {0, 1}, f.name
