"""Modeling layer: the training set, the champion candidate, its evaluation and the promotion gate.

``MODULES`` are the Hamilton node modules; ``summary_lines`` is the business summary printed at the end of
``spanishgas run``.
"""

from __future__ import annotations

import os

# XGBoost's OpenMP threads spin while waiting by default; on a shared 2-core box that made a fit 4-6x slower
# (measured 28-41 s vs 7 s). Must be set before xgboost is first imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import polars as pl

from dataflow.model import (  # noqa: E402 - after the OpenMP setting above
    champion,
    evaluation,
    experiments,
    promotion,
    registry,
    settings,
    training_set,
)

# the Hamilton node modules of the modeling layer, in DAG order
MODULES = (settings, training_set, champion, evaluation, registry, promotion, experiments)


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
