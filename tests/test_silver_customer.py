"""Segments at the 10 kW boundary, residence types and the English sales channel (with stray spaces/case)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dataflow.bronze.customer import bronze_customer, latest_reading_date
from dataflow.silver.customer import silver_customer

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
    return pl.DataFrame({"customer_id": ids, **{c: [d] * len(ids) for c in CONTRACT_DATES}})


def month_frame(rows: list[tuple[str, dt.date, dt.datetime, dt.datetime, int]]) -> pl.DataFrame:
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


def test_segments_residence_and_channels():
    attrs = attributes(
        [
            ("I95", 9.5, 1, 0, "presencial_comercial"),  # industrial under 10 kW → SME (predecessor: null)
            ("I10", 10.0, 1, 0, " Comparador "),  # exactly 10 kW → SME; stray spaces and capital
            ("I1001", 10.01, 1, 0, "OFICINA"),  # just above → Corporate
            ("I15", 15.0, 1, 0, "telemarketing"),
            ("R15", 15.0, 0, 0, "web_propia"),  # a household is Residential whatever its power
            ("R2", 3.45, 0, 1, "desconocido"),
            ("R3", 4.6, 0, 0, "unknown"),
            ("R4", 4.6, 0, 0, "tienda_nueva"),  # a code nobody mapped stays visible
            ("R5", 4.6, 0, 0, None),
        ]
    )
    ids = attrs["customer_id"].to_list()
    months = month_frame(
        [
            ("I95", dt.date(2024, 1, 1), dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 31, 23), 744),
            ("I95", dt.date(2024, 2, 1), dt.datetime(2024, 2, 1), dt.datetime(2024, 2, 10, 5), 222),
        ]
    )
    bronze = bronze_customer(attrs, contracts(ids), months)
    out = silver_customer(bronze).sort("customer_id")
    got = {
        r["customer_id"]: (r["segment"], r["residential_type"], r["sales_channel"], r["sales_channel_code"])
        for r in out.iter_rows(named=True)
    }
    assert got == {
        "I95": ("SME", None, "In-Person Commercial", "presencial_comercial"),
        "I10": ("SME", None, "Comparison Website", "comparador"),
        "I1001": ("Corporate", None, "Office", "oficina"),
        "I15": ("Corporate", None, "Telemarketing", "telemarketing"),
        "R15": ("Residential", "Primary_Residence", "Own Website", "web_propia"),
        "R2": ("Residential", "Second_Residence", "Unknown", "desconocido"),
        "R3": ("Residential", "Primary_Residence", "Unknown", "unknown"),
        "R4": ("Residential", "Primary_Residence", "Other (tienda_nueva)", "tienda_nueva"),
        "R5": ("Residential", "Primary_Residence", "Unknown", None),
    }
    i95 = out.filter(pl.col("customer_id") == "I95").row(0, named=True)
    assert i95["first_reading_at"] == dt.datetime(2024, 1, 1)
    assert i95["last_reading_at"] == dt.datetime(2024, 2, 10, 5)
    assert i95["total_hours_with_reading"] == 744 + 222 and i95["months_with_reading"] == 2
    assert out.filter(pl.col("customer_id") == "R2")["first_reading_at"].item() is None  # no readings: null
    assert latest_reading_date(months) == dt.date(2024, 2, 10)
    assert out.height == 9 and out["customer_first_activation_date"].null_count() == 0
