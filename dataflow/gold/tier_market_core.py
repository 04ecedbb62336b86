"""Tier MP_Core — market and portfolio core (E1): how much the customer consumes, how much of their
bill is gas, what supplying their province costs and how often their price moved in the last 12 months.

Business-only columns (margins, totals, months observed) ride along for the dashboard and offers but
are never model inputs (see the catalogue's ``model_use``).
"""

import polars as pl

from dataflow.gold._common import (
    KEY,
    month_window,
    province_cost_stats,
    snapshot_keys,
    tier1_price_stats,
)


def gold_market_core(
    snapshots: pl.DataFrame,
    silver_customer: pl.DataFrame,
    silver_customer_month: pl.DataFrame,
    raw_price_history: pl.DataFrame,
    raw_costs_by_province_month: pl.DataFrame,
) -> pl.DataFrame:
    """Market core tier over the 12 complete months before each as-of date, one row per snapshot.

    - avg_monthly_elec_kwh_12m / avg_monthly_gas_m3_12m: typical monthly consumption (size of the account).
    - gas_share_of_revenue_12m: gas revenue / total revenue (silver's gas fixed revenue is already monthly).
    - province_avg_elec_cost_12m / province_avg_gas_cost_12m: wholesale energy cost in the customer's province.
    - price_change_count_12m: month-to-month tier-1 price changes above 0.001 €/kWh (observed prices).
    - business only: total_elec_kwh_12m, total_gas_m3_12m, avg_monthly_margin_12m, total_margin_12m,
      months_observed_12m.
    """
    keys = snapshot_keys(snapshots)
    months = month_window(
        keys,
        silver_customer_month.lazy().select(
            "customer_id",
            "month",
            "monthly_elec_kwh",
            "monthly_gas_m3",
            "gas_revenue_variable",
            "gas_revenue_fixed",
            "total_revenue",
            "total_margin",
        ),
    )
    gas_revenue = pl.col("gas_revenue_variable").fill_null(0) + pl.col("gas_revenue_fixed").fill_null(0)
    usage = months.group_by(KEY).agg(
        avg_monthly_elec_kwh_12m=pl.col("monthly_elec_kwh").mean(),
        avg_monthly_gas_m3_12m=pl.col("monthly_gas_m3").mean(),
        total_elec_kwh_12m=pl.col("monthly_elec_kwh").sum(),
        total_gas_m3_12m=pl.col("monthly_gas_m3").sum(),
        _gas_revenue=gas_revenue.sum(),
        _total_revenue=pl.col("total_revenue").sum(),
        avg_monthly_margin_12m=pl.col("total_margin").mean(),
        total_margin_12m=pl.col("total_margin").sum(),
        months_observed_12m=pl.len().cast(pl.Int32),
    )
    prices = tier1_price_stats(keys, raw_price_history).select(
        *KEY, price_change_count_12m=pl.col("price_changes").cast(pl.Int32)
    )
    province = province_cost_stats(keys, silver_customer, raw_costs_by_province_month)
    total_revenue = pl.col("_total_revenue")
    frame = (
        keys.join(usage, on=KEY, how="left")
        .join(prices, on=KEY, how="left")
        .join(province, on=KEY, how="left")
        .with_columns(
            gas_share_of_revenue_12m=pl.when(total_revenue > 0)
            .then(pl.col("_gas_revenue") / total_revenue)
            .otherwise(None),
            price_change_count_12m=pl.col("price_change_count_12m").fill_null(0),
            total_elec_kwh_12m=pl.col("total_elec_kwh_12m").fill_null(0.0),
            total_gas_m3_12m=pl.col("total_gas_m3_12m").fill_null(0.0),
            total_margin_12m=pl.col("total_margin_12m").fill_null(0.0),
            months_observed_12m=pl.col("months_observed_12m").fill_null(0),
        )
    )
    return (
        frame.select(
            *KEY,
            "avg_monthly_elec_kwh_12m",
            "avg_monthly_gas_m3_12m",
            "gas_share_of_revenue_12m",
            "province_avg_elec_cost_12m",
            "province_avg_gas_cost_12m",
            "price_change_count_12m",
            "total_elec_kwh_12m",
            "total_gas_m3_12m",
            "avg_monthly_margin_12m",
            "total_margin_12m",
            "months_observed_12m",
        )
        .sort(KEY)
        .collect()
    )
