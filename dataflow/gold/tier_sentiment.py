"""Tier 2B — sentiment (E4): the tone of the customer's latest contact before the as-of date.

Sentiment comes from the interaction text (silver NLP). It is the tier most exposed to text written
with knowledge of the outcome (predecessor §11 item 11), hence the E8 ablation without it.
"""

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.gold._common import (
    CANCELLATION,
    COMPLAINT,
    KEY,
    NO_INTERACTION,
    flag,
    snapshot_keys,
)


@tag(layer="gold")
def gold_sentiment(snapshots: pl.DataFrame, latest_interaction: pl.DataFrame) -> pl.DataFrame:
    """Sentiment tier, one row per snapshot, from the latest interaction before the as-of date (by date).

    - sentiment_label: negative / neutral / positive ("No interaction" when none, "Unknown" if unscored).
    - sentiment_compound: the compound score in [-1, 1] (null when none).
    - is_negative_sentiment: the latest contact was negative (0 when none).
    - complaint_x_negative_sentiment: an angry complaint or cancellation request.
    """
    keys = snapshot_keys(snapshots)
    latest = latest_interaction.lazy()
    has = pl.col("last_interaction_date").is_not_null()
    label = pl.col("sentiment_label")
    intent = pl.col("latest_intent")
    return (
        keys.join(latest, on=KEY, how="left")
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
        )
        .sort(KEY)
        .collect()
    )
