"""Customer interactions enriched with NLP: the intent of each summary and its sentiment."""

from __future__ import annotations

import polars as pl
from hamilton.function_modifiers import check_output_custom, tag

from dataflow import nlp
from dataflow.silver.schema import SILVER_INTERACTIONS_SCHEMA
from dataflow.validation import PanderaPolarsValidator


@tag(layer="silver", target_=...)
@tag(publish="silver")
@check_output_custom(PanderaPolarsValidator(SILVER_INTERACTIONS_SCHEMA))
def silver_interactions(raw_customer_interactions: pl.DataFrame, sentiment_backend: str) -> pl.DataFrame:
    """One row per interaction with customer_intent and sentiment (neg/neu/pos/compound/label).

    A blank summary has intent "Other / Unclassified" and no sentiment (nulls), never a made-up neutral.
    """
    frame = raw_customer_interactions.sort("customer_id", "date", maintain_order=True)
    texts = [t if t is not None and t.strip() else None for t in frame["interaction_summary"].to_list()]
    scores = nlp.sentiment_scores(texts, backend=sentiment_backend)
    return pl.concat(
        [frame.with_columns(pl.Series("customer_intent", nlp.intents(texts), dtype=pl.Utf8)), scores],
        how="horizontal",
    )
