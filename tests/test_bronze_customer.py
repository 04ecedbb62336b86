"""One row per customer: attributes ⋈ contracts plus the span of their readings; the latest reading date."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dataflow.bronze.customer import bronze_customer, latest_reading_date
from dataflow.errors import UserError

ATTRIBUTES_SCHEMA = {
    "customer_id": pl.Utf8,
    "contracted_power_kw": pl.Float64,
    "is_industrial": pl.Int8,
    "is_second_residence": pl.Int8,
    "province_code": pl.Int16,
    "region": pl.Utf8,
    "is_high_competition_province": pl.Int8,
    "is_urban": pl.Int8,
    "sales_channel": pl.Utf8,
}
CONTRACT_DATES = (
    "customer_first_activation_date",
    "contract_start_date",
    "last_product_change_date",
    "next_renewal_date",
)


def attributes(rows: list[tuple]) -> pl.DataFrame:
    """(customer_id, power kW, industrial, second residence, sales_channel) → raw_customer_attributes."""
    return pl.DataFrame(
        [(c, p, i, s, 28, "Madrid", 0, 1, ch) for c, p, i, s, ch in rows],
        schema=ATTRIBUTES_SCHEMA,
        orient="row",
    )


def contracts(ids: list[str]) -> pl.DataFrame:
    d = dt.date(2020, 1, 1)
    return pl.DataFrame(
        {"customer_id": ids, **{c: [d] * len(ids) for c in CONTRACT_DATES}},
        schema={"customer_id": pl.Utf8, **{c: pl.Date for c in CONTRACT_DATES}},
    )


def month_frame(rows: list[tuple]) -> pl.DataFrame:
    """(customer_id, month, first reading, last reading, hours) → the bronze_customer_month columns used here."""
    return pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.Utf8,
            "month": pl.Date,
            "first_reading_at": pl.Datetime("us"),
            "last_reading_at": pl.Datetime("us"),
            "hours_with_reading": pl.Int64,
        },
        orient="row",
    )


def test_customer_rows_keep_everyone_in_the_attributes_file():
    attrs = attributes(
        [("A", 4.6, 0, 0, "oficina"), ("B", 3.45, 0, 0, "comparador"), ("C", 10.0, 1, 0, "web_propia")]
    )
    months = month_frame(
        [
            ("A", dt.date(2024, 1, 1), dt.datetime(2024, 1, 3, 7), dt.datetime(2024, 1, 31, 23), 695),
            ("A", dt.date(2024, 2, 1), dt.datetime(2024, 2, 1), dt.datetime(2024, 2, 29, 23), 696),
            ("C", dt.date(2024, 2, 1), dt.datetime(2024, 2, 1), dt.datetime(2024, 2, 14, 11), 324),
            ("Z", dt.date(2024, 2, 1), dt.datetime(2024, 2, 1), dt.datetime(2024, 2, 2), 25),  # no attributes
        ]
    )
    out = bronze_customer(attrs, contracts(["A", "C"]), months)  # B has no contract row
    assert out["customer_id"].to_list() == ["A", "B", "C"]  # the attributes file is the customer list
    a = out.row(0, named=True)
    assert (a["first_reading_at"], a["last_reading_at"]) == (
        dt.datetime(2024, 1, 3, 7),
        dt.datetime(2024, 2, 29, 23),
    )
    assert a["total_hours_with_reading"] == 695 + 696 and a["months_with_reading"] == 2
    b = out.row(1, named=True)
    assert (
        b["next_renewal_date"] is None and b["first_reading_at"] is None and b["months_with_reading"] is None
    )
    assert out.schema["contracted_power_kw"] == pl.Float64 and out.schema["province_code"] == pl.Int16
    assert latest_reading_date(months) == dt.date(2024, 2, 29)


def test_no_reading_at_all_is_a_user_error():
    empty = month_frame([])
    with pytest.raises(UserError, match="no hourly consumption reading"):
        latest_reading_date(empty)
