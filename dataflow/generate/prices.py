"""What customers pay and what energy costs: price_history.csv and costs_by_province_month.csv.

Tier-1 (peak) prices sit around cost + 0.07 €/kWh for homes, higher for SMEs (good margin), near pass-through
for Corporate (thin or negative margin); tiers 2 and 3 are cheaper. Each customer's tariff drifts through 2024
(their price rise, one of the churn causes). Province costs drift up ~6% over the year.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dataflow.generate import calibration as C
from dataflow.generate import geography, rng
from dataflow.generate import loadshapes as L
from dataflow.generate.population import SEGMENTS

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def _scaled(g: np.random.Generator, n: int, a: float, b: float, lo: float, hi: float) -> np.ndarray:
    """n Beta(a, b) draws stretched so that their min is ``lo`` and max is ``hi`` exactly."""
    u = g.beta(a, b, n)
    return lo + (hi - lo) * (u - u.min()) / (u.max() - u.min())


def costs(seed: int) -> dict[str, np.ndarray]:
    """Province × month costs (arrays shaped (52, 12)) in geography.CODES order."""
    g = rng.stream(seed, rng.COSTS)
    n = len(geography.CODES)
    base = _scaled(g, n, 1.2, 2.6, *C.ELEC_COST_RANGE)
    drift = _scaled(g, n, 2.0, 1.5, *C.ELEC_DRIFT_RANGE)
    t = np.arange(12) / 11
    wiggle = 1 + 0.02 * np.sin(np.pi * t)  # a summer bump that leaves January and December alone
    elec = (1 + drift[:, None] * (t[None, :] - 0.5)) * wiggle[None, :]
    elec = base[:, None] * elec / elec.mean(axis=1, keepdims=True)
    gas_base = _scaled(g, n, 2.0, 2.0, *C.GAS_COST_RANGE)
    gas = gas_base[:, None] * (1 + 0.08 * np.cos(2 * np.pi * t * 11 / 12))[None, :]
    gas = gas_base[:, None] * gas / gas.mean(axis=1, keepdims=True)
    peaje = (
        C.PEAJE_ELEC
        * (1 + 0.15 * np.cos(2 * np.pi * t * 11 / 12))[None, :]
        * (1 + 0.03 * g.standard_normal(n))[:, None]
    )
    return {"elec": np.round(elec, 6), "gas": np.round(gas, 6), "peaje": np.round(peaje, 6)}


def costs_frame(c: dict[str, np.ndarray]) -> pl.DataFrame:
    n = len(geography.CODES)
    return pl.DataFrame(
        {
            "month": np.tile(MONTHS, n),
            "province": np.repeat(geography.CODES.astype(np.int64), 12),
            "elec_var_cost_eur_kwh": c["elec"].reshape(-1),
            "gas_var_cost_eur_m3": c["gas"].reshape(-1),
            "peaje_elec_eur_kwh": c["peaje"].reshape(-1),
        }
    )


def active_months(book: dict[str, np.ndarray]) -> np.ndarray:
    """(customers, 12) bool: the customer had at least one active day in that month of 2024."""
    first, last = L.MONTH_START_DAY[:12], L.MONTH_START_DAY[1:] - 1
    start = np.maximum(book["activation"], 0)
    return (start[:, None] <= last[None, :]) & (book["churn_day"][:, None] > first[None, :])


def price_frame(book: dict[str, np.ndarray], c: dict[str, np.ndarray], seed: int) -> pl.DataFrame:
    """price_history.csv rows (with its dirt: zeros, missing months, empty ids, duplicates)."""
    g = rng.stream(seed, rng.PRICES)
    n = len(book["segment"])
    seg = np.array(SEGMENTS)[book["segment"]]
    grp = np.where(seg == "second", "res", seg)
    prov = book["province_idx"]
    markup = np.array([C.TIER1_MARKUP[s] for s in grp]) + C.TIER1_MARKUP_SD * g.standard_normal(n)
    jan = c["elec"][prov].mean(axis=1) + markup
    t = np.arange(12) / 11
    tier1 = jan[:, None] * (1 + book["price_rise"][:, None] * t[None, :]) + 0.0008 * g.standard_normal(
        (n, 12)
    )
    r2 = np.array([C.TIER2_RATIO[s] for s in grp]) + 0.01 * g.standard_normal(n)
    r3 = np.array([C.TIER3_RATIO[s] for s in grp]) + 0.01 * g.standard_normal(n)
    tiers = [tier1, tier1 * r2[:, None], tier1 * r3[:, None]]
    tiers = [np.where(g.random((n, 12)) < C.P_ZERO_PRICE, 0.0, np.round(x, 6)) for x in tiers]
    fee = np.round(book["power_kw"] * C.FIXED_FEE_PER_KW * (1 + 0.05 * g.standard_normal(n)), 2)
    fcost = np.round(book["power_kw"] * C.FIXED_COST_PER_KW, 2)
    gas = book["gas_m3_year"] > 0
    gas_price = np.round(
        c["gas"][prov].mean(axis=1) + C.GAS_PRICE_MARKUP[0] + C.GAS_PRICE_MARKUP[1] * g.standard_normal(n), 4
    )
    gas_rev = np.round(C.GAS_FIXED_REVENUE[0] + C.GAS_FIXED_REVENUE[1] * g.standard_normal(n), 2)
    gas_cost = np.round(C.GAS_FIXED_COST[0] + C.GAS_FIXED_COST[1] * g.standard_normal(n), 2)
    keep = active_months(book) & (g.random((n, 12)) >= C.P_MISSING_MONTH)
    for i in g.choice(n, size=min(n, round(n / 20_000)), replace=False):  # a rare customer missing a streak
        start = g.integers(0, 8)
        keep[i, start : start + g.integers(3, 6)] = False
    ci, mi = np.nonzero(keep)

    def gas_col(v):
        return pl.Series(np.where(gas[ci], v[ci], np.nan)).fill_nan(None)

    df = pl.DataFrame(
        {
            "customer_id": book["customer_id"][ci],
            "pricing_date": [f"{MONTHS[m]}-01" for m in mi],
            "variable_price_tier1_eur_kwh": tiers[0][ci, mi],
            "variable_price_tier2_eur_kwh": tiers[1][ci, mi],
            "variable_price_tier3_eur_kwh": tiers[2][ci, mi],
            "elec_fixed_fee_eur_month": fee[ci],
            "elec_fixed_cost_eur_month": fcost[ci],
            "gas_variable_price_eur_m3": gas_col(gas_price),
            "gas_fixed_revenue_eur_year": gas_col(gas_rev),
            "gas_fixed_cost_eur_year": gas_col(gas_cost),
        }
    ).with_columns(pl.Series("_order", np.arange(len(ci)) * 2, dtype=pl.Int64))
    # dirt: rows whose customer_id was lost, and exact duplicates, sitting next to their originals
    blank = df[np.sort(g.choice(len(df), round(n * C.NULL_ID_ROWS_PER_1000 / 1000), replace=False))]
    blank = blank.with_columns(pl.lit(None, pl.String).alias("customer_id"), pl.col("_order") + 1)
    dups = df[np.sort(g.choice(len(df), max(1, round(n * C.DUPLICATE_ROWS_PER_1000 / 1000)), replace=False))]
    dups = dups.with_columns(pl.col("_order") + 1)
    return pl.concat([df, blank, dups]).sort("_order", maintain_order=True).drop("_order")
