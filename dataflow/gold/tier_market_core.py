"""Tier MP_Core — market and portfolio core (E1): how much the customer consumes, how much of their
bill is gas, what supplying their province costs and how often their price moved in the last 12 months.

Business-only columns (margins, totals, months observed) ride along for the dashboard and offers but
are never model inputs (see the catalogue's ``model_use``).
"""

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.gold._common import KEY, ROW_ORDER, month_window, snapshot_keys


@tag(layer="gold")
def customer_month_usage(silver_customer_month: pl.DataFrame) -> pl.DataFrame:
    """The columns of the silver customer-months the gold tiers read (consumption, gas revenue, revenue and
    margin per customer-month). Taken as they are, no copy, so the wide silver table is released once it is
    published: its other columns (0.7 GB at 200,000 customers) are not held through the gold stage."""
    return silver_customer_month.select(
        "customer_id",
        "month",
        "monthly_elec_kwh",
        "monthly_gas_m3",
        "gas_revenue_variable",
        "gas_revenue_fixed",
        "total_revenue",
        "total_margin",
    )


@tag(layer="gold")
def tier1_price_stats(snapshots: pl.DataFrame, raw_price_history: pl.DataFrame) -> pl.DataFrame:
    """Observed tier-1 electricity price series in the 12m window, per snapshot.

    Uses the raw (not imputed) prices: a zero/missing price is not an observation. Columns: first, last,
    number of points, sample std and the number of month-to-month changes larger than 0.001 €/kWh.
    """
    keys = snapshot_keys(snapshots)
    price = pl.col("variable_price_tier1_eur_kwh")
    # a change is flagged on the observation that differs from the customer's previous observation;
    # the window's first point is compared with a month outside the window, so its flag is taken off
    observed = (
        raw_price_history.lazy()
        .select("customer_id", "month", "variable_price_tier1_eur_kwh")
        .filter(price.is_not_null())
        .sort("customer_id", "month")
        .with_columns(
            _changed=(
                (pl.col("customer_id") == pl.col("customer_id").shift(1))
                & ((price - price.shift(1)).abs() > 0.001)
            ).fill_null(False)
        )
    )
    changed = pl.col("_changed").cast(pl.Int32)
    return (
        month_window(keys, observed)
        .group_by(KEY)
        .agg(
            price_first=price.min_by("month"),
            price_last=price.max_by("month"),
            price_points=price.len(),
            price_std=price.std(),
            price_changes=changed.sum() - changed.min_by("month"),
        )
        .collect()
    )


@tag(layer="gold")
def province_cost_stats(
    snapshots: pl.DataFrame, silver_customer: pl.DataFrame, raw_costs_by_province_month: pl.DataFrame
) -> pl.DataFrame:
    """Province wholesale-cost context in the 12m window, per snapshot (computed per province × date).

    Columns: province_avg_elec_cost_12m, province_avg_gas_cost_12m, province_elec_cost_trend_12m.
    """
    keys = snapshot_keys(snapshots)
    province = silver_customer.lazy().select("customer_id", pl.col("province_code").cast(pl.Int16))
    keyed = keys.join(province, on="customer_id", how="left")
    dates = keyed.select("province_code", "as_of_date").unique()
    costs = raw_costs_by_province_month.lazy().select(
        pl.col("province").cast(pl.Int16).alias("province_code"),
        "month",
        "elec_var_cost_eur_kwh",
        "gas_var_cost_eur_m3",
    )
    elec = pl.col("elec_var_cost_eur_kwh")
    known = elec.is_not_null()
    first = elec.filter(known).min_by(pl.col("month").filter(known))
    last = elec.filter(known).max_by(pl.col("month").filter(known))
    stats = (
        month_window(dates, costs, on="province_code")
        .group_by(["province_code", "as_of_date"])
        .agg(
            province_avg_elec_cost_12m=elec.mean(),
            province_avg_gas_cost_12m=pl.col("gas_var_cost_eur_m3").mean(),
            province_elec_cost_trend_12m=pl.when((elec.count() >= 2) & (first != 0))
            .then((last - first) / first)
            .otherwise(None),
        )
    )
    return keyed.join(stats, on=["province_code", "as_of_date"], how="left").drop("province_code").collect()


@tag(layer="gold")
def gold_market_core(
    snapshots: pl.DataFrame,
    customer_month_usage: pl.DataFrame,
    tier1_price_stats: pl.DataFrame,
    province_cost_stats: pl.DataFrame,
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
    months = month_window(keys, customer_month_usage.lazy())  # every column of the usage table
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
    prices = tier1_price_stats.lazy().select(
        *KEY, price_change_count_12m=pl.col("price_changes").cast(pl.Int32)
    )
    province = province_cost_stats.lazy()
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
        .sort(ROW_ORDER)
        .collect()
    )
