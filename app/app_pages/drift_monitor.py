"""Drift Monitor: per-feature PSI/KS against the champion's reference, prediction drift, drift over runs."""

import altair as alt
import polars as pl
import streamlit as st

from app import components as ui
from app import data, queries

TOP_FEATURES = 25

run = data.current()
ui.header("Drift Monitor", run)
drift = queries.drift(run)
if drift is None:
    ui.missing(
        "The drift report (monitoring/drift.parquet)",
        "Drift is measured when a run scores customers "
        "with a champion model; a run without scores has no drift report.",
    )
    st.stop()

inputs = drift.filter(pl.col("kind") == "input")
pred = drift.filter(pl.col("kind") == "prediction")
p = pred.row(0, named=True) if pred.height else {}
drifted = inputs.filter(pl.col("drifted"))
ui.kpis(
    [
        ("Features monitored", ui.count(inputs.height), "Model input features compared with the reference"),
        ("Features drifted", ui.count(drifted.height), "Flagged by the drift rule (PSI and KS)"),
        ("Prediction PSI", ui.num(p.get("psi")), "Population stability of the churn probability"),
        (
            "Prediction drift",
            "yes" if p.get("drifted") else ("no" if p else "—"),
            "Did the score distribution move?",
        ),
    ]
)
if drifted.height:
    st.warning(
        "Drifted: " + ", ".join(f"`{f}`" for f in drifted["feature"].to_list()), icon=":material/warning:"
    )
else:
    st.success("No input feature drifted against the reference.", icon=":material/check_circle:")

st.markdown(f"**PSI per feature** (top {TOP_FEATURES}; 0.10 = moderate, 0.25 = large shift)")
top = inputs.sort("psi", descending=True, nulls_last=True).head(TOP_FEATURES)
bars = (
    alt.Chart(top, height=max(220, 24 * top.height))
    .mark_bar()
    .encode(
        y=alt.Y("feature:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("psi:Q", title="PSI"),
        color=alt.Color("drifted:N", scale=alt.Scale(domain=[False, True], range=["#388e3c", "#d32f2f"])),
        tooltip=[
            "feature",
            alt.Tooltip("psi:Q", format=".4f"),
            alt.Tooltip("ks_statistic:Q", format=".4f"),
            alt.Tooltip("ks_pvalue:Q", format=".2e"),
            "drifted",
        ],
    )
)
rules = (
    alt.Chart(pl.DataFrame({"psi": [0.1, 0.25]})).mark_rule(strokeDash=[4, 4], color="gray").encode(x="psi:Q")
)
ui.chart(bars + rules)
ui.table(
    drift,
    psi=st.column_config.NumberColumn(format="%.4f"),
    ks_statistic=st.column_config.NumberColumn("KS statistic", format="%.4f"),
    ks_pvalue=st.column_config.NumberColumn("KS p-value", format="%.2e"),
)

st.subheader("Drift across runs")
published = [m for m in data.manifests(run.uri) if m.get("status") == "published"]
history = queries.drift_history(
    run.uri, tuple(m["run_id"] for m in published), tuple(str(m.get("finished_at", "")) for m in published)
)
if history.is_empty() or history["run_id"].n_unique() < 2:
    st.caption(
        f"{len(published)} published run(s) so far; the trend appears once two runs have a drift report."
    )
if not history.is_empty():
    per_run = (
        history.group_by("run_id", "finished_at")
        .agg(
            features_drifted=pl.col("drifted").filter(pl.col("kind") == "input").sum(),
            max_input_psi=pl.col("psi").filter(pl.col("kind") == "input").max(),
            prediction_psi=pl.col("psi").filter(pl.col("kind") == "prediction").first(),
        )
        .sort("finished_at")
    )
    watch = (
        history.filter(pl.col("kind") == "input")
        .group_by("feature")
        .agg(pl.max("psi"))
        .sort("psi", descending=True)
        .head(6)["feature"]
        .to_list()
    )
    lines = history.filter(pl.col("feature").is_in(watch) | (pl.col("kind") == "prediction"))
    if per_run.height > 1:
        ui.chart(
            alt.Chart(lines, height=240)
            .mark_line(point=True)
            .encode(
                x=alt.X("finished_at:T", title="run finished"),
                y=alt.Y("psi:Q", title="PSI"),
                color="feature:N",
                tooltip=["run_id", "feature", alt.Tooltip("psi:Q", format=".4f"), "drifted"],
            )
        )
    ui.table(
        per_run,
        max_input_psi=st.column_config.NumberColumn(format="%.4f"),
        prediction_psi=st.column_config.NumberColumn(format="%.4f"),
    )
