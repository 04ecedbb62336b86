"""The customer files as the retailer's CRM extracts them: attributes, contracts and interactions.

Adds the extracts' dirt on purpose: channel codes with stray spaces or capitals, ``unknown`` next to
``desconocido``, and a few exact duplicate rows.
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from dataflow.generate import calibration as C
from dataflow.generate import geography, interactions, rng, texts
from dataflow.generate.labels import to_dates


def _channel(code: str, dirt: int) -> str:
    return [code, f" {code}", f"{code} ", code.upper()][dirt]


def _with_duplicates(df: pl.DataFrame, g: np.random.Generator) -> pl.DataFrame:
    """A few exact duplicate rows, each right after its original."""
    k = max(1, round(len(df) * C.DUPLICATE_ROWS_PER_1000 / 1000))
    pick = np.sort(g.choice(len(df), k, replace=False))
    order = np.concatenate([np.arange(len(df)) * 2, pick * 2 + 1])
    return pl.concat([df, df[pick]]).with_columns(pl.Series("_o", order)).sort("_o").drop("_o")


def attributes(book: dict[str, np.ndarray], seed: int) -> pl.DataFrame:
    prov = book["province_idx"]
    df = pl.DataFrame(
        {
            "customer_id": book["customer_id"],
            "contracted_power_kw": book["power_kw"],
            "is_industrial": (book["segment"] >= 2).astype(np.int8),
            "is_second_residence": (book["segment"] == 1).astype(np.int8),
            "province_code": geography.CODES[prov].astype(np.int64),
            "region": np.array(geography.REGIONS)[prov],
            "is_high_competition_province": book["high_comp"].astype(np.int8),
            "is_urban": book["urban"].astype(np.int8),
            "sales_channel": [
                _channel(C.CHANNELS[c], d) for c, d in zip(book["channel"], book["channel_dirt"], strict=True)
            ],
        }
    )
    return _with_duplicates(df, rng.stream(seed, rng.DIRT, 1))


def contracts(book: dict[str, np.ndarray], seed: int) -> pl.DataFrame:
    change = book["product_change"]
    df = pl.DataFrame(
        {
            "customer_id": book["customer_id"],
            "customer_first_activation_date": to_dates(book["activation"]),
            "contract_start_date": to_dates(book["contract_start"]),
            "last_product_change_date": np.where(
                change > -(10**9), to_dates(np.maximum(change, -(10**6))), np.datetime64("NaT")
            ),
            "next_renewal_date": to_dates(book["next_renewal"]),
        }
    )
    return _with_duplicates(df, rng.stream(seed, rng.DIRT, 2))


def interaction_records(book: dict[str, np.ndarray], sched: dict[str, np.ndarray], seed: int) -> list[dict]:
    """customer_interactions.json: one flat object per contact, ordered by customer and date."""
    pct = 100 * book["price_rise"][sched["idx"]]
    text = texts.styled_summaries(
        rng.stream(seed, rng.TEXTS), sched["kind"], sched["to_renewal"], pct, C.TEXT_STYLE, C.TYPO_RATE
    )
    dates = to_dates(sched["day"]).astype(str)
    ids = book["customer_id"][sched["idx"]]
    return [
        {
            "customer_id": str(ids[i]),
            "date": str(dates[i]),
            "channel": interactions.CHANNELS[sched["channel"][i]],
            "interaction_summary": text[i],
        }
        for i in range(len(ids))
    ]


def interactions_json(records: list[dict]) -> bytes:
    return json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8")


def truth_customers(book: dict[str, np.ndarray], sched: dict[str, np.ndarray]) -> pl.DataFrame:
    """truth/customers.parquet: each customer's latent traits and outcome (never read by the pipeline)."""
    contacts = np.bincount(sched["idx"], minlength=len(book["segment"]))
    no = book["churn_day"] >= np.iinfo(np.int32).max
    return pl.DataFrame(
        {
            "customer_id": book["customer_id"],
            "segment": np.array(["Residential", "Residential", "SME", "Corporate"])[book["segment"]],
            "price_rise_2024": np.round(book["price_rise"], 6),
            "eta_2024": np.round(book["eta24"], 6),
            "eta_2025": np.round(book["eta25"], 6),
            "dissatisfied_2024": book["episode24"],
            "dissatisfied_2025": book["episode25"],
            "dissatisfaction_2024": np.round(book["d24"], 6),
            "dissatisfaction_2025": np.round(book["d25"], 6),
            "p_leave_at_renewal_2024": np.round(book["p24"], 6),
            "p_leave_at_renewal_2025": np.round(book["p25"], 6),
            "renewal_2024": to_dates(book["r24"]),
            "renewal_2025": to_dates(book["r25"]),
            "elec_kwh_year_expected": np.round(book["elec_kwh_year"], 3),
            "gas_m3_year_expected": np.round(book["gas_m3_year"], 3),
            "contacts_2024": contacts,
            "churn_date": np.where(no, np.datetime64("NaT"), to_dates(np.where(no, 0, book["churn_day"]))),
            "churn_at_renewal": book["churn_at_renewal"] & ~no,
        }
    )
