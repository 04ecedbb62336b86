"""Tier 3 — compound binary flags (E5): combinations of lifecycle, market and intent signals that the
business reads as one risk pattern (e.g. a dual-fuel customer in a competitive province near renewal).
"""

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.gold._common import CANCELLATION, COMPLAINT, KEY, PRICING, ROW_ORDER, flag


@tag(layer="gold")
def gold_compound(gold_lifecycle: pl.DataFrame, gold_behavioral: pl.DataFrame) -> pl.DataFrame:
    """Compound tier, one row per snapshot (built from the lifecycle and behavioural tiers).

    - is_price_sensitive: the latest contact was about prices or offers.
    - is_high_risk_lifecycle: new customer (≤ 12 months) whose renewal is expired or within 3 months.
    - is_competition_x_renewal: high-competition province and within 3 months of renewal.
    - dual_fuel_x_renewal / dual_fuel_x_competition / dual_fuel_x_intent: a dual-fuel customer near
      renewal / in a competitive province / whose latest contact was a complaint or cancellation.
    """
    dual = pl.col("is_dual_fuel") == 1
    near_renewal = pl.col("is_within_3m_of_renewal") == 1
    competition = pl.col("is_high_competition_province") == 1
    intent = pl.col("customer_intent")
    return (
        gold_lifecycle.lazy()
        .select(
            *KEY,
            "renewal_bucket",
            "tenure_bucket",
            "is_within_3m_of_renewal",
            "is_high_competition_province",
            "is_dual_fuel",
        )
        .join(gold_behavioral.lazy().select(*KEY, "customer_intent"), on=KEY, how="left")
        .select(
            *KEY,
            is_price_sensitive=flag(intent == PRICING),
            is_high_risk_lifecycle=flag(
                pl.col("renewal_bucket").is_in(["expired", "0-3m"])
                & pl.col("tenure_bucket").is_in(["0-6m", "6-12m"])
            ),
            is_competition_x_renewal=flag(competition & near_renewal),
            dual_fuel_x_renewal=flag(dual & near_renewal),
            dual_fuel_x_competition=flag(dual & competition),
            dual_fuel_x_intent=flag(dual & intent.is_in([CANCELLATION, COMPLAINT])),
        )
        .sort(ROW_ORDER)
        .collect()
    )
