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


def month_index(date: pl.Expr) -> pl.Expr:
    """Months since year 0 (year × 12 + month − 1): integer month arithmetic without calendar calls."""
    return date.dt.year().cast(pl.Int32) * 12 + date.dt.month().cast(pl.Int32) - 1


def month_window(
    keys: pl.LazyFrame, monthly: pl.LazyFrame, months: int = WINDOW_MONTHS, on: str = "customer_id"
) -> pl.LazyFrame:
    """Per-customer monthly rows (``month`` on the 1st) joined to each snapshot, cut to its window.

    A month is complete before ``d`` when ``month + 1 month <= d``, i.e. ``month`` is before ``d``'s own
    month; the window keeps the ``months`` latest such months. Adds ``months_back`` (1 = the last
    complete month). Row order is not meaningful: use ``min_by``/``max_by("month")`` for first/last.
    """
    anchored = keys.with_columns(_as_of_idx=month_index(AS_OF))
    indexed = monthly.with_columns(_month_idx=month_index(pl.col("month")))
    return (
        anchored.join(indexed, on=on, how="inner")
        .with_columns(months_back=pl.col("_as_of_idx") - pl.col("_month_idx"))
        .filter(pl.col("months_back").is_between(1, months))
        .drop("_as_of_idx", "_month_idx")
    )


def tier1_price_stats(keys: pl.LazyFrame, raw_price_history: pl.DataFrame) -> pl.LazyFrame:
    """Observed tier-1 electricity price series in the 12m window, per snapshot.

    Uses the raw (not imputed) prices: a zero/missing price is not an observation. Columns: first, last,
    number of points, sample std and the number of month-to-month changes larger than 0.001 €/kWh.
    """
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
    return keyed.join(stats, on=["province_code", "as_of_date"], how="left").drop("province_code")


def latest_interaction(keys: pl.LazyFrame, silver_interactions: pl.DataFrame) -> pl.LazyFrame:
    """The latest interaction strictly before each snapshot date, chosen by date (never by file order).

    Ties on the same day go to the more severe intent (cancellation > complaint > pricing > other),
    then to the summary text, so the choice is deterministic. Columns: last_interaction_date,
    latest_intent, latest_sentiment_label, latest_sentiment_compound.
    """
    severity = (
        pl.col("customer_intent")
        .replace_strict(INTENT_SEVERITY, default=0, return_dtype=pl.Int8)
        .fill_null(0)
    )
    ordered = (
        silver_interactions.lazy()
        .select(
            "customer_id",
            "date",
            "interaction_summary",
            "customer_intent",
            "sentiment_label",
            "sentiment_compound",
        )
        .with_columns(_severity=severity, _text=pl.col("interaction_summary").fill_null(""))
        .sort("customer_id", "date", "_severity", "_text")
        .with_row_index("_rank")  # later date, then more severe, then text: higher rank
    )
    events = keys.join(ordered, on="customer_id", how="inner").filter(pl.col("date") < AS_OF)
    return events.group_by(KEY).agg(
        last_interaction_date=pl.col("date").max_by("_rank"),
        latest_intent=pl.col("customer_intent").max_by("_rank"),
        latest_sentiment_label=pl.col("sentiment_label").max_by("_rank"),
        latest_sentiment_compound=pl.col("sentiment_compound").max_by("_rank"),
    )
