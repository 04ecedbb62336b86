"""Tier 2B — sentiment (E4): the tone of the customer's latest contact, and of the whole contact history,
before the as-of date.

Sentiment comes from the interaction text (silver NLP). It is the tier most exposed to text written
with knowledge of the outcome (predecessor §11 item 11), hence the E8 ablation without it. A contact is
*negative* when the customer complained or asked to cancel (intent) or wrote in a negative tone.
"""

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.gold._common import (
    AS_OF,
    CANCELLATION,
    COMPLAINT,
    KEY,
    NO_INTERACTION,
    ROW_ORDER,
    flag,
    snapshot_keys,
)


@tag(layer="gold")
def gold_sentiment(
    snapshots: pl.DataFrame, latest_interaction: pl.DataFrame, silver_interactions: pl.DataFrame
) -> pl.DataFrame:
    """Sentiment tier, one row per snapshot, from the latest interaction before the as-of date (by date).

    - sentiment_label: negative / neutral / positive ("No interaction" when none, "Unknown" if unscored).
    - sentiment_compound: the compound score in [-1, 1] (null when none).
    - is_negative_sentiment: the latest contact was negative (0 when none).
    - complaint_x_negative_sentiment: an angry complaint or cancellation request.
    - negative_contact_count / negative_contact_share: negative contacts ever before the as-of date (count;
      share of all contacts, null when none).
    - most_negative_compound: the lowest compound tone of any earlier contact (null when none).
    - days_since_negative_contact: days since the latest negative contact (null when none).
    - cancellation_intent_ever: the customer ever asked to cancel or switch before the as-of date.
    """
    keys = snapshot_keys(snapshots)
    latest = latest_interaction.lazy()
    history = _contact_history(keys, silver_interactions)
    has = pl.col("last_interaction_date").is_not_null()
    label = pl.col("sentiment_label")
    intent = pl.col("latest_intent")
    return (
        keys.join(latest, on=KEY, how="left")
        .join(history, on=KEY, how="left")
        .with_columns(
            sentiment_label=pl.when(has)
            .then(pl.col("latest_sentiment_label").str.to_lowercase().fill_null("Unknown"))
            .otherwise(pl.lit(NO_INTERACTION)),
            sentiment_compound=pl.col("latest_sentiment_compound").cast(pl.Float64),
        )
        .with_columns(
            is_negative_sentiment=flag(label == "negative"),
            complaint_x_negative_sentiment=flag(
                (label == "negative") & intent.is_in([COMPLAINT, CANCELLATION])
            ),
        )
        .select(
            *KEY,
            "sentiment_label",
            "sentiment_compound",
            "is_negative_sentiment",
            "complaint_x_negative_sentiment",
            pl.col("negative_contact_count").fill_null(0).cast(pl.Int32),
            (pl.col("negative_contact_count") / pl.col("_contacts")).alias("negative_contact_share"),
            "most_negative_compound",
            "days_since_negative_contact",
            flag(pl.col("cancellation_intent_ever")).alias("cancellation_intent_ever"),
        )
        .sort(ROW_ORDER)
        .collect()
    )


def _contact_history(keys: pl.LazyFrame, silver_interactions: pl.DataFrame) -> pl.LazyFrame:
    """Per snapshot, every contact strictly before the as-of date summarised: number of contacts, of negative
    ones (complaint or cancellation intent, or negative tone), the lowest tone, the latest negative contact's
    age in days, and whether any asked to cancel."""
    intent, label = pl.col("customer_intent"), pl.col("sentiment_label").str.to_lowercase()
    negative = (intent.is_in([COMPLAINT, CANCELLATION]) | (label == "negative")).fill_null(False)
    events = (
        keys.join(
            silver_interactions.lazy().select(
                "customer_id", "date", "customer_intent", "sentiment_label", "sentiment_compound"
            ),
            on="customer_id",
            how="inner",
        )
        .filter(pl.col("date") < AS_OF)
        .with_columns(_negative=negative)
    )
    return (
        events.group_by(KEY)
        .agg(
            _contacts=pl.len(),
            negative_contact_count=pl.col("_negative").sum().cast(pl.Int32),
            most_negative_compound=pl.col("sentiment_compound").cast(pl.Float64).min(),
            _last_negative=pl.col("date").filter(pl.col("_negative")).max(),
            cancellation_intent_ever=(intent == CANCELLATION).any(),
        )
        .with_columns(
            days_since_negative_contact=(AS_OF - pl.col("_last_negative")).dt.total_days().cast(pl.Float64)
        )
        .drop("_last_negative")
    )
