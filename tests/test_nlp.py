"""The intent catalogue and the sentiment backends of dataflow/nlp.py."""

from __future__ import annotations

import importlib.util

import pytest

from dataflow import nlp
from dataflow.errors import UserError


@pytest.mark.parametrize(
    "text, intent",
    [
        (
            "Cust inquired about renewal options. Unhappy.",
            "Complaint / Escalation",
        ),  # priority 2 beats renewal
        ("Cust inquired about early contract cancel. Frustrated.", "Cancellation / Switch"),  # 1 beats 2
        ("Cust inq re: plan options. No price hike. Adv.", "Pricing Offers"),  # price beats plan
        (
            "The customer inquired about their upcoming renewal in 69 days and expressed interest in exploring offers "
            "available through a comparison site.",
            "Contract Renewal",
        ),
        ("Customer is switching to another supplier.", "Cancellation / Switch"),
        ("Asked for a discount on the bill.", "Billing / Payment"),  # billing (3) beats pricing (5)
        ("Contract expiry date confirmed.", "Contract Renewal"),
        ("Looking around for a better deal.", "Pricing Offers"),
        ("Cust inq re: plan options. Adv.", "Plan / Product Inquiry"),
        ("Account details updated, all good.", "Account / Service Inquiry"),
        ("Routine follow-up call.", "General / Operational Contact"),
        ("Hola, buenos días.", "Other / Unclassified"),
        ("", "Other / Unclassified"),
        (None, "Other / Unclassified"),
    ],
)
def test_intent_catalogue(text, intent):
    assert nlp.classify_intent(text) == intent


def test_catalogue_is_ordered_and_word_bounded():
    names = [name for name, _ in nlp.INTENT_CATALOGUE]
    assert names[:2] == ["Cancellation / Switch", "Complaint / Escalation"]
    assert len(names) == 8 and nlp.INTENTS[-1] == nlp.OTHER_INTENT
    assert nlp.classify_intent("The planner visited the billboard") == nlp.OTHER_INTENT  # no partial words
    assert nlp.classify_intent("RENEWAL") == "Contract Renewal"  # case-insensitive


def test_intents_keeps_order():
    assert nlp.intents(["renewal", "cancel", None]) == [
        "Contract Renewal",
        "Cancellation / Switch",
        "Other / Unclassified",
    ]


def test_vader_labels_on_obvious_texts():
    df = nlp.sentiment_scores(
        [
            "The customer was very happy and thanked the agent, great service!",
            "Customer furious, terrible service, awful experience.",
            "Renewal date is 2025-03-01.",
            "",
            None,
        ]
    )
    assert list(df.columns) == list(nlp.SENTIMENT_COLUMNS)
    assert df["sentiment_label"].to_list() == ["positive", "negative", "neutral", None, None]
    assert df["sentiment_compound"][0] > 0.5 and df["sentiment_compound"][1] < -0.5
    row = df.row(0)
    assert abs(row[0] + row[1] + row[2] - 1) < 0.01


def test_label_thresholds():
    assert nlp.label_from_compound(0.05) == "positive"
    assert nlp.label_from_compound(-0.05) == "negative"
    assert nlp.label_from_compound(0.049) == "neutral"


def test_backends():
    assert nlp.get_sentiment_backend("vader") is nlp.get_sentiment_backend()
    with pytest.raises(UserError, match="unknown sentiment backend"):
        nlp.get_sentiment_backend("bert")
    with pytest.raises(UserError, match="local model folder"):
        nlp.get_sentiment_backend("transformer:")
    if importlib.util.find_spec("transformers") is None:
        with pytest.raises(UserError, match="transformers"):
            nlp.get_sentiment_backend("transformer:/models/roberta")


def test_custom_backend_is_pluggable():
    class Always:
        name = "always-positive"

        def score(self, texts):
            return [(0.0, 0.0, 1.0, 1.0, "positive") for _ in texts]

    df = nlp.sentiment_scores(["anything", " "], backend=Always())
    assert df["sentiment_label"].to_list() == ["positive", None]
