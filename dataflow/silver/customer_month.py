"""Customer × month economics: consumption with imputed prices, province costs, and the monthly P&L.

Margins follow the predecessor's definitions (reference §3.2) with its flaws fixed: annual gas fixed amounts
are divided by 12 exactly once; a commodity that was not consumed and has no price adds 0; a price that is
needed but could not be imputed leaves the affected margin empty (null) instead of silently 0.
"""

from __future__ import annotations

import operator
from functools import reduce

import polars as pl
from hamilton.function_modifiers import check_output_custom, tag

from dataflow.silver.prices import NEEDED_BY, fill_province_costs, impute_prices, price_medians
from dataflow.silver.schema import SILVER_CUSTOMER_MONTH_SCHEMA
from dataflow.validation import PanderaPolarsValidator

# customer-months filled per slice of customers: the imputation's windows and joins hold one slice at a time
# (a default-size book, ~230,000 customer-months, is one slice; 200,000 customers are five)
SLICE_ROWS = 500_000
TIERS = (
    ("elec_kwh_tier_1_peak", "variable_price_tier1_eur_kwh"),
    ("elec_kwh_tier_2_standard", "variable_price_tier2_eur_kwh"),
    ("elec_kwh_tier_3_offpeak", "variable_price_tier3_eur_kwh"),
)


def _rate(column: str) -> pl.Expr:
    """A price, fee or cost as used in the P&L: 0 where an imputable one was not needed (and not observed)."""
    if column not in NEEDED_BY:
        return pl.col(column)
    return pl.when(pl.col(f"{column}_source") == "not_needed").then(0.0).otherwise(pl.col(column))


def _volume_times(volume: str, *rates: str) -> pl.Expr:
    """volume × (sum of rates); 0 when nothing was consumed, null when consumed but a rate is missing."""
    rate = reduce(operator.add, (_rate(r) for r in rates))
    return pl.when(pl.col(volume) > 0).then(pl.col(volume) * rate).otherwise(0.0)


def _margin_lines() -> list[pl.Expr]:
    """Revenue and cost lines of one customer-month (€); the annual gas fixed amounts are divided by 12 once."""
    return [
        reduce(operator.add, (_volume_times(kwh, price) for kwh, price in TIERS)).alias(
            "elec_revenue_variable"
        ),
        _rate("elec_fixed_fee_eur_month").alias("elec_revenue_fixed"),
        _volume_times("monthly_elec_kwh", "elec_var_cost_eur_kwh", "peaje_elec_eur_kwh").alias(
            "elec_cost_variable"
        ),
        _rate("elec_fixed_cost_eur_month").alias("elec_cost_fixed"),
        _volume_times("monthly_gas_m3", "gas_variable_price_eur_m3").alias("gas_revenue_variable"),
        (_rate("gas_fixed_revenue_eur_year") / 12).alias("gas_revenue_fixed"),
        _volume_times("monthly_gas_m3", "gas_var_cost_eur_m3").alias("gas_cost_variable"),
        (_rate("gas_fixed_cost_eur_year") / 12).alias("gas_cost_fixed"),
    ]


def _totals() -> list[pl.Expr]:
    """Margin per commodity, total revenue and total cost (a missing line leaves its totals null)."""
    c = pl.col
    return [
        (
            c("elec_revenue_variable")
            + c("elec_revenue_fixed")
            - c("elec_cost_variable")
            - c("elec_cost_fixed")
        ).alias("elec_margin"),
        (
            c("gas_revenue_variable") + c("gas_revenue_fixed") - c("gas_cost_variable") - c("gas_cost_fixed")
        ).alias("gas_margin"),
        (
            c("elec_revenue_variable")
            + c("elec_revenue_fixed")
            + c("gas_revenue_variable")
            + c("gas_revenue_fixed")
        ).alias("total_revenue"),
        (c("elec_cost_variable") + c("elec_cost_fixed") + c("gas_cost_variable") + c("gas_cost_fixed")).alias(
            "total_cost"
        ),
    ]


@tag(layer="silver", target_=...)
@tag(publish="silver")
@check_output_custom(PanderaPolarsValidator(SILVER_CUSTOMER_MONTH_SCHEMA))
def silver_customer_month(
    bronze_customer_month: pl.DataFrame,
    raw_price_history: pl.DataFrame,
    raw_costs_by_province_month: pl.DataFrame,
    silver_customer: pl.DataFrame,
) -> pl.DataFrame:
    """Each customer-month's consumption, prices (imputed where needed, with their source), costs and margins."""
    customers = silver_customer.select(
        "customer_id", "segment", pl.col("province_code").cast(pl.Int16)
    ).lazy()
    prices = raw_price_history.select("customer_id", "month", *NEEDED_BY).lazy()
    costs = raw_costs_by_province_month.with_columns(pl.col("province").cast(pl.Int16))

    def joined(months: pl.LazyFrame, ids: pl.Expr) -> pl.LazyFrame:
        """The customer-months of the customers ``ids`` selects, with each one's segment and province and the
        observed prices, in (customer, month) order kept through the joins (the finished table is not sorted)."""
        return (
            months.filter(ids)
            .sort("customer_id", "month")
            .join(customers.filter(ids), on="customer_id", how="left", validate="m:1", maintain_order="left")
            .join(
                prices.filter(ids),
                on=["customer_id", "month"],
                how="left",
                validate="1:1",
                maintain_order="left",
            )
        )

    observed = (  # every customer-month's segment and observed prices, in any order: for the medians
        bronze_customer_month.lazy()
        .select("customer_id", "month")
        .join(customers, on="customer_id", how="left")
        .join(prices, on=["customer_id", "month"], how="left")
    )
    medians = price_medians(observed)
    parts = []
    for lo, hi in _customer_ranges(bronze_customer_month["customer_id"], SLICE_ROWS):
        ids = pl.col("customer_id").is_between(pl.lit(lo), pl.lit(hi))
        frame = fill_province_costs(impute_prices(joined(bronze_customer_month.lazy(), ids), medians), costs)
        frame = frame.with_columns(_margin_lines()).with_columns(_totals())
        margin = (pl.col("total_revenue") - pl.col("total_cost")).alias("total_margin")
        parts.append(frame.with_columns(margin).collect())
    return pl.concat(parts, rechunk=False) if len(parts) != 1 else parts[0]


def _customer_ranges(ids: pl.Series, rows: int) -> list[tuple[str, str]]:
    """Consecutive (first, last) customer ids splitting the customer-months into slices of about ``rows`` rows
    each, a customer never split (one slice for a default-size book)."""
    counts = ids.value_counts().sort(ids.name)
    if counts.is_empty():
        return [("", "")]
    slice_of = (counts["count"].cum_sum() - 1) // rows
    bounds = (
        counts.with_columns(slice_of.alias("_slice"))
        .group_by("_slice", maintain_order=True)
        .agg(pl.col(ids.name).first().alias("lo"), pl.col(ids.name).last().alias("hi"))
    )
    return list(zip(bounds["lo"].to_list(), bounds["hi"].to_list(), strict=True))
