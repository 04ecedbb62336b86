"""Interactions keep one row each and gain intent and sentiment; blank summaries get no sentiment."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dataflow.nlp import OTHER_INTENT
from dataflow.silver.interactions import silver_interactions


def test_intent_and_sentiment_per_interaction():
    raw = pl.DataFrame(
        {
            "customer_id": ["C2", "C1", "C1", "C3"],
            "date": [dt.date(2024, 5, 1), dt.date(2024, 3, 1), dt.date(2024, 4, 1), dt.date(2024, 6, 1)],
            "channel": ["phone", "email", "chat", "office"],
            "interaction_summary": [
                "Cust inquired about early contract cancel. Frustrated.",
                "Customer very happy with the excellent service, thanks!",
                "   ",
                None,
            ],
        }
    )
    out = silver_interactions(raw, "vader")
    assert out.height == 4 and out["customer_id"].to_list() == [
        "C1",
        "C1",
        "C2",
        "C3",
    ]  # one row each, sorted
    rows = {(r["customer_id"], r["date"]): r for r in out.iter_rows(named=True)}
    happy = rows[("C1", dt.date(2024, 3, 1))]
    assert happy["sentiment_label"] == "positive" and happy["sentiment_compound"] > 0.05
    cancel = rows[("C2", dt.date(2024, 5, 1))]
    assert cancel["customer_intent"] == "Cancellation / Switch" and cancel["sentiment_label"] == "negative"
    for blank in (rows[("C1", dt.date(2024, 4, 1))], rows[("C3", dt.date(2024, 6, 1))]):
        assert blank["customer_intent"] == OTHER_INTENT
        assert all(
            blank[c] is None
            for c in (
                "sentiment_neg",
                "sentiment_neu",
                "sentiment_pos",
                "sentiment_compound",
                "sentiment_label",
            )
        )
    assert out.columns[:4] == ["customer_id", "date", "channel", "interaction_summary"]
