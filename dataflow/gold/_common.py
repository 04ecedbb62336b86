"""Shared as-of machinery of the gold tiers (a private module: none of these are Hamilton nodes).

The time rules of DESIGN §2 live here once, so every tier applies them the same way for an as-of
date ``d``: a month counts only when it is complete before ``d`` (``month + 1 month <= d``); an event
counts only when it is dated strictly before ``d``; "12m" means the 12 complete months before ``d``;
months are ``days / 30.44`` everywhere.
"""

import polars as pl

DAYS_PER_MONTH = 30.44  # the one day→month divisor of the whole gold layer
WINDOW_MONTHS = 12  # "12m" = the 12 complete calendar months before the as-of date
KEY = ["customer_id", "as_of_date"]
NO_INTERACTION = "No interaction"
UNCLASSIFIED_INTENT = "Other / Unclassified"
CANCELLATION = "Cancellation / Switch"
COMPLAINT = "Complaint / Escalation"
PRICING = "Pricing Offers"
INTENT_SEVERITY = {CANCELLATION: 3, COMPLAINT: 2, PRICING: 1}

AS_OF = pl.col("as_of_date")


def snapshot_keys(snapshots: pl.DataFrame) -> pl.LazyFrame:
    """The distinct (customer_id, as_of_date) pairs: every tier is computed once per pair."""
    return snapshots.lazy().select(KEY).unique()


def months_between(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    """Signed months from ``earlier`` to ``later`` (days / 30.44)."""
    return (later - earlier).dt.total_days() / DAYS_PER_MONTH


def flag(condition: pl.Expr) -> pl.Expr:
    """A binary feature: Int8 0/1, never null (an unknown condition counts as 0)."""
    return condition.fill_null(False).cast(pl.Int8)


def renewal_as_of(next_renewal: pl.Expr, as_of: pl.Expr = AS_OF) -> pl.Expr:
    """The contract's renewal date as seen on ``as_of``.

    Contracts renew yearly: ``next_renewal_date`` (as extracted at the end of the data) moves back by
    whole years while it stays on or after ``as_of``. A renewal already before ``as_of`` stays where it
    is: the contract had expired by then.
    """
    k0 = (next_renewal.dt.year() - as_of.dt.year()).clip(lower_bound=0)
    candidate = next_renewal.dt.offset_by(pl.format("-{}y", k0))
    k = pl.when(candidate < as_of).then(k0 - 1).otherwise(k0).clip(lower_bound=0)
    return (
        pl.when(next_renewal < as_of)
        .then(next_renewal)
        .otherwise(next_renewal.dt.offset_by(pl.format("-{}y", k)))
    )


def window_start(as_of: pl.Expr = AS_OF, months: int = WINDOW_MONTHS) -> pl.Expr:
    """First month (1st of month) of the ``months`` complete months before ``as_of``."""
    return as_of.dt.truncate("1mo").dt.offset_by(f"-{months}mo")


def in_month_window(month: pl.Expr, months: int = WINDOW_MONTHS, as_of: pl.Expr = AS_OF) -> pl.Expr:
    """True for a month that is complete before ``as_of`` and among the last ``months`` such months."""
    return (month.dt.offset_by("1mo") <= as_of) & (month >= window_start(as_of, months))


def month_window(keys: pl.LazyFrame, monthly: pl.LazyFrame, months: int = WINDOW_MONTHS) -> pl.LazyFrame:
    """Per-customer monthly rows joined to each snapshot and cut to that snapshot's window."""
    return keys.join(monthly, on="customer_id", how="inner").filter(in_month_window(pl.col("month"), months))


def tier1_price_stats(keys: pl.LazyFrame, raw_price_history: pl.DataFrame) -> pl.LazyFrame:
    """Observed tier-1 electricity price series in the 12m window, per snapshot.

    Uses the raw (not imputed) prices: a zero/missing price is not an observation. Columns: first, last,
    number of points, sample std and the number of month-to-month changes larger than 0.001 €/kWh.
    """
    price = pl.col("variable_price_tier1_eur_kwh")
    series = (
        month_window(
            keys,
            raw_price_history.lazy()
            .select("customer_id", "month", "variable_price_tier1_eur_kwh")
            .filter(price.is_not_null()),
        )
        .sort([*KEY, "month"])
    )
    return series.group_by(KEY).agg(
        price_first=price.first(),
        price_last=price.last(),
        price_points=price.len(),
        price_std=price.std(),
        price_changes=(price.diff().abs() > 0.001).sum(),
    )


def province_cost_stats(
    keys: pl.LazyFrame, silver_customer: pl.DataFrame, raw_costs_by_province_month: pl.DataFrame
) -> pl.LazyFrame:
    """Province wholesale-cost context in the 12m window, per snapshot (computed per province × date).

    Columns: province_avg_elec_cost_12m, province_avg_gas_cost_12m, province_elec_cost_trend_12m.
    """
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
    first, last = elec.drop_nulls().first(), elec.drop_nulls().last()
    stats = (
        dates.join(costs, on="province_code", how="inner")
        .filter(in_month_window(pl.col("month")))
        .sort(["province_code", "as_of_date", "month"])
        .group_by(["province_code", "as_of_date"])
        .agg(
            province_avg_elec_cost_12m=elec.mean(),
            province_avg_gas_cost_12m=pl.col("gas_var_cost_eur_m3").mean(),
            province_elec_cost_trend_12m=pl.when((elec.count() >= 2) & (first != 0))
            .then((last - first) / first)
            .otherwise(None),
        )
    )
    return keyed.join(stats, on=["province_code", "as_of_date"], how="left").drop("province_code")


def latest_interaction(keys: pl.LazyFrame, silver_interactions: pl.DataFrame) -> pl.LazyFrame:
    """The latest interaction strictly before each snapshot date, chosen by date (never by file order).

    Ties on the same day go to the more severe intent (cancellation > complaint > pricing > other),
    then to the summary text, so the choice is deterministic. Columns: last_interaction_date,
    latest_intent, latest_sentiment_label, latest_sentiment_compound.
    """
    severity = pl.col("customer_intent").replace_strict(INTENT_SEVERITY, default=0, return_dtype=pl.Int8)
    events = (
        keys.join(
            silver_interactions.lazy().select(
                "customer_id",
                "date",
                "interaction_summary",
                "customer_intent",
                "sentiment_label",
                "sentiment_compound",
            ),
            on="customer_id",
            how="inner",
        )
        .filter(pl.col("date") < AS_OF)
        .with_columns(_severity=severity)
        .sort([*KEY, "date", "_severity", "interaction_summary"], nulls_last=False)
    )
    return events.group_by(KEY).agg(
        last_interaction_date=pl.col("date").last(),
        latest_intent=pl.col("customer_intent").last(),
        latest_sentiment_label=pl.col("sentiment_label").last(),
        latest_sentiment_compound=pl.col("sentiment_compound").last(),
    )
