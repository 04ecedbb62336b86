"""evaluate-truth: our scores against the generator's true probabilities, and clear messages otherwise."""

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest

from dataflow.errors import UserError
from dataflow.lake import Lake
from dataflow.model.metrics import risk_tier
from dataflow.model.settings import ModelConfig
from dataflow.truth import evaluate_truth

AS_OF = dt.date(2025, 1, 1)


def _lake(tmp_path, proba, true_proba, outcome, margin):
    lake = Lake.open(str(tmp_path))
    n = len(proba)
    ids = [f"C{i:05d}" for i in range(n)]
    scores = pl.DataFrame(
        {
            "customer_id": ids,
            "as_of_date": [AS_OF] * n,
            "churn_proba": proba,
            "avg_monthly_margin_12m": margin,
        }
    ).with_columns(
        risk_tier=risk_tier(pl.col("churn_proba"), (0.4, 0.6, 0.8)),
        expected_monthly_loss=pl.col("churn_proba") * pl.col("avg_monthly_margin_12m").clip(lower_bound=0),
        segment=pl.lit("Residential"),
        reason_text_1=pl.lit("x"),
        reason_text_2=pl.lit(None, pl.String),
        reason_text_3=pl.lit(None, pl.String),
    )
    lake.write_parquet("runs/run-t/scored/scores.parquet", scores)
    lake.write_text("CURRENT", json.dumps({"run_id": "run-t"}))
    truth = pl.DataFrame(
        {
            "customer_id": ids,
            "as_of_date": [AS_OF] * n,
            "horizon_days": [90] * n,
            "true_proba": true_proba,
            "churned_within_horizon": outcome,
            "churn_effective_date": [None] * n,
        },
        schema_overrides={"churn_effective_date": pl.Date},
    )
    lake.write_text("truth/scoring_snapshot.csv", truth.write_csv())
    return lake


def _world(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    q = 1 / (1 + np.exp(-rng.normal(-2.4, 1.6, n)))
    y = (rng.random(n) < q).astype(int)
    margin = rng.normal(8, 12, n)
    return q, y, margin


def test_perfect_scores_match_the_oracle(tmp_path):
    q, y, margin = _world()
    _lake(tmp_path, q, q, y, margin)
    f = evaluate_truth(str(tmp_path)).figures
    assert f["pr_auc_ratio"] == pytest.approx(1.0) and f["ece_vs_true_proba"] == pytest.approx(0.0)
    assert f["policy"]["ev_ratio"] == pytest.approx(1.0) and f["customers"] == 5000
    assert f["oracle"]["ece"] < 0.03  # the oracle is calibrated by construction
    # no truth/label_probabilities.csv and no gold in this lake: the future-information check says so, no error
    report = evaluate_truth(str(tmp_path))
    assert report.figures["future_information"] is None
    assert "future information: not checked (no truth/label_probabilities.csv" in report.describe()


def test_noisy_scores_lose_ranking_and_value(tmp_path):
    q, y, margin = _world(seed=1)
    rng = np.random.default_rng(2)
    noisy = 1 / (1 + np.exp(-(np.log(q / (1 - q)) + rng.normal(0, 1.5, q.size))))
    report = evaluate_truth(str(_lake(tmp_path, noisy, q, y, margin).uri))
    f = report.figures
    assert f["pr_auc_ratio"] < 0.95 and f["model"]["roc_auc"] < f["oracle"]["roc_auc"]
    assert f["policy"]["model_ev"] < f["policy"]["oracle_ev"]
    assert "model/oracle" in report.describe()


def test_expected_value_by_hand(tmp_path):
    # one Critical customer worth €10/month, true p 0.5: cost 0.25·10·12 = 30, value 0.4·0.5·10·12 = 48
    # (tiers by the predecessor's absolute cut-offs 0.40 / 0.60 / 0.80, kept as tier_basis="probability")
    _lake(tmp_path, [0.9, 0.1], [0.5, 0.1], [1, 0], [10.0, 10.0])
    f = evaluate_truth(str(tmp_path), ModelConfig(tier_basis="probability")).figures["policy"]
    ours = 0.4 * 0.5 * 120 - 30
    assert f["model_offers"] == 1 and f["model_ev"] == pytest.approx(ours)
    assert f["model_realised"] == pytest.approx(0.4 * 1 * 120 - 30)
    assert f["oracle_offers"] == 1  # true p 0.5 is Medium: small offer, cost 0.05·10·12 = 6
    assert f["oracle_ev"] == pytest.approx(0.2 * 0.5 * 120 - 6)
    # by rank (the default), with the top half Critical: both rank customer 0 first; the oracle's own expected
    # net value of a large offer at p 0.5 is 0.4·60 − 30 < 0, so it makes none
    f = evaluate_truth(str(tmp_path), ModelConfig(tier_shares=(0.5, 0.0, 0.0))).figures["policy"]
    assert f["model_offers"] == 1 and f["model_ev"] == pytest.approx(ours)
    assert f["oracle_offers"] == 0 and f["oracle_ev"] == 0


def test_clear_message_without_truth_or_run(tmp_path):
    with pytest.raises(UserError, match="truth/scoring_snapshot.csv not found.*spanishgas generate"):
        evaluate_truth(str(tmp_path))
    Lake.open(str(tmp_path)).write_text("truth/scoring_snapshot.csv", "customer_id\n")
    with pytest.raises(UserError, match="no published run"):
        evaluate_truth(str(tmp_path))


def test_soft_average_precision_by_hand_and_against_sklearn():
    from sklearn.metrics import average_precision_score

    from dataflow.truth import soft_average_precision

    # scores 0.9, 0.5, 0.1 with soft labels 1, 0.5, 0: recall steps 1/1.5 and 0.5/1.5 at precisions 1 and 0.75
    assert soft_average_precision(np.array([1.0, 0.5, 0.0]), np.array([0.9, 0.5, 0.1])) == pytest.approx(
        (1 / 1.5) * 1.0 + (0.5 / 1.5) * 0.75
    )
    rng = np.random.default_rng(3)
    y = (rng.random(400) < 0.2).astype(float)
    s = np.round(rng.random(400), 2)  # with ties
    assert soft_average_precision(y, s) == pytest.approx(average_precision_score(y, s))


def test_ceiling_column_is_reported(tmp_path):
    q, y, margin = _world(seed=4)
    lake = _lake(tmp_path, q * 1.2, q, y, margin)
    snap = pl.read_csv(lake.local_path("truth/scoring_snapshot.csv"))
    lake.write_text(
        "truth/scoring_snapshot.csv", snap.with_columns(ceiling_proba=pl.col("true_proba") * 1.1).write_csv()
    )
    f = evaluate_truth(str(tmp_path)).figures
    assert f["ceiling_in_truth"] and f["calibration_in_the_large"] == pytest.approx(1.2 / 1.1 - 1, abs=1e-3)
    assert f["soft_pr_auc"]["ratio"] == pytest.approx(1.0)  # same ranking as the ceiling
    # same ranking in every redraw of the outcomes too: ratio 1 and gap 0 with no spread
    n = f["outcome_noise"]
    assert (n["pr_ratio_mean"], n["pr_ratio_sd"], n["roc_gap_mean"]) == pytest.approx((1.0, 0.0, 0.0))
    assert (
        n["share_meeting_both"] == 1.0
        and "outcome noise (200 outcome draws" in evaluate_truth(str(tmp_path)).describe()
    )


def test_world_table_applies_the_acceptance():
    from dataflow.truth import TruthReport, format_world_table, world_row, world_table_legend

    def report(pr, pr_c, roc, roc_c, sum_p, sum_c, ece, soft=0.95):
        return TruthReport(
            "r",
            {
                "customers": 1000,
                "churn_rate": 0.02,
                "model": {"pr_auc": pr, "roc_auc": roc},
                "ceiling": {"pr_auc": pr_c, "roc_auc": roc_c},
                "oracle": {"pr_auc": pr_c + 0.01, "roc_auc": roc_c + 0.01},
                "pr_auc_vs_ceiling": pr / pr_c,
                "soft_pr_auc": {"ratio": soft},
                "calibration_in_the_large": sum_p / sum_c - 1,
                "ece_vs_true_proba": ece,
            },
        )

    good = world_row("default", 42, report(0.45, 0.50, 0.87, 0.885, 19.0, 20.0, 0.004))  # 0.90×, −0.015, −5%
    assert good["passes"] and good["passes_this_draw"] and good["churners"] == 20
    for bad in (
        report(0.45, 0.50, 0.87, 0.885, 19.0, 20.0, 0.004, soft=0.89),  # low-noise PR ratio 0.89
        report(0.45, 0.50, 0.86, 0.885, 19.0, 20.0, 0.004),  # ROC 0.025 below
        report(0.45, 0.50, 0.87, 0.885, 17.9, 20.0, 0.004),  # Σp 10.5% low
        report(0.45, 0.50, 0.87, 0.885, 19.0, 20.0, 0.011),  # ECE above 0.01
    ):
        assert not world_row("w", 1, bad)["passes"]
    # a lucky draw does not rescue a model whose low-noise ratio is short: 0.90 on this draw, 0.89 soft
    lucky = world_row("w", 1, report(0.45, 0.50, 0.87, 0.885, 19.0, 20.0, 0.004, soft=0.89))
    assert lucky["passes_this_draw"] and not lucky["passes"]
    # an unlucky outcome draw (0.44 / 0.50 = 0.88 × the ceiling) with the low-noise ratio at 0.95: the row meets the
    # acceptance, and the draw column says this draw alone would not
    unlucky = world_row("sharp", 7, report(0.44, 0.50, 0.87, 0.885, 19.0, 20.0, 0.004))
    assert unlucky["passes"] and not unlucky["passes_this_draw"]
    table = format_world_table([good])
    assert "default" in table.splitlines()[1] and "  yes yes" in table.splitlines()[1]
    assert "  yes no " in format_world_table([unlucky]).splitlines()[1]
    assert world_table_legend().startswith(
        "ok: PR-AUC ≥ 0.90 × the ceiling's on the low-noise variant (soft), ROC-AUC within 0.02"
    )
    assert table.splitlines()[1].endswith("—")  # no future-information check in this report
    checked = report(0.45, 0.50, 0.87, 0.885, 19.0, 20.0, 0.004)
    checked.figures["future_information"] = {
        "model_inputs_flagged": ["x (null: 5 churned vs 20.0 expected, 0.25×, z -5.2)"]
    }
    lines = format_world_table([world_row("faint", 7, checked)]).splitlines()
    assert (
        lines[1].endswith(" 1")
        and lines[2]
        == "  faint/7: model input knows the future: x (null: 5 churned vs 20.0 expected, 0.25×, z -5.2)"
    )
    assert good["share_of_draws_passing"] != good["share_of_draws_passing"]  # no redraws in this report: NaN
