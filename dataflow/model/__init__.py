"""Modeling, scoring and monitoring nodes of the DAG, and what a run publishes from them.

``MODULES`` are the Hamilton node modules; ``OUTPUTS`` maps each published node to its run folder (a frame
is written as ``<folder>/<node>.parquet``, any other value through its ``write_to``); ``summary_lines``
is the business summary printed at the end of ``spanishgas run``.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

# XGBoost's OpenMP threads spin while waiting by default; on a shared 2-core box that made a fit 4-6x slower
# (measured 28-41 s vs 7 s). Must be set before xgboost is first imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import polars as pl

# node modules, imported on first use of MODULES (keeps `import dataflow.model.x` free of import cycles)
NODE_MODULES = (
    "dataflow.model.settings",
    "dataflow.model.training_set",
    "dataflow.model.champion",
    "dataflow.model.evaluation",
    "dataflow.model.registry",
    "dataflow.model.promotion",
    "dataflow.model.experiments",
    "dataflow.score.scoring",
    "dataflow.score.recommendations",
    "dataflow.score.campaign",
    "dataflow.monitor.drift",
)


def __getattr__(name: str) -> list[ModuleType]:
    if name == "MODULES":
        return [importlib.import_module(m) for m in NODE_MODULES]
    raise AttributeError(f"module 'dataflow.model' has no attribute {name!r}")


OUTPUTS: dict[str, str] = {
    "champion_candidate": "model",
    "model_evaluation": "model",
    "promotion_decision": "model",
    "scores": "scored",
    "recommendations": "scored",
    "campaign_design": "scored",
    "holdout_predictions": "model",
    "drift": "monitoring",
    "drift_alert": "monitoring",
}


def summary_lines(results: dict) -> list[str]:
    """Business summary of a run: customers scored, at-risk share, margin at risk, tiers, champion, offers, drift."""
    lines: list[str] = []
    scores: pl.DataFrame | None = results.get("scores")
    if isinstance(scores, pl.DataFrame) and scores.height:
        flagged = int(scores["churn_pred"].sum())
        tiers = scores.group_by("risk_tier").len()
        counts = {r["risk_tier"]: r["len"] for r in tiers.to_dicts()}
        at_risk = counts.get("High", 0) + counts.get("Critical", 0)  # the dashboard's definition
        lines.append(
            f"scored {scores.height:,} customers on {scores['as_of_date'][0]}: {at_risk:,} at risk (High or "
            f"Critical, {at_risk / scores.height:.1%}), {flagged:,} above the decision threshold; expected margin "
            f"at risk €{scores['expected_monthly_loss'].sum():,.0f}/month"
        )
        lines.append(
            "risk tiers: "
            + ", ".join(f"{t} {counts.get(t, 0):,}" for t in ("Critical", "High", "Medium", "Low"))
        )
    cand = results.get("champion_candidate")
    if cand is not None:
        m = cand.metrics
        lines.append(
            f"champion candidate {cand.experiment}/{cand.model} on test {m.get('test_date')}: PR-AUC {m['pr_auc']:.3f}, "
            f"ROC-AUC {m['roc_auc']:.3f}, Brier {m['brier']:.4f}, ECE {m['ece']:.4f}, threshold "
            f"{cand.threshold['threshold']:.3f}"
        )
    decision = results.get("promotion_decision")
    if decision is not None:
        lines.append(f"promotion: {decision.decision} — " + "; ".join(decision.reasons))
    recos: pl.DataFrame | None = results.get("recommendations")
    if isinstance(recos, pl.DataFrame) and recos.height:
        sel = recos.filter(pl.col("selected"))
        lines.append(
            f"offers: {sel.height:,} selected (cost €{sel['offer_cost_eur'].sum():,.0f}, expected net value "
            f"€{sel['expected_net_value_eur'].sum():,.0f}), {int(recos['is_control'].sum()):,} held out as control"
        )
    drift_frame: pl.DataFrame | None = results.get("drift")
    if isinstance(drift_frame, pl.DataFrame):
        drifted = drift_frame.filter(pl.col("drifted"))
        names = ", ".join(drifted["feature"].head(5).to_list())
        lines.append(
            f"drift: {drifted.height} of {drift_frame.height} monitored columns drifted"
            + (f" ({names})" if names else "")
        )
    return lines
