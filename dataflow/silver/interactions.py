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
    texts = pl.Series(
        "_text", [t if t is not None and t.strip() else None for t in frame["interaction_summary"]]
    )
    # each distinct text is read once (agents' summaries repeat: 37% of the generated default book's are distinct)
    distinct = texts.drop_nulls().unique(maintain_order=True).to_list()
    read = pl.concat(
        [
            pl.DataFrame({"_text": distinct}, schema={"_text": pl.Utf8}),
            pl.DataFrame({"customer_intent": nlp.intents(distinct)}, schema={"customer_intent": pl.Utf8}),
            nlp.sentiment_scores(distinct, backend=sentiment_backend),
        ],
        how="horizontal",
    )
    return (
        frame.with_columns(texts.cast(pl.Utf8))
        .join(read, on="_text", how="left", maintain_order="left")
        .with_columns(pl.col("customer_intent").fill_null(nlp.classify_intent(None)))
        .drop("_text")
    )
