"""The feature catalogue, the experiment lists, the gold node names and docs/features.md."""

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hamilton import driver

from dataflow import gold
from dataflow.gold.catalog import (
    BY_NAME,
    EXPERIMENT_NAMES,
    EXPERIMENTS,
    FEATURES,
    GOLD_COLUMNS,
    TIER_ORDER,
    experiment_features,
    render_markdown,
)
from dataflow.gold.features import gold_features

DOCS = Path(__file__).resolve().parents[1] / "docs" / "features.md"
TIER_NODES = {
    "lifecycle": "gold_lifecycle",
    "market_core": "gold_market_core",
    "market_risk": "gold_market_risk",
    "behavioral": "gold_behavioral",
    "sentiment": "gold_sentiment",
    "compound": "gold_compound",
    "strings": "gold_strings",
}


def test_every_column_is_catalogued_once_with_valid_fields():
    names = [f.name for f in FEATURES]
    assert len(names) == len(set(names))
    for f in FEATURES:
        assert f.tier in {"key", "label", *TIER_ORDER}, f.name
        assert f.kind in {"key", "numeric", "binary", "categorical", "string"}, f.name
        assert f.meaning.endswith(".") and len(f.meaning) < 120, f.name
        if f.tier in ("key", "label"):
            assert not f.model_use, f.name
    business_only = {f.name for f in FEATURES if f.tier in TIER_ORDER and not f.model_use}
    assert business_only == {
        "total_elec_kwh_12m",
        "total_gas_m3_12m",
        "avg_monthly_margin_12m",
        "total_margin_12m",
        "months_observed_12m",
        "contact_history_days",
        "months_since_last_change",
    }  # fmt: skip  (contact_history_days: data coverage, used by the training set, never a model input;
    # months_since_last_change: the extract keeps only the latest change, which knows the future at a past date)


def test_catalogue_tiers_match_the_tier_nodes():
    """Each tier node returns exactly its catalogued columns (checked on the hand-worked fixture)."""
    import test_gold_handworked as hw

    snaps = gold.snapshots.snapshots(hw.raw_churn_label(), hw.silver_customer(), date(2025, 1, 1))
    inputs = {
        "raw_churn_label": hw.raw_churn_label(), "silver_customer": hw.silver_customer(),
        "silver_customer_month": hw.silver_customer_month(), "raw_price_history": hw.raw_price_history(),
        "raw_costs_by_province_month": hw.raw_costs(), "silver_interactions": hw.silver_interactions(),
        "latest_reading_date": date(2024, 12, 31), "scoring_date_override": "",
    }  # fmt: skip
    dr = driver.Builder().with_modules(*gold.MODULES).build()
    out = dr.execute([*TIER_NODES.values(), "gold_features", "scoring_date"], inputs=inputs)
    assert out["scoring_date"] == date(2025, 1, 1)
    for tier, node in TIER_NODES.items():
        expected = ["customer_id", "as_of_date", *[f.name for f in FEATURES if f.tier == tier]]
        assert out[node].columns == expected, tier
        assert out[node].height == snaps.select("customer_id", "as_of_date").n_unique()
    assert tuple(out["gold_features"].columns) == GOLD_COLUMNS


def test_gold_node_names_are_the_agreed_ones():
    dr = driver.Builder().with_modules(*gold.MODULES).build()
    nodes = {v.name for v in dr.list_available_variables() if not v.is_external_input}
    validation = {n for n in nodes if n.endswith(("_raw", "_pandera_schema"))}  # @check_output_custom
    shared = {
        "tier1_price_stats",
        "province_cost_stats",
        "latest_interaction",
        "customer_month_usage",
    }  # tiers share
    assert nodes - validation == {"scoring_date", "snapshots", "gold_features", *TIER_NODES.values(), *shared}
    assert validation == {"snapshots_raw", "snapshots_pandera_schema", "gold_features_raw",
                          "gold_features_pandera_schema"}  # fmt: skip


def test_gold_schema_rejects_a_null_flag_and_a_duplicate_snapshot():
    import test_gold_handworked as hw

    from dataflow.gold.schema import GOLD_FEATURES_SCHEMA
    from dataflow.validation import PanderaPolarsValidator

    snaps = gold.snapshots.snapshots(hw.raw_churn_label(), hw.silver_customer(), date(2025, 1, 1))
    dr = driver.Builder().with_modules(*gold.MODULES).build()
    inputs = {
        "silver_customer": hw.silver_customer(), "silver_customer_month": hw.silver_customer_month(),
        "raw_price_history": hw.raw_price_history(), "raw_costs_by_province_month": hw.raw_costs(),
        "silver_interactions": hw.silver_interactions(), "raw_churn_label": hw.raw_churn_label(),
        "latest_reading_date": date(2024, 12, 31), "scoring_date_override": "",
    }  # fmt: skip
    good = dr.execute(["gold_features"], inputs=inputs, overrides={"snapshots": snaps})["gold_features"]
    validator = PanderaPolarsValidator(GOLD_FEATURES_SCHEMA)
    assert validator.validate(good).passes
    null_flag = good.with_columns(is_dual_fuel=pl.when(pl.col("customer_id") == "A").then(None).otherwise(1))
    assert not validator.validate(null_flag.cast({"is_dual_fuel": pl.Int8})).passes
    assert not validator.validate(pl.concat([good, good.head(1)])).passes


def test_experiments_are_cumulative_and_clean():
    assert list(EXPERIMENTS) == list(EXPERIMENT_NAMES) == [f"E{i}" for i in range(9)]
    for variant in ("linear", "tree"):
        chain = [set(EXPERIMENTS[f"E{i}"][variant]) for i in range(6)]
        assert all(a < b for a, b in zip(chain, chain[1:], strict=False)), variant
        for exp in EXPERIMENTS.values():
            assert all(BY_NAME[n].model_use for n in exp[variant])
            assert len(exp[variant]) == len(set(exp[variant]))
    assert EXPERIMENTS["E0"]["linear"] == [f.name for f in FEATURES if f.tier == "lifecycle"]
    assert len(EXPERIMENTS["E0"]["linear"]) == 15
    assert set(EXPERIMENTS["E6"]["linear"]) > set(EXPERIMENTS["E5"]["linear"])
    assert EXPERIMENTS["E6"]["tree"] == EXPERIMENTS["E5"]["tree"]  # trees never take the string crosses
    assert EXPERIMENTS["E7"] == EXPERIMENTS["E6"]
    for exp in EXPERIMENTS.values():
        assert not any(BY_NAME[n].kind == "string" for n in exp["tree"])
    assert experiment_features("E5_plus_compound", "tree") == EXPERIMENTS["E5"]["tree"]


def test_e8_is_truly_sentiment_free():
    for variant in ("linear", "tree"):
        e8 = EXPERIMENTS["E8"][variant]
        assert not any(BY_NAME[n].tier == "sentiment" for n in e8)
        assert not any("sentiment" in n for n in e8)
        assert set(e8) == {n for n in EXPERIMENTS["E7"][variant] if not BY_NAME[n].uses_sentiment}
    assert {"intent_x_sentiment", "sentiment_x_renewal_bucket"} & set(EXPERIMENTS["E7"]["linear"])
    assert "customer_intent" in EXPERIMENTS["E8"]["tree"]  # intent stays: only sentiment is ablated


def test_docs_features_md_is_generated_from_the_catalogue():
    assert DOCS.read_text(encoding="utf-8") == render_markdown()
    for f in FEATURES:
        assert f"`{f.name}`" in render_markdown()


def test_gold_features_joins_misaligned_tiers_and_rejects_repeated_columns():
    snaps = pl.DataFrame({
        "customer_id": ["A", "B"], "as_of_date": [date(2024, 7, 1)] * 2,
        "horizon_days": pl.Series([90, 90], dtype=pl.Int32),
        "churned_within_horizon": pl.Series([0, 1], dtype=pl.Int8), "is_scoring": [False, False],
    })  # fmt: skip
    key = snaps.select("customer_id", "as_of_date")
    full = key.with_columns(x=pl.lit(1))
    partial = key.head(1).with_columns(y=pl.lit(2))  # B missing from this tier
    tiers = [full, partial] + [key.with_columns(pl.lit(i).alias(f"z{i}")) for i in range(5)]
    out = gold_features(snaps, *tiers)
    assert out["y"].to_list() == [2, None] and out.height == 2
    with pytest.raises(ValueError, match="repeat columns"):
        gold_features(snaps, full, full.rename({"x": "x"}), *tiers[2:])
