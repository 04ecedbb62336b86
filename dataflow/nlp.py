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
            r"close\s+my\s+account",
            r"cxl",
            r"leaving",
            r"moving\s+to\s+(?:a\s+)?(?:different|another|new)\s+supplier",
            # Spanish
            r"baja",
            r"cancelar",
            r"cancelaci[oó]n",
            r"darse\s+de\s+baja",
            r"se\s+cambia\s+de\s+compa[nñ][ií]a",
            r"(?:irse|irme|se\s+va)\s+a\s+otra",
            r"rescindir",
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
            r"compl",
            r"esc",
            # Spanish
            r"quejas?",
            r"se\s+queja",
            r"reclamaci[oó]n",
            r"reclama",
            r"escalad[oa]",
            r"descontent[oa]",
            r"hart[oa]",
            r"indignad[oa]",
        ),
    ),
    (
        "Billing / Payment",
        _rx(
            r"bill(?:s|ing)?",
            r"charge[sd]?",
            r"payments?",
            r"overdue",
            r"past\s+due",
            r"invoices?",
            r"refunds?",
            r"direct\s+debit",
            r"pmt",
            r"facturas?",
            r"recibos?",
            r"cobros?",
            r"pagos?",
            r"importe",
            r"devoluci[oó]n",
        ),
    ),
    (
        "Contract Renewal",
        _rx(
            r"renew(?:al|als|ing|ed)?",
            r"expir(?:e|y|ation)",
            r"next\s+renewal",
            r"renewals\s+discussed",
            r"renewed\s+contract",
            r"renews",
            r"renov(?:aci[oó]n|ar|aci[oó]nes)?",
            r"renueva",
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
            r"disc",
            r"precios?",
            r"descuentos?",
            r"subidas?",
            r"rebaja",
            r"ofertas?",
            r"m[aá]s\s+barat[oa]",
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
            r"planes",
            r"opciones",
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
            r"acct",
            r"datos",
            r"cuenta",
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
            r"seguimiento",
            r"rutinaria",
        ),
    ),
)
INTENTS: tuple[str, ...] = tuple(name for name, _ in INTENT_CATALOGUE) + (OTHER_INTENT,)


# ---- spelling: one-edit typos of the words that carry intent or tone are read as the word ------------------
KEYWORDS = (
    "cancel cancellation cancelled switch switching terminate leave leaving complaint complain complained "
    "complaints frustrated frustration escalated escalate dissatisfied upset unhappy happy satisfied pleased "
    "disappointed annoyed angry furious renewal renew billing bill payment refund charged overcharged invoice "
    "price prices increase discount discounts supplier service customer account details confirmed provided "
    "received agent thanked follow-up routine formally options comparison terms"
).split()


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _build_typo_index() -> dict[str, str]:
    """Every keyword and each of its one-letter deletions → the keyword (ambiguous forms dropped)."""
    index: dict[str, str] = {}
    clash: set[str] = set()
    for k in KEYWORDS:
        for form in {k, *_deletions(k)}:
            if form in index and index[form] != k:
                clash.add(form)
            index[form] = k
    return {f: k for f, k in index.items() if f not in clash}


_TYPO_INDEX = _build_typo_index()
_WORD = re.compile(r"[A-Za-z][A-Za-z-]{4,}")


def _known_words() -> set[str]:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        lexicon = set(SentimentIntensityAnalyzer().lexicon)
    except ImportError:  # pragma: no cover - vader is a dependency
        lexicon = set()
    return lexicon | _inflections()


def _inflections() -> set[str]:
    """The keywords and their own family (charged → charge, charges): real words, never typos."""
    forms = set(KEYWORDS)
    for k in KEYWORDS:
        forms |= {k + "s", k + "es", k + "d", k + "ed", k + "ing"}
        for end in ("s", "d", "ed", "ing"):
            if k.endswith(end):
                forms.add(k[: -len(end)])
    return forms


_KNOWN: set[str] = set()


def _typo_of(word: str, key: str) -> bool:
    """``word`` is ``key`` with one letter dropped, one added, or two neighbours swapped — not one letter
    changed, which turns real words into others ("changed" is not a typo of "charged")."""
    if len(word) == len(key) - 1:
        return word in _deletions(key)
    if len(word) == len(key) + 1:
        return key in _deletions(word)
    if len(word) == len(key):
        diff = [i for i in range(len(word)) if word[i] != key[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == key[diff[1]]
            and word[diff[1]] == key[diff[0]]
        )
    return False


def correct_typos(text: str) -> str:
    """The text with each unknown word of 5+ letters that is one edit (a letter dropped, added, changed or
    two swapped) from exactly one keyword replaced by that keyword: "complant" → "complaint"."""
    if not _KNOWN:
        _KNOWN.update(_known_words())

    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        low = w.lower()
        if low in _KNOWN:
            return w
        hits = {_TYPO_INDEX[f] for f in (low, *_deletions(low)) if f in _TYPO_INDEX}
        hits = {k for k in hits if _typo_of(low, k)}
        return hits.pop() if len(hits) == 1 else w

    return _WORD.sub(fix, text)


def classify_intent(text: str | None) -> str:
    """The intent of one interaction summary (first rule of the catalogue that matches, typos of the key
    words forgiven; else Other)."""
    if not text or not text.strip():
        return OTHER_INTENT
    text = correct_typos(text)
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


# Words VADER does not know (or weighs for other domains), with valences on its −4…4 scale: energy-customer
# complaints in English, and the Spanish of mixed notes.
DOMAIN_LEXICON = {
    "overcharged": -2.2,
    "overbilled": -2.2,
    "ripoff": -2.5,
    "rip-off": -2.5,
    "shambles": -2.5,
    "nightmare": -2.6,
    "disgraceful": -2.6,
    "outrageous": -2.5,
    "unaffordable": -2.0,
    "misled": -2.0,
    "deceptive": -2.0,
    "cheated": -2.5,
    "relentless": -1.5,
    "extortionate": -2.6,
    "unfair": -1.8,
    "unfairly": -1.8,
    "absurd": -1.8,
    "distressed": -2.0,
    "exhausted": -1.5,
    "ignored": -1.8,
    "insulting": -2.2,
    "punished": -2.0,
    "downhill": -1.8,
    "incorrect": -1.0,
    "wrong": -1.2,
    # the customer's own state outweighs courtesy words in a contact note
    "disappointed": -3.0,
    "unhappy": -3.0,
    "dissatisfied": -3.0,
    "upset": -2.6,
    "frustrated": -2.6,
    "annoyed": -2.6,
    "worried": -2.0,
    "worry": -1.8,
    # Spanish
    "contento": 2.0,
    "contenta": 2.0,
    "encantado": 2.5,
    "encantada": 2.5,
    "satisfecho": 2.0,
    "satisfecha": 2.0,
    "gracias": 1.5,
    "agradece": 1.5,
    "genial": 2.5,
    "molesto": -1.8,
    "molesta": -1.8,
    "enfadado": -2.3,
    "enfadada": -2.3,
    "furioso": -2.8,
    "furiosa": -2.8,
    "harto": -2.2,
    "harta": -2.2,
    "cansado": -1.5,
    "cansada": -1.5,
    "queja": -1.5,
    "descontento": -2.0,
    "descontenta": -2.0,
    "decepcionado": -2.0,
    "decepcionada": -2.0,
    "indignado": -2.5,
    "indignada": -2.5,
    "abusivo": -2.5,
    "fatal": -2.5,
    "pésimo": -3.0,
    "errónea": -1.2,
    "incorrecta": -1.2,
}
# sarcasm: praise next to something a customer never welcomes reads as its opposite
_SARCASM_EVENT = re.compile(
    r"\b(?:increase|hike|doubled|double|charged\s+twice|twice|on\s+hold|again|another|estimated|still\s+waiting|"
    r"went\s+up|goes?\s+up|go\s+up|more\s+than\s+last|pay\s+more|cut\s+off|closed\s+without|"
    r"promised|without\s+notice|late|highest\s+rate|cancelling|switching|empty|waiting|went\s+down)\b",
    re.IGNORECASE,
)
_SARCASM_CUE = re.compile(
    r"\b(?:oh|yeah\s+right|thanks\s+(?:a\s+lot|so\s+much|for\s+nothing)|just\s+what|love\s+(?:how|it)|"
    r"so\s+generous|well\s+done|best\s+\w+\s+ever|great\s+job|really\s+(?:great|impressive|glad)|"
    r"cheers|lovely|fabulous|fantastic|brilliant|wonderful|amazing|awesome|perfect|excellent|super|"
    r"what\s+a\s+great|nice\s+to\s+see|sure)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(
    r"(?<=[.!?;:])\s+|,?\s+(?=\b(?:but|however|although|though|unfortunately|yet|pero|sin\s+embargo)\b)",
    re.IGNORECASE,
)


@dataclass
class VaderBackend:
    """Rule-based VADER (vaderSentiment) with an energy/Spanish lexicon and three rules: typos of key words
    are read as the word, a long text whose closing negative sentence is strongly negative is negative
    (polite openings no longer outweigh the complaint), and praise beside an unwelcome event is sarcasm.
    Fast, deterministic, no model download."""

    name: str = "vader"

    def __post_init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self._analyzer.lexicon.update(DOMAIN_LEXICON)

    def compound(self, text: str) -> dict:
        """VADER's scores of the (typo-corrected) text with the long-prose and sarcasm rules applied."""
        text = correct_typos(text)
        s = dict(self._analyzer.polarity_scores(text))
        c = s["compound"]
        sentences = [x for x in _SENTENCE.split(text) if x.strip()]
        if len(sentences) > 1:
            per = [self._analyzer.polarity_scores(x)["compound"] for x in sentences]
            toned = [v for v in per if abs(v) >= 0.05]
            if toned and min(per) <= -0.3 and toned[-1] < 0:
                c = min(c, toned[-1], sum(per) / len(per))  # the complaint the text ends on decides
        if c > -0.05 and _SARCASM_EVENT.search(text) and _SARCASM_CUE.search(text):
            c = -max(abs(c), 0.3)
        s["compound"] = c
        return s

    def score(self, texts: list[str]) -> list[tuple[float, float, float, float, str]]:
        out = []
        for t in texts:
            s = self.compound(t)
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
