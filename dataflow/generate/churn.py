"""Why customers leave: the churn process, driven by causes only, and its exact probabilities.

Contracts renew yearly on the anniversary of the renewal date. Before each renewal a customer may go through
a dissatisfaction episode (more likely with price rises, competition, short tenure, a pushy sales channel;
less with dual fuel); at the renewal they leave with probability p(D, causes). A small background hazard
(higher once a contract has expired unrenewed) adds churn on any day. Margin plays no part.
"""

from __future__ import annotations

import numpy as np

from dataflow.generate import calibration as C

NO_CHURN = np.iinfo(np.int32).max


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def eta(book: dict[str, np.ndarray], renewal_day: np.ndarray) -> np.ndarray:
    """Log-odds pushed by the causes for a renewal on ``renewal_day`` (tenure measured at that date)."""
    chan = np.array([C.ETA_CHANNEL[c] for c in C.CHANNELS])[book["channel"]]
    years = (renewal_day - book["activation"]) / 365.25
    tenure = np.select([years < lim for lim, _ in C.ETA_TENURE], [e for _, e in C.ETA_TENURE])
    return (
        C.ETA_COMPETITION * book["high_comp"]
        + chan
        + tenure
        + C.ETA_PRICE_RISE * (book["price_rise"] - C.PRICE_RISE_MEDIAN)
        + C.ETA_DUAL_FUEL * book["dual_fuel"]
    )


def hazard_integral(book: dict[str, np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """∫ background hazard over days [a, b) (0 where b ≤ a)."""
    base = C.BG_HAZARD_PER_DAY * np.exp(C.BG_HAZARD_KX * book["eta25"])
    high = C.EXPIRED_HAZARD_PER_DAY * np.exp(C.BG_HAZARD_KX * book["eta25"])
    switch = np.where(book["expired"], book["r24"], np.iinfo(np.int32).max).astype(float)
    a, b = np.asarray(a, float), np.maximum(np.asarray(b, float), a)
    low_part = np.clip(np.minimum(b, switch) - a, 0, None)
    high_part = np.clip(b - np.maximum(a, switch), 0, None)
    return base * low_part + high * high_part


def _inverse_hazard(book: dict[str, np.ndarray], start: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The day T ≥ start where the hazard accumulated since ``start`` reaches ``e``."""
    base = C.BG_HAZARD_PER_DAY * np.exp(C.BG_HAZARD_KX * book["eta25"])
    high = C.EXPIRED_HAZARD_PER_DAY * np.exp(C.BG_HAZARD_KX * book["eta25"])
    switch = np.where(book["expired"], book["r24"], np.iinfo(np.int32).max).astype(float)
    first = np.clip(switch - start, 0, None) * base  # hazard available before the switch
    return np.where(e <= first, start + e / base, np.maximum(start, switch) + (e - first) / high)


def simulate(g: np.random.Generator, book: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Dissatisfaction episodes, renewal decisions and churn dates for 2024-01-01 … 2025-03-31."""
    n = len(book["activation"])
    out: dict[str, np.ndarray] = {}
    for cyc in ("24", "25"):
        r = book[f"r{cyc}"]
        e = eta(book, r)
        episode = g.random(n) < sigmoid(C.EPISODE_A + e)
        d = np.where(episode, g.beta(*C.D_HIGH_BETA, n), g.beta(*C.D_LOW_BETA, n))
        out[f"eta{cyc}"], out[f"episode{cyc}"], out[f"d{cyc}"] = e, episode, d
        out[f"p{cyc}"] = sigmoid(C.RENEW_K0 + C.RENEW_KD * d + C.RENEW_KX * e)
        out[f"leaves_at{cyc}"] = g.random(n) < out[f"p{cyc}"]
    full = {**book, **out}
    start = np.maximum(book["activation"], 0).astype(float)
    t_bg = _inverse_hazard(full, start, g.exponential(1.0, n))
    bg_day = np.where(t_bg < C.SIM_END_DAY, np.floor(t_bg), NO_CHURN).astype(np.int64)
    has24 = (book["r24"] > book["activation"]) & (book["r24"] >= 0)
    at24 = has24 & out["leaves_at24"]
    at25 = (book["r25"] < C.SIM_END_DAY) & out["leaves_at25"]
    renew_day = np.where(at24, book["r24"], np.where(at25, book["r25"], NO_CHURN))
    out["churn_day"] = np.minimum(bg_day, renew_day)
    out["churn_at_renewal"] = renew_day <= bg_day
    out["has_r24"] = has24
    return out


def true_proba(book: dict[str, np.ndarray], idx: np.ndarray, day: np.ndarray, horizon: int) -> np.ndarray:
    """P(churn in [day, day + horizon) | active on ``day``) for customers ``idx`` — the process's own odds."""
    sub = {k: v[idx] for k, v in book.items() if k in ("eta25", "expired", "r24")}
    survive = np.exp(-hazard_integral(sub, day, day + horizon))
    for cyc, valid in (("24", book["has_r24"][idx]), ("25", np.ones(len(idx), bool))):
        r = book[f"r{cyc}"][idx]
        inside = valid & (r >= day) & (r < day + horizon)
        survive = survive * np.where(inside, 1.0 - book[f"p{cyc}"][idx], 1.0)
    return 1.0 - survive
