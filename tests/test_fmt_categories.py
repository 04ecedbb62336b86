"""The dashboard shows category codes of the gold table in words, never as written in the table."""

from __future__ import annotations

import polars as pl
import pytest

from app import fmt
from dataflow.gold.catalog import BY_NAME


@pytest.mark.parametrize(
    ("name", "code", "shown"),
    [
        ("portfolio_type", "SME_SingleFuel", "SME, single fuel"),
        ("portfolio_type", "Residential_DualFuel", "Residential, dual fuel"),
        ("renewal_bucket", "0-3m", "0–3 months"),
        ("tenure_bucket", "5y+", "Over 5 years"),
        ("intent_x_renewal_bucket", "complaint_x_0-3m", "Complaint × 0–3 months"),
        ("has_interaction_x_renewal_bucket", "0_x_expired", "Contacted us: no × expired"),
        ("competition_x_intent", "1_x_cancellation", "High-competition province: yes × cancellation"),
        (
            "sales_channel_x_renewal_bucket",
            "Comparison Website_x_12m+",
            "Comparison Website × over 12 months",
        ),
        ("intent_x_sentiment", "Unknown_x_Unknown", "Unknown × unknown"),
        ("customer_intent", "billing_inquiry", "Billing inquiry"),
        ("segment", "SME", "SME"),
    ],
)
def test_category_codes_read_as_words(name, code, shown):
    assert fmt.value(name, code) == shown


def test_no_category_value_of_a_real_gold_table_is_shown_as_its_code(tmp_path):
    """Every categorical and string-cross value the pipeline writes on a generated book has no '_' left and
    no band code (a code the formatter does not know would pass through unchanged)."""
    from dataflow.generate import generate
    from dataflow.pipeline import run_pipeline

    generate(str(tmp_path), customers=300, seed=5)
    from dataflow.config import PipelineConfig

    result = run_pipeline(
        str(tmp_path), PipelineConfig(model_overrides={"gate_skill_multiple": 0.0, "gate_baseline": False})
    )
    assert result.status == "published", result.message
    gold = pl.read_parquet(next(tmp_path.glob(f"runs/{result.run_id}/gold/gold_features.parquet")))
    names = [n for n, f in BY_NAME.items() if f.kind in ("categorical", "string") and n in gold.columns]
    assert len(names) >= 12
    for name in names:
        for code in gold[name].drop_nulls().unique().to_list():
            shown = fmt.value(name, code)
            assert "_" not in shown and not any(b in shown for b in fmt.BANDS if b != "expired"), (name, code)
