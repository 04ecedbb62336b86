"""Tier 2A — behavioural presence and intent (E3): whether and why the customer contacted us before the
as-of date, how close to their renewal, and how long since they last changed product.
"""

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.gold._common import (
    AS_OF,
    CANCELLATION,
    COMPLAINT,
    INTENT_SEVERITY,
    KEY,
    NO_INTERACTION,
    ROW_ORDER,
    UNCLASSIFIED_INTENT,
    WINDOW_MONTHS,
    flag,
    months_between,
    renewal_as_of,
    snapshot_keys,
)


@tag(layer="gold")
def latest_interaction(snapshots: pl.DataFrame, silver_interactions: pl.DataFrame) -> pl.DataFrame:
    """The latest interaction strictly before each snapshot date, chosen by date (never by file order).

    Ties on the same day go to the more severe intent (cancellation > complaint > pricing > other),
    then to the summary text, so the choice is deterministic. Columns: last_interaction_date,
    latest_intent, latest_sentiment_label, latest_sentiment_compound.
    """
    keys = snapshot_keys(snapshots)
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
    return (
        events.group_by(KEY)
        .agg(
            last_interaction_date=pl.col("date").max_by("_rank"),
            latest_intent=pl.col("customer_intent").max_by("_rank"),
            latest_sentiment_label=pl.col("sentiment_label").max_by("_rank"),
            latest_sentiment_compound=pl.col("sentiment_compound").max_by("_rank"),
        )
        .collect()
    )


@tag(layer="gold")
def gold_behavioral(
    snapshots: pl.DataFrame,
    silver_customer: pl.DataFrame,
    silver_interactions: pl.DataFrame,
    latest_interaction: pl.DataFrame,
) -> pl.DataFrame:
    """Behavioural tier, one row per snapshot; only interactions dated before the as-of date count.

    - has_interaction / interaction_count_12m: the customer contacted us (ever / in the last 12 months).
    - customer_intent: intent of the latest interaction by date ("No interaction" when none).
    - recent_complaint_flag / is_cancellation_intent / is_complaint_intent / intent_severity_score:
      the latest contact was a complaint or a cancellation request (severity 3 cancel, 2 complaint,
      1 pricing, else 0).
    - interaction_within_3m_of_renewal / is_interaction_within_30d_of_renewal / complaint_near_renewal:
      the latest contact came shortly before the renewal (as of the snapshot).
    - last_interaction_days_ago: days since the latest contact (null when none).
    - months_since_last_change: months since the last product change (null when none before the date).
    - contact_history_days: days of contact history the extract holds before the as-of date (from the
      earliest interaction of any customer; the same for every row of a date; 0 when none). Not a model
      feature: the training set uses it to leave out snapshots whose text history is too short.
    """
    keys = snapshot_keys(snapshots)
    customer = silver_customer.lazy().select("customer_id", "next_renewal_date", "last_product_change_date")
    counts = (
        keys.join(silver_interactions.lazy().select("customer_id", "date"), on="customer_id", how="inner")
        .filter(pl.col("date") < AS_OF)
        .group_by(KEY)
        .agg(
            _n_all=pl.len(),
            interaction_count_12m=(pl.col("date") >= AS_OF.dt.offset_by(f"-{WINDOW_MONTHS}mo"))
            .sum()
            .cast(pl.Int32),
        )
    )
    latest = latest_interaction.lazy()
    first_contact = silver_interactions["date"].min()
    history = (
        (AS_OF - pl.lit(first_contact)).dt.total_days().clip(lower_bound=0)
        if first_contact is not None
        else pl.lit(0)
    )
    has = pl.col("_n_all").fill_null(0) > 0
    intent = pl.col("customer_intent")
    gap_months = months_between(pl.col("_renewal"), pl.col("last_interaction_date"))
    frame = (
        keys.join(customer, on="customer_id", how="left")
        .join(counts, on=KEY, how="left")
        .join(latest, on=KEY, how="left")
        .with_columns(
            has_interaction=flag(has),
            interaction_count_12m=pl.col("interaction_count_12m").fill_null(0),
            customer_intent=pl.when(has)
            .then(pl.col("latest_intent").fill_null(UNCLASSIFIED_INTENT))
            .otherwise(pl.lit(NO_INTERACTION)),
            _renewal=renewal_as_of(pl.col("next_renewal_date")),
            _change=pl.when(pl.col("last_product_change_date") < AS_OF).then(
                pl.col("last_product_change_date")
            ),
        )
        .with_columns(
            recent_complaint_flag=flag(intent.is_in([COMPLAINT, CANCELLATION])),
            interaction_within_3m_of_renewal=flag(gap_months.is_between(0, 3)),
            is_interaction_within_30d_of_renewal=flag(gap_months.is_between(0, 1)),
            is_cancellation_intent=flag(intent == CANCELLATION),
            is_complaint_intent=flag(intent == COMPLAINT),
            intent_severity_score=intent.replace_strict(INTENT_SEVERITY, default=0, return_dtype=pl.Int8),
            last_interaction_days_ago=(AS_OF - pl.col("last_interaction_date"))
            .dt.total_days()
            .cast(pl.Int32),
            months_since_last_change=months_between(AS_OF, pl.col("_change")),
            contact_history_days=history.cast(pl.Int32),
        )
        .with_columns(
            complaint_near_renewal=flag(
                (pl.col("recent_complaint_flag") == 1) & (pl.col("interaction_within_3m_of_renewal") == 1)
            )
        )
    )
    return (
        frame.select(
            *KEY,
            "has_interaction",
            "interaction_count_12m",
            "customer_intent",
            "recent_complaint_flag",
            "interaction_within_3m_of_renewal",
            "is_interaction_within_30d_of_renewal",
            "complaint_near_renewal",
            "is_cancellation_intent",
            "is_complaint_intent",
            "intent_severity_score",
            "last_interaction_days_ago",
            "months_since_last_change",
            "contact_history_days",
        )
        .sort(ROW_ORDER)
        .collect()
    )
