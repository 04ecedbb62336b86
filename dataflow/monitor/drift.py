"""Drift: every model input and the predictions of this run against a comparable reference.

The reference is the latest labelled snapshot (one as-of date, every customer active then, the same
12-month windows as the scoring snapshot) with its features scored by the served champion — not the pooled
training rows, whose early "12-month" windows hold only a few months. It is kept as histograms (decile bins for
PSI, percentile CDF for KS, category shares) — never the raw values.

Three checks, each with its own threshold:
- distribution of the present values: PSI > ``drift_psi_threshold`` or KS statistic > ``drift_ks_threshold``
  (effect sizes; the KS p-value is reported only, since at 20,000 rows it flags differences too small to matter);
- null share: |current − reference share of missing values| > ``drift_null_share_threshold``;
- calendar features (pure functions of the as-of date and the province, listed in ``CALENDAR_FEATURES``) are
  reported but never alarmed: between two snapshot dates they move by construction.

Every alarmed row says why in ``reason``. The alert itself is sent by the pipeline only after the run passed its
gates and was published, once per run id (:func:`send_drift_alert`).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.model.drift_reference import DRIFT_SCHEMA, PREDICTION, Reference
from dataflow.model.registry import ChampionModel
from dataflow.model.settings import ModelConfig


def _movement(a: pl.DataFrame, b: pl.DataFrame, features: list[str], model: ChampionModel) -> pl.DataFrame:
    ref = Reference.build(a, features, model.predict_proba(a))
    rep = Reference.compare(ref, b, model.predict_proba(b), 1e9, 1e9, 1.0, calendar={})
    return rep.select(
        "feature",
        "psi",
        "ks_statistic",
        null=(pl.col("null_share_current") - pl.col("null_share_reference")).abs(),
    )


def _calendar_history(
    labelled: pl.DataFrame,
    features: list[str],
    model: ChampionModel,
    span_days: int,
    max_pairs: int = 6,
    sample: int = 5_000,
) -> tuple[dict, str]:
    """The largest movement (PSI, KS, null-share change) of each feature and of the predictions between two
    labelled snapshots as far apart as the reference and the scoring snapshot (±15 days), over at most
    ``max_pairs`` latest such pairs (a seeded sample of ``sample`` rows of each): how much the calendar alone
    moves it. Empty without such a pair."""
    dates = sorted(labelled["as_of_date"].unique().to_list())
    pairs = [
        (a, b) for i, a in enumerate(dates) for b in dates[i + 1 :] if abs((b - a).days - span_days) <= 15
    ][-max_pairs:]
    if not pairs:
        return {}, ""

    def snapshot(d: dt.date) -> pl.DataFrame:
        rows = labelled.filter(pl.col("as_of_date") == d)
        return rows.sample(n=sample, seed=0) if rows.height > sample else rows

    moves = (
        pl.concat([_movement(snapshot(a), snapshot(b), features, model) for a, b in pairs])
        .group_by("feature")
        .agg(pl.col("psi").max(), ks=pl.col("ks_statistic").max(), null=pl.col("null").max())
    )
    history = {r["feature"]: {"psi": r["psi"], "ks": r["ks"], "null": r["null"]} for r in moves.to_dicts()}
    span = f"{round(span_days / 30.4)} months ({', '.join(f'{a}→{b}' for a, b in pairs)})"
    return history, span


@tag(layer="monitor")
def drift_reference(
    labelled_snapshots: pl.DataFrame, scoring_features: pl.DataFrame, serving_model: ChampionModel
) -> dict:
    """The drift reference: the latest labelled snapshot's features, scored by the served champion (one as-of
    date with full 12-month windows, comparable to the scoring snapshot), plus how much each feature moved
    between earlier labelled snapshots the same span apart (the calendar's own movement)."""
    if labelled_snapshots.is_empty():
        return {}
    latest = labelled_snapshots["as_of_date"].max()
    frame = labelled_snapshots.filter(pl.col("as_of_date") == latest)
    features = [f for f in serving_model.features if f in frame.columns]
    ref = Reference.build(frame, features, serving_model.predict_proba(frame))
    ref["_as_of_date"] = str(latest)
    scoring_date = scoring_features["as_of_date"].max() if scoring_features.height else None
    if isinstance(scoring_date, dt.date) and isinstance(latest, dt.date):
        history, span = _calendar_history(
            labelled_snapshots, features, serving_model, (scoring_date - latest).days
        )
        ref["_history"], ref["_history_span"] = history, span
    return ref


@tag(layer="monitor", publish="monitoring")
def drift(
    scoring_features: pl.DataFrame,
    scores: pl.DataFrame,
    drift_reference: dict,
    model_config: ModelConfig,
) -> pl.DataFrame:
    """Drift of every model input and of the predictions on the scoring date vs the reference snapshot."""
    if not drift_reference:
        return pl.DataFrame(schema=DRIFT_SCHEMA)
    return Reference.compare(
        drift_reference,
        scoring_features,
        scores[PREDICTION].to_numpy(),
        model_config.drift_psi_threshold,
        model_config.drift_ks_threshold,
        model_config.drift_null_share_threshold,
        history_factor=model_config.drift_history_factor,
    )


@tag(layer="monitor", publish="monitoring")
def drift_alert(drift: pl.DataFrame) -> dict:
    """The drift verdict of this run (metrics and, when anything is alarmed, the alert's text). Nothing is sent
    here: the pipeline sends it after the run is published (:func:`send_drift_alert`)."""
    inputs = drift.filter((pl.col("kind") == "input") & pl.col("drifted"))
    prediction = drift.filter((pl.col("kind") == "prediction") & pl.col("drifted"))
    top = drift.filter(pl.col("drifted")).sort("psi", descending=True).head(10)
    ref_date = drift["reference_date"].drop_nulls().first() if drift.height else None
    return {
        "features_drifted": inputs.height,
        "prediction_drifted": prediction.height > 0,
        "drifted": sorted(inputs["feature"].to_list()),
        "calendar_not_alarmed": sorted(drift.filter(pl.col("kind") == "calendar")["feature"].to_list()),
        "reference_date": ref_date,
        "subject": f"SpanishGas drift: {inputs.height} input(s) drifted"
        + (", predictions drifted" if prediction.height else ""),
        "lines": [f"{r['feature']} ({r['kind']}): {r['reason']}" for r in top.to_dicts()],
        "alarm": bool(inputs.height or prediction.height),
    }
