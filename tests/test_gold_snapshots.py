"""Snapshots and the scoring date: who is looked at on which as-of date."""

from datetime import date, datetime

import polars as pl
import pytest

from dataflow.errors import UserError
from dataflow.gold.snapshots import SNAPSHOT_DTYPES, scoring_date, snapshots

D1, D2, SCORING = date(2024, 7, 1), date(2024, 10, 1), date(2025, 1, 1)
END = datetime(2024, 12, 31, 23)


def customers(rows: list[tuple]) -> pl.DataFrame:
    """(id, activation, last reading) → silver_customer with every contract column."""
    return pl.DataFrame(
        [
            {
                "customer_id": cid,
                "contracted_power_kw": 4.6,
                "is_industrial": 0,
                "is_second_residence": 0,
                "province_code": 28,
                "region": "Madrid",
                "is_high_competition_province": 1,
                "is_urban": 1,
                "sales_channel": "Office",
                "sales_channel_code": "oficina",
                "segment": "Residential",
                "residential_type": "Primary",
                "customer_first_activation_date": act,
                "contract_start_date": act,
                "last_product_change_date": None,
                "next_renewal_date": date(2025, 3, 1),
                "first_reading_at": datetime(2024, 1, 1),
                "last_reading_at": last,
            }
            for cid, act, last in rows
        ]  # fmt: skip
    ).with_columns(
        pl.col("province_code").cast(pl.Int16),
        pl.col("is_high_competition_province").cast(pl.Int8),
        pl.col("last_product_change_date").cast(pl.Date),
    )


def labels(rows: list[tuple]) -> pl.DataFrame:
    """(id, label_date, churned, churn_effective_date) → raw_churn_label (horizon 90)."""
    return pl.DataFrame(
        {
            "customer_id": pl.Series([r[0] for r in rows], dtype=pl.String),
            "label_date": pl.Series([r[1] for r in rows], dtype=pl.Date),
            "horizon_days": pl.Series([90] * len(rows), dtype=pl.Int32),
            "churned_within_horizon": pl.Series([r[2] for r in rows], dtype=pl.Int8),
            "churn_effective_date": pl.Series([r[3] for r in rows], dtype=pl.Date),
        }
    )


def keys(frame: pl.DataFrame) -> set[tuple]:
    return {(r["customer_id"], r["as_of_date"], r["is_scoring"]) for r in frame.to_dicts()}


def test_scoring_date_default_and_override():
    assert scoring_date(date(2024, 12, 31), "") == SCORING
    assert scoring_date(date(2024, 12, 31), "  ") == SCORING
    assert scoring_date(date(2024, 12, 31), "2024-11-01") == date(2024, 11, 1)
    with pytest.raises(UserError, match="not an ISO date"):
        scoring_date(date(2024, 12, 31), "01/11/2024")


def test_membership_activation_churn_and_supply():
    cust = customers([
        ("OLD", date(2018, 1, 1), END),  # active everywhere
        ("NEW", date(2024, 8, 1), END),  # activated between d1 and d2
        ("SAME", D1, END),  # activated on d1 itself: no history before d1
        ("GONE", date(2019, 1, 1), datetime(2024, 8, 14, 23)),  # churned 2024-08-15
        ("STOP", date(2019, 1, 1), datetime(2024, 12, 20, 23)),  # no longer supplied at the end
        ("LATE", date(2025, 1, 1), END),  # activation on the scoring date
    ])  # fmt: skip
    lab = labels([
        ("OLD", D1, 0, None), ("OLD", D2, 0, None),
        ("NEW", D1, 0, None), ("NEW", D2, 0, None),
        ("SAME", D1, 0, None), ("SAME", D2, 0, None),
        ("GONE", D1, 1, date(2024, 8, 15)), ("GONE", D2, 0, None),
        ("UNKNOWN", D1, 0, None),  # not in silver_customer
    ])  # fmt: skip
    got = snapshots(lab, cust, SCORING)
    assert keys(got) == {
        ("OLD", D1, False), ("OLD", D2, False), ("NEW", D2, False), ("SAME", D2, False), ("GONE", D1, False),
        ("OLD", SCORING, True), ("NEW", SCORING, True), ("SAME", SCORING, True),
    }  # fmt: skip
    gone = got.filter(pl.col("customer_id") == "GONE")
    assert gone["churned_within_horizon"].to_list() == [1]
    scoring = got.filter(pl.col("is_scoring"))
    assert scoring["churned_within_horizon"].null_count() == scoring.height
    assert scoring["horizon_days"].to_list() == [90, 90, 90]
    assert dict(got.schema) == SNAPSHOT_DTYPES


def test_label_at_the_scoring_date_is_not_duplicated():
    cust = customers([("A", date(2020, 1, 1), END), ("B", date(2020, 1, 1), END)])
    lab = labels([("A", SCORING, 1, date(2025, 2, 1)), ("A", D1, 0, None)])
    got = snapshots(lab, cust, SCORING)
    at_scoring = got.filter(pl.col("as_of_date") == SCORING).sort("customer_id")
    assert at_scoring["customer_id"].to_list() == ["A", "B"]
    assert at_scoring["is_scoring"].to_list() == [True, True]
    assert at_scoring["churned_within_horizon"].to_list() == [1, None]  # the known label is kept
    assert got.height == 3


def test_scoring_with_an_earlier_override_keeps_customers_supplied_on_that_day():
    cust = customers([("A", date(2020, 1, 1), datetime(2024, 11, 30, 23)), ("B", date(2020, 1, 1), END)])
    got = snapshots(labels([]), cust, date(2024, 11, 1))
    assert keys(got) == {("A", date(2024, 11, 1), True), ("B", date(2024, 11, 1), True)}
    got = snapshots(labels([]), cust, SCORING)
    assert keys(got) == {("B", SCORING, True)}
