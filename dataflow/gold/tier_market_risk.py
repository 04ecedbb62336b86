"""Tier MP_Risk — stability and price risk (E2): how volatile the account is, whether it loses money,
whether the customer's price has been rising and how it sits against the province's supply cost.
"""

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.gold._common import KEY, ROW_ORDER, flag, month_window, snapshot_keys


def _rolling_margin(months: pl.LazyFrame) -> pl.LazyFrame:
    """Mean total margin of the last 3 complete months minus that of the 3 months before them.

    Null unless all six months are observed (a partial block would compare unlike periods).
    """
    back = pl.col("months_back")
    is_recent = back <= 3
    margin = pl.col("total_margin")
    return (
        months.filter(back <= 6)
        .group_by(KEY)
        .agg(
            _recent=margin.filter(is_recent).mean(),
            _n_recent=is_recent.sum(),
            _before=margin.filter(~is_recent).mean(),
            _n_before=(~is_recent).sum(),
        )
        .select(
            *KEY,
            rolling_margin_trend_3m=pl.when((pl.col("_n_recent") == 3) & (pl.col("_n_before") == 3))
            .then(pl.col("_recent") - pl.col("_before"))
            .otherwise(None),
        )
    )


@tag(layer="gold")
def gold_market_risk(
    snapshots: pl.DataFrame,
    customer_month_usage: pl.DataFrame,
    tier1_price_stats: pl.DataFrame,
    province_cost_stats: pl.DataFrame,
) -> pl.DataFrame:
    """Market risk tier over the 12 complete months before each as-of date, one row per snapshot.

    - std_monthly_elec_kwh_12m / std_monthly_gas_m3_12m / std_margin_12m: month-to-month instability.
    - min_monthly_margin_12m / negative_margin_months_12m: worst month and how many months lost money.
    - elec_price_trend_12m / is_price_increase: relative change of the observed tier-1 price (first→last).
    - elec_price_volatility_12m: std of the observed tier-1 price.
    - province_elec_cost_trend_12m: relative change of the province's wholesale electricity cost.
    - elec_price_vs_province_cost_spread: latest tier-1 price minus the province's average cost.
    - rolling_margin_trend_3m: is the account getting more or less profitable lately.
    """
    keys = snapshot_keys(snapshots)
    months = month_window(
        keys,
        customer_month_usage.lazy().select(
            "customer_id", "month", "monthly_elec_kwh", "monthly_gas_m3", "total_margin"
        ),
    )
    margin = pl.col("total_margin")
    stability = months.group_by(KEY).agg(
        std_monthly_elec_kwh_12m=pl.col("monthly_elec_kwh").std(),
        std_monthly_gas_m3_12m=pl.col("monthly_gas_m3").std(),
        std_margin_12m=margin.std(),
        min_monthly_margin_12m=margin.min(),
        negative_margin_months_12m=(margin < 0).sum().cast(pl.Int32),
    )
    prices = tier1_price_stats.lazy()
    first = pl.col("price_first")
    province = province_cost_stats.lazy()
    frame = (
        keys.join(stability, on=KEY, how="left")
        .join(_rolling_margin(months), on=KEY, how="left")
        .join(prices, on=KEY, how="left")
        .join(province, on=KEY, how="left")
        .with_columns(
            negative_margin_months_12m=pl.col("negative_margin_months_12m").fill_null(0),
            elec_price_trend_12m=pl.when((pl.col("price_points") >= 2) & (first != 0))
            .then((pl.col("price_last") - first) / first)
            .otherwise(None),
            elec_price_volatility_12m=pl.col("price_std"),
            elec_price_vs_province_cost_spread=pl.col("price_last") - pl.col("province_avg_elec_cost_12m"),
        )
        .with_columns(is_price_increase=flag(pl.col("elec_price_trend_12m") > 0))
    )
    return (
        frame.select(
            *KEY,
            "std_monthly_elec_kwh_12m",
            "std_monthly_gas_m3_12m",
            "std_margin_12m",
            "min_monthly_margin_12m",
            "negative_margin_months_12m",
            "elec_price_trend_12m",
            "elec_price_volatility_12m",
            "province_elec_cost_trend_12m",
            "elec_price_vs_province_cost_spread",
            "is_price_increase",
            "rolling_margin_trend_3m",
        )
        .sort(ROW_ORDER)
        .collect()
    )
