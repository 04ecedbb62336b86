"""Shared as-of machinery of the gold tiers (a private module: none of these are Hamilton nodes; the
steps several tiers share are nodes of the tier that owns them).

The time rules (docs/architecture.md, "No look-ahead") live here once, so every tier applies them the same
way for an as-of date ``d``: a month counts only when it is complete before ``d`` (``month + 1 month <= d``);
an event counts only when it is dated strictly before ``d``; "12m" means the 12 complete months before
``d``; months are ``days / 30.44`` everywhere.
"""

import polars as pl

DAYS_PER_MONTH = 30.44  # the one day→month divisor of the whole gold layer
WINDOW_MONTHS = 12  # "12m" = the 12 complete calendar months before the as-of date
KEY = ["customer_id", "as_of_date"]
# the order of gold rows: by as-of date, then customer (the published table's order). Every tier returns its rows
# in it, so gold_features takes their columns as they are instead of copying them into place.
ROW_ORDER = ["as_of_date", "customer_id"]
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
