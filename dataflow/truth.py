"""``spanishgas evaluate-truth``: how close the current run's scores come to the generator's true churn
probabilities (generated data only; the pipeline itself never reads truth/).

Compares, on the scoring snapshot, PR-AUC / ROC-AUC of our churn_proba with the oracle's (true_proba),
calibration (ECE against outcomes and against true_proba), and the expected value of our offer policy
against the same policy run on the true probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from dataflow.errors import UserError
from dataflow.lake import Lake
from dataflow.model.metrics import expected_calibration_error, summary
from dataflow.model.settings import ModelConfig
from dataflow.model.tiers import with_tiers
from dataflow.runs import current_run_id
from dataflow.score.offers import build_offers

TRUTH_KEY = "truth/scoring_snapshot.csv"


@dataclass(frozen=True)
class TruthReport:
    """Our scores against the oracle on the scoring snapshot."""

    run_id: str
    figures: dict

    def describe(self) -> str:
        f = self.figures
        o, m = f["oracle"], f["model"]
        return "\n".join(
            [
                f"run {self.run_id}: {f['customers']:,} customers on {f['as_of_date']}, churn rate {f['churn_rate']:.3f}",
                f"{'':<22}{'model':>10}{'oracle':>10}",
                f"{'PR-AUC':<22}{m['pr_auc']:>10.3f}{o['pr_auc']:>10.3f}   model/oracle {f['pr_auc_ratio']:.3f}",
                f"{'ROC-AUC':<22}{m['roc_auc']:>10.3f}{o['roc_auc']:>10.3f}",
                f"{'ECE vs outcomes':<22}{m['ece']:>10.4f}{o['ece']:>10.4f}",
                f"{'Brier':<22}{m['brier']:>10.4f}{o['brier']:>10.4f}",
                f"ECE of churn_proba vs true_proba {f['ece_vs_true_proba']:.4f}; mean |p − true p| {f['mae_vs_true_proba']:.4f}",
                f"offer policy, expected net value under the true probabilities: ours €{f['policy']['model_ev']:,.0f} "
                f"({f['policy']['model_offers']:,} offers) vs oracle's €{f['policy']['oracle_ev']:,.0f} "
                f"({f['policy']['oracle_offers']:,} offers) = {f['policy']['ev_ratio']:.1%}; realised on outcomes: "
                f"ours €{f['policy']['model_realised']:,.0f}, oracle €{f['policy']['oracle_realised']:,.0f}",
            ]
        )


def _ece_vs_reference(proba: np.ndarray, reference: np.ndarray, bins: int = 10) -> float:
    """ECE of our probabilities against the true probabilities (same binning as against outcomes)."""
    idx = np.minimum((proba * bins).astype(int), bins - 1)
    total = sum(
        abs(proba[idx == b].mean() - reference[idx == b].mean()) * (idx == b).sum()
        for b in range(bins)
        if (idx == b).any()
    )
    return float(total / len(proba))


def _policy_value(frame: pl.DataFrame, proba_col: str, cfg: ModelConfig) -> dict:
    """Offers chosen from ``proba_col`` and their value judged with true_proba (expected) and outcomes (realised)."""
    scored = with_tiers(
        frame.with_columns(
            churn_proba=pl.col(proba_col),
            expected_monthly_loss=pl.col(proba_col)
            * pl.max_horizontal(pl.col("avg_monthly_margin_12m").fill_null(0), 0),
        ),
        cfg,
    )
    offers = build_offers(scored, cfg).filter(pl.col("selected"))
    worth = pl.max_horizontal(pl.col("avg_monthly_margin_12m").fill_null(0), 0) * cfg.months_protected
    value = offers.select(
        expected=(pl.col("save_rate") * pl.col("true_proba") * worth - pl.col("offer_cost_eur")).sum(),
        realised=(pl.col("save_rate") * pl.col("outcome") * worth - pl.col("offer_cost_eur")).sum(),
    ).row(0)
    return {"offers": offers.height, "ev": float(value[0] or 0.0), "realised": float(value[1] or 0.0)}


def evaluate_truth(lake_uri: str, cfg: ModelConfig | None = None) -> TruthReport:
    """Compare the CURRENT run's scores with <lake>/truth/scoring_snapshot.csv."""
    cfg = cfg or ModelConfig()
    lake = Lake.open(lake_uri)
    if not lake.exists(TRUTH_KEY):
        raise UserError(
            f"{lake.uri_of(TRUTH_KEY)} not found: evaluate-truth needs a lake written by "
            "`spanishgas generate` (real data has no truth/ folder)"
        )
    run_id = current_run_id(lake)
    if run_id is None:
        raise UserError(f"no published run in {lake.uri}: run `spanishgas run --lake {lake.uri}` first")
    scores_key = f"runs/{run_id}/scored/scores.parquet"
    if not lake.exists(scores_key):
        raise UserError(f"the current run {run_id} has no {scores_key}")
    scores = lake.read_parquet(scores_key)
    truth = pl.read_csv(
        lake.local_path(TRUTH_KEY), try_parse_dates=True, schema_overrides={"customer_id": pl.String}
    )
    truth = truth.with_columns(pl.col("as_of_date").cast(pl.Date))
    joined = scores.join(
        truth.select(
            "customer_id",
            "as_of_date",
            "true_proba",
            pl.col("churned_within_horizon").cast(pl.Int8).alias("outcome"),
        ),
        on=["customer_id", "as_of_date"],
        how="inner",
    )
    if joined.is_empty():
        raise UserError(
            f"no scored customer of run {run_id} (as of {scores['as_of_date'].min()}) is in the truth "
            f"snapshot (as of {truth['as_of_date'].min()}): score that date with --scoring-date"
        )
    y, p, q = (joined[c].to_numpy().astype(float) for c in ("outcome", "churn_proba", "true_proba"))
    model, oracle = summary(y, p), summary(y, q)
    ours, best = _policy_value(joined, "churn_proba", cfg), _policy_value(joined, "true_proba", cfg)
    figures = {
        "as_of_date": str(joined["as_of_date"][0]),
        "customers": joined.height,
        "unmatched_scores": scores.height - joined.height,
        "churn_rate": float(y.mean()),
        "model": model,
        "oracle": oracle,
        "pr_auc_ratio": model["pr_auc"] / oracle["pr_auc"],
        "ece_vs_true_proba": _ece_vs_reference(p, q),
        "ece_oracle_vs_outcomes": expected_calibration_error(y, q),
        "mae_vs_true_proba": float(np.abs(p - q).mean()),
        "policy": {
            "model_ev": ours["ev"],
            "model_offers": ours["offers"],
            "model_realised": ours["realised"],
            "oracle_ev": best["ev"],
            "oracle_offers": best["offers"],
            "oracle_realised": best["realised"],
            "ev_ratio": ours["ev"] / best["ev"] if best["ev"] else float("nan"),
        },
    }
    return TruthReport(run_id, figures)
