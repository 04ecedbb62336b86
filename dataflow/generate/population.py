"""The customer book: who the customers are (segment, power, place, channel, tenure, renewal date, usage).

Customers are drawn i.i.d. in id order; the book stops at the N-th customer still active on 2025-01-01 and
keeps every earlier-id customer who left during 2024. A book is a dict of equal-length numpy arrays
(dates as day numbers from 2024-01-01).
"""

from __future__ import annotations

import numpy as np

from dataflow.generate import calibration as C
from dataflow.generate import churn, geography, rng

Book = dict[str, np.ndarray]
SEGMENTS = (
    "res",
    "second",
    "sme",
    "corp",
)  # residential primary/second home, SME (10 kW), Corporate (>10 kW)
RES, SECOND, SME, CORP = range(4)


def _uniform_in_buckets(g: np.random.Generator, n: int, edges: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Integers drawn bucket-wise: bucket by ``p``, then uniform in (edges[b], edges[b+1]] (first closed)."""
    b = g.choice(len(p), size=n, p=p / p.sum())
    lo = edges[b] + (b > 0)
    return lo + np.floor(g.random(n) * (edges[b + 1] - lo + 1)).astype(np.int64)


def shift_months(day: np.ndarray, months: int) -> np.ndarray:
    """Same day of month ``months`` later (calendar arithmetic on day numbers)."""
    d = C.DAY0 + day.astype("timedelta64[D]")
    m = d.astype("datetime64[M]")
    dom = d - m.astype("datetime64[D]")
    return ((m + months).astype("datetime64[D]") + dom - C.DAY0).astype(np.int64)


def _lognormal(g: np.random.Generator, n: int, median_sigma: tuple[float, float]) -> np.ndarray:
    median, sigma = median_sigma
    return median * np.exp(sigma * g.standard_normal(n))


def draw_static(g: np.random.Generator, n: int) -> Book:
    """Static attributes of ``n`` i.i.d. customers (everything known before the churn process runs)."""
    is_ind = g.random(n) < C.P_INDUSTRIAL
    second = ~is_ind & (g.random(n) < C.P_SECOND_RESIDENCE)
    kw_ind = np.array(list(C.IND_POWER_COUNTS), dtype=float)
    p_ind = np.array(list(C.IND_POWER_COUNTS.values()), dtype=float)
    power = np.where(
        is_ind,
        g.choice(kw_ind, n, p=p_ind / p_ind.sum()),
        np.where(
            second,
            g.choice(C.RES_POWER_KW, n, p=C.SECOND_RES_POWER_P / C.SECOND_RES_POWER_P.sum()),
            g.choice(C.RES_POWER_KW, n, p=C.RES_POWER_P / C.RES_POWER_P.sum()),
        ),
    )
    seg = np.where(is_ind, np.where(power > 10, CORP, SME), np.where(second, SECOND, RES)).astype(np.int8)
    prov = g.choice(len(geography.CODES), n, p=geography.province_weights())
    high = geography.IS_HIGH[prov]
    urban = g.random(n) < np.where(high, geography.URBAN_SHARE_HIGH, geography.URBAN_SHARE_LOW)
    channel = g.choice(len(C.CHANNELS), n, p=C.CHANNEL_P / C.CHANNEL_P.sum()).astype(np.int8)
    channel_dirt = np.where(g.random(n) < C.CHANNEL_DIRT, g.integers(1, 4, n), 0).astype(np.int8)
    activation = C.SCORING_DAY - 1 - _uniform_in_buckets(g, n, C.TENURE_EDGES_DAYS, C.TENURE_P)
    renewal = C.SCORING_DAY - 1 + _uniform_in_buckets(g, n, C.RENEWAL_EDGES_DAYS, C.RENEWAL_P)
    expired = renewal < C.SCORING_DAY
    r24 = np.where(expired, renewal, shift_months(renewal, -12))
    r25 = np.where(expired, shift_months(renewal, 12), renewal)
    # usage: annual electricity kWh and gas m³
    elec = np.select(
        [seg == RES, seg == SECOND, seg == SME],
        [_lognormal(g, n, C.ELEC_RES), _lognormal(g, n, C.ELEC_SECOND_RES), _lognormal(g, n, C.ELEC_SME)],
        np.exp(g.uniform(*np.log(C.ELEC_CORP_RANGE), n)),
    )
    empty = (seg <= SECOND) & (g.random(n) < C.P_EMPTY_HOME)
    elec = np.where(empty, g.uniform(0.0, 3.0, n), elec)
    p_gas = np.array([C.P_GAS[s] for s in SEGMENTS])[seg] * geography.HAS_GAS_GRID[prov]
    has_gas = g.random(n) < p_gas
    gas = np.select(
        [seg <= SECOND, seg == SME],
        [_lognormal(g, n, C.GAS_RES), _lognormal(g, n, C.GAS_SME)],
        _lognormal(g, n, C.GAS_CORP),
    )
    gas = np.where(has_gas, gas, 0.0)
    gas_only = has_gas & (seg <= SECOND) & (g.random(n) < C.P_GAS_ONLY / C.P_GAS["res"])
    elec = np.where(gas_only, 0.0, elec)
    return {
        "segment": seg,
        "power_kw": power,
        "province_idx": prov.astype(np.int16),
        "high_comp": high,
        "urban": urban,
        "channel": channel,
        "channel_dirt": channel_dirt,
        "activation": activation,
        "renewal_file": renewal,
        "expired": expired,
        "r24": r24,
        "r25": r25,
        "price_rise": C.PRICE_RISE_MEDIAN + C.PRICE_RISE_SD * g.standard_normal(n),
        "elec_kwh_year": elec,
        "gas_m3_year": gas,
        "dual_fuel": gas > 0,
        "has_product_change": g.random(n) >= C.P_NO_PRODUCT_CHANGE,
        "product_change_back": g.exponential(C.PRODUCT_CHANGE_MEAN_DAYS, n),
    }


def draw_book(customers: int, seed: int) -> Book:
    """The book: i.i.d. customers in id order up to the ``customers``-th one active on 2025-01-01."""
    if customers < 1:
        raise ValueError("customers must be ≥ 1")
    parts: list[Book] = []
    survivors, b = 0, 0
    while survivors < customers:
        part = draw_static(rng.stream(seed, rng.POPULATION, b), C.BATCH)
        part.update(churn.simulate(rng.stream(seed, rng.CHURN, b), part))
        alive = part["churn_day"] >= C.SCORING_DAY
        need = customers - survivors
        if alive.sum() >= need:
            cut = int(np.flatnonzero(alive)[need - 1]) + 1
            part = {k: v[:cut] for k, v in part.items()}
        survivors += int((part["churn_day"] >= C.SCORING_DAY).sum())
        parts.append(part)
        b += 1
    book = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = len(book["segment"])
    width = max(5, len(str(n)))
    book["customer_id"] = np.array([f"C{i:0{width}d}" for i in range(1, n + 1)])
    return _finish(book)


def _finish(book: Book) -> Book:
    """Fields that depend on the outcome of the process: the contract file's dates as of the extract."""
    churned = book["churn_day"] < C.SCORING_DAY
    end = np.where(churned, book["churn_day"], C.SCORING_DAY - 1)
    # the file's next_renewal_date: a leaver's is the first anniversary on or after the churn date
    book["next_renewal"] = np.where(
        churned & (book["churn_day"] <= book["r24"]),
        book["r24"],
        np.where(churned, book["r25"], book["renewal_file"]),
    )
    back = np.floor(book["product_change_back"]).astype(np.int64)
    change = np.maximum(end - back, book["activation"])
    book["product_change"] = np.where(book["has_product_change"], change, np.iinfo(np.int64).min)
    start = np.where(book["expired"], book["r24"], shift_months(book["r25"], -12))
    book["contract_start"] = np.maximum(start, book["activation"])
    return book
