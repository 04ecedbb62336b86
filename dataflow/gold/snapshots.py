"""Snapshots: which customer is looked at on which as-of date (the rows of the gold table).

A snapshot (customer × as-of date) exists only for a customer who is active on that date: activated
strictly before it and not known to have churned before it. Label snapshots come from the label file;
the scoring snapshot is every customer still supplied at the end of the readings.
"""

import datetime

import polars as pl
from hamilton.function_modifiers import check_output_custom, tag

from dataflow.config import LABEL_HORIZON_DAYS
from dataflow.errors import UserError
from dataflow.gold.schema import SNAPSHOTS_SCHEMA
from dataflow.validation import PanderaPolarsValidator

SNAPSHOT_DTYPES = {
    "customer_id": pl.String,
    "as_of_date": pl.Date,
    "horizon_days": pl.Int32,
    "churned_within_horizon": pl.Int8,
    "is_scoring": pl.Boolean,
}


@tag(layer="gold")
def scoring_date(latest_reading_date: datetime.date, scoring_date_override: str) -> datetime.date:
    """The as-of date of the scoring snapshot: the override (ISO date) if given, else the day after the
    latest hourly reading (a fixed, data-derived date, never the wall clock)."""
    text = (scoring_date_override or "").strip()
    if text:
        try:
            return datetime.date.fromisoformat(text)
        except ValueError as exc:
            raise UserError(f"scoring date override {text!r} is not an ISO date (YYYY-MM-DD)") from exc
    if latest_reading_date is None:
        raise UserError("no hourly reading found: cannot derive the scoring date (give --scoring-date)")
    if isinstance(latest_reading_date, datetime.datetime):
        latest_reading_date = latest_reading_date.date()
    return latest_reading_date + datetime.timedelta(days=1)


def _prior_churn(raw_churn_label: pl.DataFrame) -> pl.LazyFrame:
    """Earliest known churn date per customer (any label row's churn_effective_date)."""
    return (
        raw_churn_label.lazy()
        .select(pl.col("customer_id").cast(pl.String), pl.col("churn_effective_date").cast(pl.Date))
        .filter(pl.col("churn_effective_date").is_not_null())
        .group_by("customer_id")
        .agg(first_churn=pl.col("churn_effective_date").min())
    )


def _scoring_horizon(raw_churn_label: pl.DataFrame) -> int:
    """The horizon of the scoring snapshot: the most common label horizon, else the configured one."""
    if raw_churn_label.height == 0:
        return LABEL_HORIZON_DAYS
    counts = (
        raw_churn_label.group_by("horizon_days").len().sort(["len", "horizon_days"], descending=[True, False])
    )
    return int(counts["horizon_days"][0])


@tag(layer="gold", target_=...)
@tag(publish="gold")
@check_output_custom(PanderaPolarsValidator(SNAPSHOTS_SCHEMA))
def snapshots(
    raw_churn_label: pl.DataFrame, silver_customer: pl.DataFrame, scoring_date: datetime.date
) -> pl.DataFrame:
    """Customer × as-of date rows: every label row of a customer active on its date, plus the scoring
    snapshot (label null, ``is_scoring`` true) of every customer still supplied on the scoring date.

    Active on ``d``: ``customer_first_activation_date < d`` and no label proves a churn before ``d``.
    Still supplied: the customer's last reading reaches the latest reading day (or the day before the
    scoring date when that is earlier). A label row already at the scoring date is reused, not doubled.
    """
    customers = silver_customer.lazy().select(
        "customer_id",
        "customer_first_activation_date",
        pl.col("last_reading_at").dt.date().alias("last_reading_day"),
    )
    prior = _prior_churn(raw_churn_label)
    not_churned = pl.col("first_churn").is_null() | (pl.col("first_churn") >= pl.col("as_of_date"))
    activated = pl.col("customer_first_activation_date") < pl.col("as_of_date")

    labelled = (
        raw_churn_label.lazy()
        .select(
            pl.col("customer_id").cast(pl.String),
            pl.col("label_date").cast(pl.Date).alias("as_of_date"),
            pl.col("horizon_days").cast(pl.Int32),
            pl.col("churned_within_horizon").cast(pl.Int8),
        )
        .unique(subset=["customer_id", "as_of_date", "horizon_days"], keep="first")
        .join(customers, on="customer_id", how="inner")
        .join(prior, on="customer_id", how="left")
        .filter(activated & not_churned)
        .select("customer_id", "as_of_date", "horizon_days", "churned_within_horizon")
    )

    latest_day = silver_customer["last_reading_at"].max()
    supplied_until = scoring_date - datetime.timedelta(days=1)
    if latest_day is not None:
        if isinstance(latest_day, datetime.datetime):
            latest_day = latest_day.date()
        supplied_until = min(supplied_until, latest_day)
    scoring = (
        customers.with_columns(as_of_date=pl.lit(scoring_date, dtype=pl.Date))
        .join(prior, on="customer_id", how="left")
        .filter(activated & not_churned & (pl.col("last_reading_day") >= supplied_until))
        .select(
            "customer_id",
            "as_of_date",
            pl.lit(_scoring_horizon(raw_churn_label), dtype=pl.Int32).alias("horizon_days"),
            pl.lit(True).alias("is_scoring"),
        )
    )
    key = ["customer_id", "as_of_date", "horizon_days"]
    both = labelled.join(scoring, on=key, how="full", coalesce=True)
    return (
        both.with_columns(pl.col("is_scoring").fill_null(False))
        .select([pl.col(c).cast(t) for c, t in SNAPSHOT_DTYPES.items()])
        .sort(["as_of_date", "customer_id", "horizon_days"])
        .collect()
    )
