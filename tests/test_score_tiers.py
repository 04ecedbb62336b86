"""Risk tiers by rank (hand-worked on 100 customers), by expected loss, the legacy absolute cut-offs, and the
report the summary and the dashboard read."""

import numpy as np
import polars as pl
import pytest

from dataflow.model.settings import ModelConfig
from dataflow.model.tiers import ACTION_TIERS, rank_tiers, tier_report, tier_sizes, with_tiers


def _fixture() -> pl.DataFrame:
    # customer k (k = 0..99) has probability (k + 1) / 200 and margin 10, except customer 0 with margin 1000
    ids = [f"C{k:03d}" for k in range(100)]
    p = np.arange(1, 101) / 200
    margin = np.where(np.arange(100) == 0, 1000.0, 10.0)
    return pl.DataFrame({"customer_id": ids, "churn_proba": p, "expected_monthly_loss": p * margin})


def test_tier_sizes_are_cumulative_shares_rounded_down():
    assert tier_sizes(100, (0.01, 0.04, 0.10)) == (1, 4, 10)
    assert tier_sizes(20_099, (0.01, 0.04, 0.10)) == (200, 804, 2010)
    assert tier_sizes(50, (0.01, 0.04, 0.10)) == (0, 2, 5)


def test_rank_tiers_on_100_customers_by_hand():
    out = with_tiers(_fixture(), ModelConfig())
    tiers = dict(zip(out["customer_id"], out["risk_tier"], strict=True))
    assert tiers["C099"] == "Critical"  # the highest probability
    assert [tiers[f"C{k:03d}"] for k in (98, 95)] == ["High", "High"] and tiers["C094"] == "Medium"
    assert tiers["C085"] == "Medium" and tiers["C084"] == "Low"
    counts = out.group_by("risk_tier").len().sort("risk_tier").to_dict(as_series=False)
    assert dict(zip(counts["risk_tier"], counts["len"], strict=True)) == {
        "Critical": 1,
        "High": 4,
        "Medium": 10,
        "Low": 85,
    }
    # churn_pred is exactly "in an action tier": one notion of at risk
    assert out.filter(pl.col("churn_pred"))["customer_id"].sort().to_list() == [
        f"C{k:03d}" for k in range(95, 100)
    ]
    assert set(ACTION_TIERS) == {"Critical", "High"}


def test_ties_are_broken_by_customer_id():
    assert rank_tiers(np.array([0.5, 0.5, 0.5]), np.array(["B", "A", "C"]), (1 / 3, 1 / 3, 0)).tolist() == [
        "High",
        "Critical",
        "Low",
    ]


def test_loss_basis_ranks_by_expected_monthly_loss():
    out = with_tiers(_fixture(), ModelConfig(tier_basis="loss"))
    # customer 0: p = 0.005 but margin 1000 → loss 5.0, the largest (the next is 0.5 × 10 = 5.0 → tie by id)
    assert out.filter(pl.col("customer_id") == "C000")["risk_tier"][0] == "Critical"


def test_legacy_absolute_cut_offs_stay_available():
    out = with_tiers(_fixture(), ModelConfig(tier_basis="probability"))
    tiers = dict(zip(out["customer_id"], out["risk_tier"], strict=True))
    # p = (k + 1) / 200: ≥ 0.40 from k = 79, ≥ 0.60 never (max 0.5)
    assert tiers["C079"] == "Medium" and tiers["C078"] == "Low" and tiers["C099"] == "Medium"
    assert not out["churn_pred"].any()


def test_tier_report_by_hand():
    out = with_tiers(_fixture(), ModelConfig())
    rep = tier_report(out)
    total = sum((k + 1) / 200 for k in range(100))  # 25.25
    action = sum((k + 1) / 200 for k in range(95, 100))  # 2.45
    assert rep["expected_churners"] == pytest.approx(total)
    assert rep["at_risk"] == 5 and rep["at_risk_share"] == pytest.approx(0.05)
    assert rep["expected_churner_share_at_risk"] == pytest.approx(action / total)
    assert rep["lift_at_risk"] == pytest.approx((action / total) / 0.05)
    loss_total = 0.005 * 1000 + sum((k + 1) / 200 * 10 for k in range(1, 100))
    assert rep["margin_share_at_risk"] == pytest.approx(action * 10 / loss_total)
    assert rep["at_risk_min_proba"] == pytest.approx(0.48)


def test_tier_shares_are_validated():
    with pytest.raises(Exception, match="tier_shares"):
        ModelConfig(tier_shares=(0.5, 0.4, 0.2))
    with pytest.raises(Exception, match="tier_basis"):
        ModelConfig(tier_basis="magic")
