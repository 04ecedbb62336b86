"""Monthly P&L by hand, and each level of the price imputation (L1 ffill/bfill, L2 segment×month, L3 national)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dataflow.silver.customer_month import silver_customer_month
from dataflow.silver.prices import NEEDED_BY

JAN, FEB, MAR = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
PRICE_COLS = list(NEEDED_BY)


def bronze_row(cid: str, month: dt.date, t1: float = 0.0, t2: float = 0.0, t3: float = 0.0, gas: float = 0.0):
    """One bronze_customer_month row (gas all in off-peak; counts are irrelevant to silver)."""
    ts = dt.datetime.combine(month, dt.time())
    return {
        "customer_id": cid,
        "month": month,
        "monthly_elec_kwh": t1 + t2 + t3,
        "monthly_gas_m3": gas,
        "monthly_gas_kwh": gas * 11.0,
        "elec_kwh_tier_1_peak": t1,
        "elec_kwh_tier_2_standard": t2,
        "elec_kwh_tier_3_offpeak": t3,
        "gas_m3_tier_1_peak": 0.0,
        "gas_m3_tier_2_standard": 0.0,
        "gas_m3_tier_3_offpeak": gas,
        "hours_with_reading": 744,
        "holiday_hours_in_month": 0,
        "negative_elec_readings": 0,
        "negative_gas_readings": 0,
        "first_reading_at": ts,
        "last_reading_at": ts,
    }


def price_row(cid: str, month: dt.date, **values: float | None):
    return {
        "customer_id": cid,
        "pricing_date": month,
        "month": month,
        **{c: values.get(c) for c in PRICE_COLS},
    }


def customers(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    """silver_customer stand-in: (customer_id, segment, province_code)."""
    return pl.DataFrame(
        rows, schema={"customer_id": pl.Utf8, "segment": pl.Utf8, "province_code": pl.Int16}, orient="row"
    )


def costs(province: int = 28, months=(JAN, FEB, MAR), elec=0.08, gas=0.7, peaje=0.01) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "month": list(months),
            "province": [province] * len(months),
            "elec_var_cost_eur_kwh": [elec] * len(months),
            "gas_var_cost_eur_m3": [gas] * len(months),
            "peaje_elec_eur_kwh": [peaje] * len(months),
        },
        schema_overrides={"province": pl.Int16},
    )


def run(bronze: list[dict], prices: list[dict], cust: pl.DataFrame, cost: pl.DataFrame) -> pl.DataFrame:
    price_schema = {
        "customer_id": pl.Utf8,
        "pricing_date": pl.Date,
        "month": pl.Date,
        **{c: pl.Float64 for c in PRICE_COLS},
    }
    return silver_customer_month(pl.DataFrame(bronze), pl.DataFrame(prices, schema=price_schema), cost, cust)


def test_margins_by_hand():
    out = run(
        [bronze_row("M1", MAR, t1=100, t2=50, t3=30, gas=10)],
        [
            price_row(
                "M1",
                MAR,
                variable_price_tier1_eur_kwh=0.20,
                variable_price_tier2_eur_kwh=0.15,
                variable_price_tier3_eur_kwh=0.10,
                elec_fixed_fee_eur_month=5.0,
                elec_fixed_cost_eur_month=3.0,
                gas_variable_price_eur_m3=0.9,
                gas_fixed_revenue_eur_year=60.0,
                gas_fixed_cost_eur_year=24.0,
            )
        ],
        customers([("M1", "Residential", 28)]),
        costs(),
    )
    r = out.row(0, named=True)
    assert r["elec_revenue_variable"] == pytest.approx(30.5)  # 100×0.20 + 50×0.15 + 30×0.10 = 20 + 7.5 + 3
    assert r["elec_revenue_fixed"] == pytest.approx(5.0)  # monthly fee
    assert r["elec_cost_variable"] == pytest.approx(16.2)  # 180 kWh × (0.08 energy + 0.01 toll)
    assert r["elec_cost_fixed"] == pytest.approx(3.0)
    assert r["elec_margin"] == pytest.approx(16.3)  # 30.5 + 5 − 16.2 − 3
    assert r["gas_revenue_variable"] == pytest.approx(9.0)  # 10 m³ × 0.9
    assert r["gas_revenue_fixed"] == pytest.approx(5.0)  # 60 €/year ÷ 12, once
    assert r["gas_cost_variable"] == pytest.approx(7.0)  # 10 m³ × 0.7
    assert r["gas_cost_fixed"] == pytest.approx(2.0)  # 24 €/year ÷ 12
    assert r["gas_margin"] == pytest.approx(5.0)  # 9 + 5 − 7 − 2
    assert r["total_revenue"] == pytest.approx(49.5)  # 30.5 + 5 + 9 + 5
    assert r["total_cost"] == pytest.approx(28.2)  # 16.2 + 3 + 7 + 2
    assert r["total_margin"] == pytest.approx(21.3)  # 49.5 − 28.2 = 16.3 + 5
    assert all(r[f"{c}_source"] == "observed" for c in PRICE_COLS)
    assert r["province_cost_source"] == "observed" and r["segment"] == "Residential"


def test_imputation_levels_and_masks():
    fee = {"elec_fixed_fee_eur_month": 5.0, "elec_fixed_cost_eur_month": 3.0}
    t1 = "variable_price_tier1_eur_kwh"
    bronze = [bronze_row(c, m, t1=10) for c in ("A", "B", "C", "D", "E", "G") for m in (JAN, FEB)]
    bronze += [bronze_row("A", MAR, t1=10), bronze_row("H", MAR, t1=10)]
    prices = [
        price_row("A", JAN, **{t1: 0.20}, **fee),
        price_row("A", FEB, **fee),
        price_row("A", MAR, **fee),
        price_row("B", JAN, **fee),
        price_row("B", FEB, **{t1: 0.30}, **fee),
        price_row("D", JAN, **{t1: 0.24}, **fee),
        price_row("D", FEB, **{t1: 0.26}, **fee),
        price_row("G", JAN, **{t1: 0.50}, **fee),
        price_row("G", FEB, **{t1: 0.50}, **fee),
        price_row("H", MAR, **fee),  # C and E have no price rows at all
    ]
    cust = customers(
        [
            ("A", "Residential", 28),
            ("B", "Residential", 28),
            ("C", "Residential", 28),
            ("D", "Residential", 28),
            ("E", "SME", 28),
            ("G", "Corporate", 28),
            ("H", "Residential", 28),
        ]
    )
    out = run(bronze, prices, cust, costs())
    got = {(r["customer_id"], r["month"]): (r[t1], r[f"{t1}_source"]) for r in out.iter_rows(named=True)}
    assert got[("A", FEB)] == (0.20, "customer_fill")  # L1 forward fill from January
    assert got[("A", MAR)] == (0.20, "customer_fill")
    assert got[("B", JAN)] == (0.30, "customer_fill")  # L1 back fill from February
    # L2: Residential observed in Jan = A 0.20, D 0.24 → 0.22; in Feb = B 0.30, D 0.26 → 0.28
    assert got[("C", JAN)] == (pytest.approx(0.22), "segment_month_median")
    assert got[("C", FEB)] == (pytest.approx(0.28), "segment_month_median")
    # L3: no SME price observed; national Jan = {0.20, 0.24, 0.50} → 0.24, Feb = {0.30, 0.26, 0.50} → 0.30
    assert got[("E", JAN)] == (pytest.approx(0.24), "national_month_median")
    assert got[("E", FEB)] == (pytest.approx(0.30), "national_month_median")
    assert got[("H", MAR)] == (None, "missing")  # nothing observed anywhere in March
    h = out.filter(pl.col("customer_id") == "H").row(0, named=True)
    assert h["elec_revenue_variable"] is None and h["total_margin"] is None  # needed but missing → no margin
    # C's fixed fee and fixed cost: not observed, needed → imputed together from the segment median
    c = out.filter((pl.col("customer_id") == "C") & (pl.col("month") == JAN)).row(0, named=True)
    assert (c["elec_fixed_fee_eur_month"], c["elec_fixed_fee_eur_month_source"]) == (
        5.0,
        "segment_month_median",
    )
    assert (c["elec_fixed_cost_eur_month"], c["elec_fixed_cost_eur_month_source"]) == (
        3.0,
        "segment_month_median",
    )
    # Masks: no kWh in tiers 2 and 3, no gas → nothing imputed there, and no gas revenue or cost at all
    for col in (
        "variable_price_tier2_eur_kwh",
        "variable_price_tier3_eur_kwh",
        "gas_variable_price_eur_m3",
        "gas_fixed_revenue_eur_year",
        "gas_fixed_cost_eur_year",
    ):
        assert out[col].null_count() == out.height and set(out[f"{col}_source"]) == {"not_needed"}
    assert set(out["gas_revenue_fixed"]) == {0.0} and set(out["gas_cost_fixed"]) == {0.0}
    assert set(out["gas_margin"]) == {0.0}
    a_feb = out.filter((pl.col("customer_id") == "A") & (pl.col("month") == FEB)).row(0, named=True)
    assert a_feb["elec_margin"] == pytest.approx(10 * 0.20 + 5 - 10 * 0.09 - 3)  # 2 + 5 − 0.9 − 3 = 3.1


def test_electricity_only_customer_has_no_phantom_gas_margin():
    """The predecessor imputed gas fixed revenue for everyone: ~€5.31/month of phantom gas margin."""
    dual = price_row(
        "DUAL",
        JAN,
        variable_price_tier1_eur_kwh=0.2,
        elec_fixed_fee_eur_month=5.0,
        elec_fixed_cost_eur_month=3.0,
        gas_variable_price_eur_m3=0.9,
        gas_fixed_revenue_eur_year=60.0,
        gas_fixed_cost_eur_year=24.0,
    )
    elec_only = price_row(
        "ELEC",
        JAN,
        variable_price_tier1_eur_kwh=0.2,
        elec_fixed_fee_eur_month=5.0,
        elec_fixed_cost_eur_month=3.0,
    )
    out = run(
        [bronze_row("DUAL", JAN, t1=10, gas=10), bronze_row("ELEC", JAN, t1=10)],
        [dual, elec_only],
        customers([("DUAL", "Residential", 28), ("ELEC", "Residential", 28)]),
        costs(),
    )
    elec = out.filter(pl.col("customer_id") == "ELEC").row(0, named=True)
    assert (
        elec["gas_fixed_revenue_eur_year"] is None
        and elec["gas_fixed_revenue_eur_year_source"] == "not_needed"
    )
    for col in (
        "gas_revenue_variable",
        "gas_revenue_fixed",
        "gas_cost_variable",
        "gas_cost_fixed",
        "gas_margin",
    ):
        assert elec[col] == 0.0
    assert elec["total_margin"] == pytest.approx(10 * 0.2 + 5 - 10 * 0.09 - 3)  # 3.1, electricity only


def test_unknown_province_costs_use_the_month_median():
    cost = pl.concat(
        [costs(province=1, months=(JAN,), elec=0.07), costs(province=2, months=(JAN,), elec=0.09)]
    )
    out = run(
        [bronze_row("X", JAN, t1=100)],
        [
            price_row(
                "X",
                JAN,
                variable_price_tier1_eur_kwh=0.2,
                elec_fixed_fee_eur_month=5.0,
                elec_fixed_cost_eur_month=3.0,
            )
        ],
        customers([("X", "Residential", 50)]),
        cost,
    )
    r = out.row(0, named=True)
    assert r["province_cost_source"] == "national_month_median"
    assert r["elec_var_cost_eur_kwh"] == pytest.approx(0.08)  # median of 0.07 and 0.09
    assert r["elec_cost_variable"] == pytest.approx(100 * (0.08 + 0.01))  # 9.0


def test_slices_of_customers_give_the_same_table(monkeypatch):
    """A large book is filled one slice of customers at a time; the medians (levels 2 and 3) still come from
    the whole book, so slicing changes nothing: the imputation case above, one customer per slice."""
    from dataflow.silver import customer_month

    t1 = "variable_price_tier1_eur_kwh"
    bronze = [bronze_row(c, m, t1=10) for c in ("A", "C", "D", "E") for m in (JAN, FEB)]
    prices = [
        price_row("A", JAN, **{t1: 0.20}),
        price_row("D", JAN, **{t1: 0.24}),
        price_row("D", FEB, **{t1: 0.26}),
    ]
    cust = customers(
        [("A", "Residential", 28), ("C", "Residential", 28), ("D", "Residential", 28), ("E", "SME", 28)]
    )
    whole = run(bronze, prices, cust, costs())
    monkeypatch.setattr(customer_month, "SLICE_ROWS", 2)  # two months a customer: one customer per slice
    assert customer_month._customer_ranges(pl.Series("customer_id", ["D", "A", "C", "A", "E"]), 2) == [
        ("A", "A"),
        ("C", "D"),
        ("E", "E"),
    ]
    sliced = run(bronze, prices, cust, costs())
    assert sliced.equals(whole)
    got = {(r["customer_id"], r["month"]): (r[t1], r[f"{t1}_source"]) for r in sliced.iter_rows(named=True)}
    # C (its own slice) takes the Residential median of A and D from the other slices: Jan (0.20 + 0.24) / 2
    assert got[("C", JAN)] == (pytest.approx(0.22), "segment_month_median")
    assert got[("E", FEB)] == (pytest.approx(0.26), "national_month_median")  # only D observed in February
    assert sliced["customer_id"].to_list() == ["A", "A", "C", "C", "D", "D", "E", "E"]
