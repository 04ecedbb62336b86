"""When customers get in touch, and in what mood: the contact schedule behind customer_interactions.json.

Contacts cluster some months before a renewal. A customer in a dissatisfaction episode almost always calls,
calls more often and later, and the decisive call is a complaint (mostly negative); content customers call
less, mostly to ask about the renewal in a positive or neutral tone. Texts themselves come from ``texts``.
"""

from __future__ import annotations

import numpy as np

from dataflow.generate import calibration as C

KINDS = (
    "renewal_pos",
    "renewal_neu",
    "renewal_neg",
    "complaint_neg",
    "complaint_neu",
    "cancel",
    "pricing",
    "billing",
    "plan",
    "account",
    "general",
)
KIND = {k: i for i, k in enumerate(KINDS)}
# what the NLP of dataflow/nlp.py must read in each kind's texts (checked by the tests)
EXPECTED = {
    "renewal_pos": ("Contract Renewal", "positive"),
    "renewal_neu": ("Contract Renewal", "neutral"),
    "renewal_neg": ("Contract Renewal", "negative"),
    "complaint_neg": ("Complaint / Escalation", "negative"),
    "complaint_neu": ("Complaint / Escalation", "neutral"),
    "cancel": ("Cancellation / Switch", "negative"),
    "pricing": ("Pricing Offers", "neutral"),
    "billing": ("Billing / Payment", "neutral"),
    "plan": ("Plan / Product Inquiry", "neutral"),
    "account": ("Account / Service Inquiry", "neutral"),
    "general": ("General / Operational Contact", "neutral"),
}
CHANNELS = ("phone", "email", "chat", "office")
CHANNEL_P = np.array([0.55, 0.22, 0.15, 0.08])


def _pick(g: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
    p = np.array(list(mix.values()), float)
    return np.array([KIND[k] for k in mix], np.int8)[g.choice(len(p), n, p=p / p.sum())]


def _rank_from_last(idx: np.ndarray) -> np.ndarray:
    """Position of each element counted back from the last element of its (sorted, contiguous) group."""
    pos = np.arange(len(idx))
    is_last = np.r_[idx[1:] != idx[:-1], True] if len(idx) else np.zeros(0, bool)
    last_pos = np.flatnonzero(is_last)
    return last_pos[np.searchsorted(last_pos, pos)] - pos


def schedule(g: np.random.Generator, book: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """All contacts dated in 2024 before December, after activation and before churn, sorted by customer/day."""
    parts = []
    for cyc in ("24", "25"):
        renewal, high = book[f"r{cyc}"], book[f"episode{cyc}"]
        n = len(renewal)
        first = g.random(n) < np.where(high, C.CONTACT_P_HIGH, C.CONTACT_P_LOW[cyc])
        extra_p = np.where(high, C.EXTRA_CONTACT_P_HIGH, C.EXTRA_CONTACT_P_LOW)
        count = first * g.geometric(1.0 - extra_p)
        idx = np.repeat(np.arange(n), count)
        hi = high[idx]
        rank = _rank_from_last(idx)  # 0 for a customer's last contact of the cycle, 1 for the one before…
        notice = C.NOTICE_DAYS - g.exponential(C.NOTICE_RESPONSE_DAYS, n)
        offset_hi = notice[idx] + rank * g.uniform(*C.EARLIER_CONTACT_GAP, len(idx))
        offset_lo = C.OFFSET_LOW[0] + C.OFFSET_LOW[1] * g.standard_normal(len(idx))
        offset = np.clip(np.rint(np.where(hi, offset_hi, offset_lo)), *C.OFFSET_RANGE).astype(np.int64)
        order = np.lexsort((-offset, idx))
        idx, hi, offset = idx[order], hi[order], offset[order]
        last = np.r_[idx[1:] != idx[:-1], True]  # the contact closest to the renewal decides the tone
        kind = np.where(hi, _pick(g, C.KINDS_EARLY_HIGH, len(idx)), _pick(g, C.KINDS_LOW, len(idx)))
        kind = np.where(last & hi, _pick(g, C.KINDS_HIGH, len(idx)), kind)
        day = renewal[idx] - offset
        # a dissatisfied customer who joined after the usual calling time calls soon after joining instead
        joined = book["activation"][idx]
        late = hi & (day < joined) & (joined >= 0)
        soon = joined + g.integers(1, C.NEW_CUSTOMER_CONTACT_DAYS + 1, len(idx))
        day = np.where(late, np.minimum(soon, renewal[idx] - C.OFFSET_RANGE[0]), day)
        offset = renewal[idx] - day
        parts.append(
            {
                "idx": idx,
                "day": day,
                "kind": kind,
                "to_renewal": offset,
                "high": hi,
                "channel": g.choice(len(CHANNELS), len(idx), p=CHANNEL_P).astype(np.int8),
            }
        )
    s = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    i = s["idx"]
    keep = (
        (s["day"] >= np.maximum(book["activation"][i], 0))
        & (s["day"] < C.INTERACTIONS_END_DAY)
        & (s["day"] < book["churn_day"][i])
    )
    s = {k: v[keep] for k, v in s.items()}
    order = np.lexsort((s["day"], s["idx"]))
    s = {k: v[order] for k, v in s.items()}
    dup = np.r_[False, (s["idx"][1:] == s["idx"][:-1]) & (s["day"][1:] == s["day"][:-1])]
    return {k: v[~dup] for k, v in s.items()}  # (customer, date) is the file's key
