"""What customers said: intent and sentiment of the free-text interaction summaries.

Shared by the generator's self-check, the profiler and the ETL (silver interactions). The intent catalogue is
the predecessor's priority list (reference spec §4.9): what a contact was about, first matching rule wins.
Sentiment is VADER by default; a local Hugging Face model can be plugged in with ``transformer:<dir>``.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from dataflow.errors import UserError

OTHER_INTENT = "Other / Unclassified"


def _rx(*patterns: str) -> re.Pattern[str]:
    """One case-insensitive, word-bounded alternation of the given patterns."""
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.IGNORECASE)


# Ordered: the first intent whose pattern matches a text is the text's intent.
INTENT_CATALOGUE: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "Cancellation / Switch",
        _rx(
            r"cancel",
            r"cancell?ed",
            r"cancellation",
            r"terminate",
            r"switch(?:ing)?",
            r"leave",
            r"account\s+clos(?:e|ure)",
            r"closing\s+(?:the\s+)?account",
        ),
    ),
    (
        "Complaint / Escalation",
        _rx(
            r"complain(?:t|ts|ing|ed|s)?",
            r"frustrat(?:ed|ion)",
            r"escalat(?:ed|ion)",
            r"not\s+satisfied",
            r"unsatisfied",
            r"upset",
            r"dissatisf(?:ied|action)",
            r"unhappy",
            r"discontent",
        ),
    ),
    ("Billing / Payment", _rx(r"bill(?:s|ing)?", r"charge[sd]?", r"payments?", r"overdue", r"past\s+due")),
    (
        "Contract Renewal",
        _rx(
            r"renew(?:al|als|ing|ed)?",
            r"expir(?:e|y|ation)",
            r"next\s+renewal",
            r"renewals\s+discussed",
            r"renewed\s+contract",
        ),
    ),
    (
        "Pricing Offers",
        _rx(
            r"price[sd]?",
            r"rates?",
            r"pricing",
            r"increase",
            r"hike",
            r"discounts?",
            r"savings?",
            r"competitive",
            r"better\s+(?:deal|rate|offer)",
            r"competitiveness",
            r"competition",
            r"alternatives?",
            r"seeking\s+alternatives?",
            r"looking\s+around",
        ),
    ),
    (
        "Plan / Product Inquiry",
        _rx(
            r"plans?",
            r"plan\s+options?",
            r"new\s+plan",
            r"future\s+plans?",
            r"options?",
            r"exploring\s+options?",
        ),
    ),
    (
        "Account / Service Inquiry",
        _rx(
            r"account\s+details?",
            r"account\s+questions?",
            r"services?",
            r"inquir(?:y|ed|ies)",
            r"info",
            r"clarified",
            r"provided\s+info",
            r"reviewed\s+options",
            r"discussed\s+options",
            r"account\s+updates?",
            r"account\s+setup",
            r"setup\s+details?",
            r"account\s+issues?",
            r"account\b[^.]*\bno\s+issues",
            r"no\s+issues\s+found",
            r"all\s+good",
        ),
    ),
    (
        "General / Operational Contact",
        _rx(
            r"general",
            r"follow-up",
            r"follow\s+up",
            r"followup",
            r"routine",
            r"inbound\s+call",
            r"no\s+action\s+required",
            r"issue\s+resolved",
            r"resolved",
            r"normal\s+process",
            r"standard\s+interaction",
            r"customer\s+contacted",
        ),
    ),
)
INTENTS: tuple[str, ...] = tuple(name for name, _ in INTENT_CATALOGUE) + (OTHER_INTENT,)


def classify_intent(text: str | None) -> str:
    """The intent of one interaction summary (first rule of the catalogue that matches; else Other)."""
    if not text or not text.strip():
        return OTHER_INTENT
    for name, pattern in INTENT_CATALOGUE:
        if pattern.search(text):
            return name
    return OTHER_INTENT


def intents(texts: Sequence[str | None]) -> list[str]:
    """The intent of every text, in order."""
    return [classify_intent(t) for t in texts]


# ---- sentiment ---------------------------------------------------------------------------------------
SENTIMENT_COLUMNS = (
    "sentiment_neg",
    "sentiment_neu",
    "sentiment_pos",
    "sentiment_compound",
    "sentiment_label",
)
POSITIVE_AT = 0.05  # VADER's usual cut-offs on the compound score
NEGATIVE_AT = -0.05


def label_from_compound(compound: float) -> str:
    """positive / negative / neutral from a compound score in [-1, 1]."""
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


class SentimentBackend(Protocol):
    """Anything that scores texts: returns (neg, neu, pos, compound, label) per non-blank text."""

    name: str

    def score(self, texts: list[str]) -> list[tuple[float, float, float, float, str]]: ...


@dataclass
class VaderBackend:
    """Rule-based VADER (vaderSentiment): fast, deterministic, no model download."""

    name: str = "vader"

    def __post_init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()

    def score(self, texts: list[str]) -> list[tuple[float, float, float, float, str]]:
        out = []
        for t in texts:
            s = self._analyzer.polarity_scores(t)
            out.append((s["neg"], s["neu"], s["pos"], s["compound"], label_from_compound(s["compound"])))
        return out


@dataclass
class TransformerBackend:
    """A local Hugging Face text-classification model with negative/neutral/positive labels."""

    model_dir: str
    name: str = "transformer"

    def __post_init__(self) -> None:
        from transformers import pipeline  # imported only when asked for

        self._pipe = pipeline(
            "text-classification", model=self.model_dir, tokenizer=self.model_dir, top_k=None, truncation=True
        )

    def score(self, texts: list[str]) -> list[tuple[float, float, float, float, str]]:
        out = []
        for res in self._pipe(texts, batch_size=32):
            p = {d["label"].lower(): float(d["score"]) for d in res}
            neg, neu, pos = p.get("negative", 0.0), p.get("neutral", 0.0), p.get("positive", 0.0)
            label = max((("negative", neg), ("neutral", neu), ("positive", pos)), key=lambda kv: kv[1])[0]
            out.append((neg, neu, pos, pos - neg, label))
        return out


_BACKENDS: dict[str, SentimentBackend] = {}


def get_sentiment_backend(name: str = "vader") -> SentimentBackend:
    """The sentiment scorer called ``name``: ``vader`` (default) or ``transformer:<local model dir>``."""
    if name in _BACKENDS:
        return _BACKENDS[name]
    if name == "vader":
        backend: SentimentBackend = VaderBackend()
    elif name.startswith("transformer:"):
        model_dir = name.split(":", 1)[1]
        if not model_dir:
            raise UserError(
                "sentiment backend 'transformer:<dir>' needs a local model folder after the colon"
            )
        if importlib.util.find_spec("transformers") is None:
            raise UserError(
                f"sentiment backend {name!r} needs the 'transformers' package, which is not "
                "installed; use 'vader' or install transformers (and torch)"
            )
        backend = TransformerBackend(model_dir)
    else:
        raise UserError(f"unknown sentiment backend {name!r}: expected 'vader' or 'transformer:<local dir>'")
    _BACKENDS[name] = backend
    return backend


def sentiment_scores(texts: Sequence[str | None], backend: str | SentimentBackend = "vader") -> pl.DataFrame:
    """Sentiment of every text, in order; blank or missing texts get nulls."""
    scorer = get_sentiment_backend(backend) if isinstance(backend, str) else backend
    keep = [i for i, t in enumerate(texts) if t is not None and str(t).strip()]
    scored = scorer.score([str(texts[i]) for i in keep]) if keep else []
    cols: list[list] = [[None] * len(texts) for _ in SENTIMENT_COLUMNS]
    for i, row in zip(keep, scored, strict=True):
        for c, v in enumerate(row):
            cols[c][i] = v
    schema = {c: pl.Float64 for c in SENTIMENT_COLUMNS[:4]} | {"sentiment_label": pl.String}
    return pl.DataFrame(dict(zip(SENTIMENT_COLUMNS, cols, strict=True)), schema=schema)
