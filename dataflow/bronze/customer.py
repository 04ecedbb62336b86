"""One row per customer: who they are (attributes), their contract dates, and when their meter readings run."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.errors import UserError


@tag(layer="bronze", publish="bronze")
def bronze_customer(
    raw_customer_attributes: pl.DataFrame,
    raw_customer_contracts: pl.DataFrame,
    bronze_customer_month: pl.DataFrame,
) -> pl.DataFrame:
    """Every customer of the attributes file with their contract dates and first/last reading and hours read.

    A customer with no contract row keeps null dates; one with no readings keeps null reading columns.
    """
    readings = bronze_customer_month.group_by("customer_id").agg(
        pl.col("first_reading_at").min(),
        pl.col("last_reading_at").max(),
        pl.col("hours_with_reading").sum().alias("total_hours_with_reading"),
        pl.len().cast(pl.Int64).alias("months_with_reading"),
    )
    return (
        raw_customer_attributes.join(raw_customer_contracts, on="customer_id", how="left", validate="1:1")
        .join(readings, on="customer_id", how="left", validate="1:1")
        .sort("customer_id")
    )


@tag(layer="bronze")
def latest_reading_date(bronze_customer_month: pl.DataFrame) -> dt.date:
    """The calendar day of the most recent hourly reading kept (the data's 'today')."""
    latest = bronze_customer_month["last_reading_at"].max()
    if latest is None:
        raise UserError(
            "no hourly consumption reading was kept, so there is no latest reading date; "
            "check quarantine/…/consumption for why every row was rejected"
        )
    return latest.date()
