"""Drift: every model input and the predictions of this run against the served champion's training data.

The champion stores its training reference as histograms (decile bins for PSI, percentile CDF for KS,
category shares) — never the raw values. Drift is judged by effect size (PSI, KS statistic); the KS
p-value is reported for context only, since at 20,000 rows it flags differences too small to matter.
"""

from __future__ import annotations

import polars as pl
from hamilton.function_modifiers import cache, tag

from dataflow.model.drift_reference import DRIFT_SCHEMA, PREDICTION, Reference
from dataflow.model.registry import ChampionModel
from dataflow.model.settings import ModelConfig


@tag(layer="monitor", publish="monitoring")
def drift(
    scoring_features: pl.DataFrame,
    scores: pl.DataFrame,
    serving_model: ChampionModel,
    model_config: ModelConfig,
) -> pl.DataFrame:
    """Drift of every model input and of the predictions on the scoring date vs the served model's training."""
    if not serving_model.drift_reference:
        return pl.DataFrame(schema=DRIFT_SCHEMA)
    return Reference.compare(
        serving_model.drift_reference,
        scoring_features,
        scores[PREDICTION].to_numpy(),
        model_config.drift_psi_threshold,
        model_config.drift_ks_threshold,
    )


@tag(layer="monitor", publish="monitoring")
@cache(behavior="recompute")
def drift_alert(drift: pl.DataFrame, lake_uri: str) -> dict:
    """Send the drift verdict: metrics FeaturesDrifted / PredictionDrifted always, an alert when anything drifted."""
    from dataflow.aws.alerts import alerter_from_env

    inputs = drift.filter((pl.col("kind") == "input") & pl.col("drifted"))
    prediction = drift.filter((pl.col("kind") == "prediction") & pl.col("drifted"))
    summary = {
        "features_drifted": inputs.height,
        "prediction_drifted": prediction.height > 0,
        "drifted": sorted(inputs["feature"].to_list()),
        "alerted": False,
    }
    alerter = alerter_from_env(lake_uri)
    alerter.metrics(
        {"FeaturesDrifted": float(inputs.height), "PredictionDrifted": float(prediction.height > 0)}
    )
    if inputs.height or prediction.height:
        top = drift.filter(pl.col("drifted")).sort("psi", descending=True).head(10)
        lines = [
            f"{r['feature']} ({r['kind']}): PSI {r['psi']:.3f}, KS {r['ks_statistic'] or 0:.3f}"
            for r in top.to_dicts()
        ]
        alerter.alert(
            f"SpanishGas drift: {inputs.height} input(s) drifted"
            + (", predictions drifted" if prediction.height else ""),
            "Drift against the served champion's training data (effect sizes):\n" + "\n".join(lines),
            severity="warning",
            details={
                "drifted_features": summary["drifted"],
                "prediction_drifted": summary["prediction_drifted"],
            },
        )
        summary["alerted"] = True
    return summary
