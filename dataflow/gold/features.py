"""gold_features: every tier joined onto the snapshots — the one table models and scoring read."""

import polars as pl
from hamilton.function_modifiers import check_output_custom, tag

from dataflow.gold._common import KEY
from dataflow.gold.schema import GOLD_FEATURES_SCHEMA
from dataflow.validation import PanderaPolarsValidator


@tag(layer="gold", target_=...)
@tag(publish="gold")
@check_output_custom(PanderaPolarsValidator(GOLD_FEATURES_SCHEMA))
def gold_features(
    snapshots: pl.DataFrame,
    gold_lifecycle: pl.DataFrame,
    gold_market_core: pl.DataFrame,
    gold_market_risk: pl.DataFrame,
    gold_behavioral: pl.DataFrame,
    gold_sentiment: pl.DataFrame,
    gold_compound: pl.DataFrame,
    gold_strings: pl.DataFrame,
) -> pl.DataFrame:
    """One row per snapshot (customer × as-of date × horizon, label columns kept) with every feature of
    the seven tiers, in catalogue order. Fails loudly if a tier repeats a column or a key."""
    tiers = (
        gold_lifecycle,
        gold_market_core,
        gold_market_risk,
        gold_behavioral,
        gold_sentiment,
        gold_compound,
        gold_strings,
    )
    seen = set(snapshots.columns)
    for tier in tiers:
        overlap = (set(tier.columns) - set(KEY)) & seen
        if overlap:
            raise ValueError(f"gold tiers repeat columns {sorted(overlap)}")
        if tier.select(KEY).is_duplicated().any():
            raise ValueError("a gold tier has more than one row per (customer_id, as_of_date)")
        seen |= set(tier.columns)
    keys = tiers[0].select(KEY)
    if all(t.height == keys.height and t.select(KEY).equals(keys) for t in tiers[1:]):
        wide = pl.concat([tiers[0], *[t.drop(KEY) for t in tiers[1:]]], how="horizontal").lazy()
    else:  # tiers not row-aligned: join them one by one
        wide = tiers[0].lazy()
        for tier in tiers[1:]:
            wide = wide.join(tier.lazy(), on=KEY, how="full", coalesce=True)
    # sort the snapshots (a few columns) and keep their order through the join, rather than sort the wide table
    # after it: the same rows in the same order (the key is unique in every tier), without a second wide copy
    out = (
        snapshots.lazy()
        .sort(["as_of_date", "customer_id", "horizon_days"])
        .join(wide, on=KEY, how="left", maintain_order="left")
        .collect()
    )
    if out.height != snapshots.height:
        raise ValueError(f"gold_features has {out.height} rows for {snapshots.height} snapshots")
    return out
