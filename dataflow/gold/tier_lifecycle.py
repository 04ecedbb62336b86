"""Tier 1A — structural and lifecycle features (the predecessor's Tier1A, E0).

Where the customer stands in the contract cycle on the as-of date (renewal timing, tenure), who they
are (segment, channel, province competition) and what they buy (one definition of dual fuel).
"""

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.gold._common import (
    KEY,
    ROW_ORDER,
    flag,
    month_window,
    months_between,
    renewal_as_of,
    snapshot_keys,
)

DIGITAL_CHANNELS = ("Comparison Website", "Own Website")
RENEWAL_BUCKETS = ("expired", "0-3m", "3-6m", "6-12m", "12m+")
TENURE_BUCKETS = ("0-6m", "6-12m", "1-2y", "2-5y", "5y+")


def _renewal_bucket(months: pl.Expr) -> pl.Expr:
    """expired ≤ 0 < 0-3m ≤ 3 < 3-6m ≤ 6 < 6-12m ≤ 12 < 12m+ (a renewal on the as-of day is 'expired')."""
    return (
        pl.when(months <= 0)
        .then(pl.lit("expired"))
        .when(months <= 3)
        .then(pl.lit("0-3m"))
        .when(months <= 6)
        .then(pl.lit("3-6m"))
        .when(months <= 12)
        .then(pl.lit("6-12m"))
        .when(months.is_not_null())
        .then(pl.lit("12m+"))
        .otherwise(None)
    )


def _tenure_bucket(months: pl.Expr) -> pl.Expr:
    """[0,6] 0-6m, (6,12] 6-12m, (12,24] 1-2y, (24,60] 2-5y, above 5y+ (tenure 0 is included)."""
    return (
        pl.when(months <= 6)
        .then(pl.lit("0-6m"))
        .when(months <= 12)
        .then(pl.lit("6-12m"))
        .when(months <= 24)
        .then(pl.lit("1-2y"))
        .when(months <= 60)
        .then(pl.lit("2-5y"))
        .when(months.is_not_null())
        .then(pl.lit("5y+"))
        .otherwise(None)
    )


@tag(layer="gold")
def gold_lifecycle(
    snapshots: pl.DataFrame, silver_customer: pl.DataFrame, customer_month_usage: pl.DataFrame
) -> pl.DataFrame:
    """Lifecycle tier, one row per (customer_id, as_of_date).

    - months_to_renewal: months from the as-of date to the renewal as of that date (negative = expired).
    - renewal_bucket / is_within_3m_of_renewal / is_expired_contract: the renewal window the customer is in.
    - tenure_months / tenure_bucket: how long the customer has been with us (from first activation).
    - segment, sales_channel, is_high_competition_province, is_second_residence: who the customer is.
    - is_dual_fuel / portfolio_type: buys both electricity and gas (both > 0 in the 12m window).
    - is_digital_channel / is_comparison_channel / is_own_website_channel: acquired online.
    """
    keys = snapshot_keys(snapshots)
    customer = silver_customer.lazy().select(
        "customer_id",
        "customer_first_activation_date",
        "next_renewal_date",
        "segment",
        "sales_channel",
        "is_high_competition_province",
        "is_second_residence",
    )
    usage = (
        month_window(
            keys,
            customer_month_usage.lazy().select("customer_id", "month", "monthly_elec_kwh", "monthly_gas_m3"),
        )
        .group_by(KEY)
        .agg(elec=pl.col("monthly_elec_kwh").sum(), gas=pl.col("monthly_gas_m3").sum())
    )
    renewal = renewal_as_of(pl.col("next_renewal_date"))
    to_renewal = pl.col("months_to_renewal")
    tenure = pl.col("tenure_months")
    channel = pl.col("sales_channel")
    frame = (
        keys.join(customer, on="customer_id", how="left")
        .join(usage, on=KEY, how="left")
        .with_columns(
            months_to_renewal=months_between(renewal, pl.col("as_of_date")),
            tenure_months=months_between(pl.col("as_of_date"), pl.col("customer_first_activation_date")),
            is_dual_fuel=flag((pl.col("elec") > 0) & (pl.col("gas") > 0)),
        )
        .with_columns(
            renewal_bucket=_renewal_bucket(to_renewal),
            is_within_3m_of_renewal=flag((to_renewal >= 0) & (to_renewal <= 3)),
            tenure_bucket=_tenure_bucket(tenure),
            is_expired_contract=flag(to_renewal <= 0),
            is_high_competition_province=flag(pl.col("is_high_competition_province") == 1),
            is_second_residence=flag(pl.col("is_second_residence") == 1),
            portfolio_type=pl.concat_str(
                pl.col("segment").fill_null("Unknown"),
                pl.when(pl.col("is_dual_fuel") == 1).then(pl.lit("DualFuel")).otherwise(pl.lit("SingleFuel")),
                separator="_",
            ),
            is_digital_channel=flag(channel.is_in(DIGITAL_CHANNELS)),
            is_comparison_channel=flag(channel == "Comparison Website"),
            is_own_website_channel=flag(channel == "Own Website"),
        )
    )
    return (
        frame.select(
            *KEY,
            "months_to_renewal",
            "renewal_bucket",
            "is_within_3m_of_renewal",
            "tenure_months",
            "tenure_bucket",
            "is_expired_contract",
            "segment",
            "sales_channel",
            "is_high_competition_province",
            "is_second_residence",
            "is_dual_fuel",
            "portfolio_type",
            "is_digital_channel",
            "is_comparison_channel",
            "is_own_website_channel",
        )
        .sort(ROW_ORDER)
        .collect()
    )
