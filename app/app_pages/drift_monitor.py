"""Drift Monitor: has the population the model scores moved away from the one it learned on? Per feature a
verdict in plain words with its evidence (PSI, KS, missing share), reference vs current distributions of the
flagged features, prediction drift, and drift across runs."""

import altair as alt
import polars as pl
import streamlit as st

from app import charts, data, fmt, queries
from app import components as ui

TOP_FEATURES = 25
SMALL_MULTIPLES = 9  # distributions drawn for at most this many flagged features
MODERATE, LARGE = 0.10, 0.25  # PSI: moderate and large shift
MISSING_SHIFT = 0.05  # a change of missing share worth a mention (5 percentage points)


# ---- verdicts ---------------------------------------------------------------------------------------------
def verdict(row: dict) -> str:
    """One sentence per feature, in plain words, from its drift evidence."""
    name = fmt.feature(row["feature"])
    psi = row.get("psi")
    ks = row.get("ks_statistic")
    mr, mc = row.get("missing_reference"), row.get("missing_current")
    ar, ac = row.get("mean_reference"), row.get("mean_current")
    reason = str(row.get("reason") or "").strip()
    if row.get("kind") == "calendar":
        sentence = (
            f"{name} moves with the calendar between the two snapshot dates (PSI {fmt.num(psi, 2)}): "
            + (f"{reason}." if reason else "not alarmed.")
        )
    elif psi is None and ks is None:
        sentence = f"{name} could not be compared (no values in one of the snapshots)."
    elif row.get("drifted"):
        size = "a large" if (psi or 0) >= LARGE else "a clear"
        if reason:  # the drift rule's own words (PSI, KS or missing share over its threshold)
            sentence = f"{name} has moved: {reason}"
        else:
            sentence = f"{name} has moved: {size} shift (PSI {fmt.num(psi, 2)}"
            sentence += f", KS {fmt.num(ks, 2)})" if ks is not None else ")"
        if ar is not None and ac is not None:
            sentence += f"; its average went from {fmt.sig(ar)} to {fmt.sig(ac)}"
        sentence += "."
    elif reason:  # moved, but within what the labelled history shows between snapshot dates
        sentence = f"{name} shifted (PSI {fmt.num(psi, 2)}), {reason}."
    elif (psi or 0) >= MODERATE:
        sentence = f"{name} shifted moderately (PSI {fmt.num(psi, 2)}), below the alarm level."
    else:
        sentence = f"{name} is stable (PSI {fmt.num(psi, 2)})."
    if mr is not None and mc is not None and abs(mc - mr) >= MISSING_SHIFT:
        sentence += f" Missing values went from {fmt.pct(mr)} to {fmt.pct(mc)}."
    return sentence


def evidence_table(inputs: pl.DataFrame, missing: pl.DataFrame | None) -> pl.DataFrame:
    """Per input feature: label, verdict, PSI, KS, p-value (as text), missing shares."""
    df = inputs
    if missing is not None:
        df = df.join(missing, on="feature", how="left")
    for c in ("missing_reference", "missing_current", "mean_reference", "mean_current"):
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.Float64).alias(c))
    for side in ("reference", "current"):  # the drift report's own null shares come first
        if f"null_share_{side}" in df.columns:
            df = df.with_columns(
                pl.coalesce(pl.col(f"null_share_{side}").cast(pl.Float64), pl.col(f"missing_{side}")).alias(
                    f"missing_{side}"
                )
            )
    rows = df.sort("drifted", "psi", descending=True, nulls_last=True).to_dicts()
    return pl.DataFrame(
        {
            "feature": [fmt.feature(r["feature"]) for r in rows],
            "verdict": [verdict(r) for r in rows],
            "psi": [r.get("psi") for r in rows],
            "ks_statistic": [r.get("ks_statistic") for r in rows],
            "ks_pvalue": [fmt.pvalue(r.get("ks_pvalue")) for r in rows],
            "missing_reference": [r.get("missing_reference") for r in rows],
            "missing_current": [r.get("missing_current") for r in rows],
            "drifted": [bool(r.get("drifted")) for r in rows],
        },
        schema_overrides={
            "psi": pl.Float64,
            "ks_statistic": pl.Float64,
            "missing_reference": pl.Float64,
            "missing_current": pl.Float64,
        },
    )


# ---- components ---------------------------------------------------------------------------------------------
def distributions(run: data.Run, flagged: list[str]) -> None:
    """Small multiples: reference vs current share of customers per bin or value, for the flagged features."""
    if not flagged:
        return
    st.markdown(
        f"**Reference vs current distributions** of the flagged features (largest {min(len(flagged), SMALL_MULTIPLES)}"
        " shifts; orange bars: current customers, blue: reference; shares of customers, missing values excluded)"
    )
    shown = flagged[:SMALL_MULTIPLES]
    for start in range(0, len(shown), 3):
        for col, feature in zip(st.columns(3), shown[start : start + 3], strict=False):
            dist = queries.distribution(run, feature)
            with col:
                if dist is None or dist.is_empty():
                    st.caption(f"{fmt.feature(feature)}: no values to draw.")
                else:
                    ui.chart(charts.distribution_chart(dist, fmt.feature(feature)))


def across_runs(run: data.Run) -> None:
    """Drifted features and the largest shifts over the published runs."""
    st.subheader("Drift across runs")
    published = [m for m in data.manifests(run.uri) if m.get("status") == "published"]
    history = queries.drift_history(
        run.uri,
        tuple(m["run_id"] for m in published),
        tuple(str(m.get("finished_at", "")) for m in published),
    )
    if history.is_empty() or history["run_id"].n_unique() < 2:
        st.caption(
            f"{len(published)} published run(s) so far; the trend appears once two runs have a drift report."
        )
    if history.is_empty():
        return
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
    lines = history.filter(pl.col("feature").is_in(watch) | (pl.col("kind") == "prediction")).with_columns(
        label=pl.col("feature").map_elements(fmt.feature, return_dtype=pl.String)
    )
    if per_run.height > 1:
        ui.chart(
            alt.Chart(lines, height=240)
            .mark_line(point=True)
            .encode(
                x=alt.X("finished_at:T", title="run finished (UTC)"),
                y=alt.Y("psi:Q", title="PSI"),
                color=alt.Color("label:N", title="feature"),
                tooltip=[
                    alt.Tooltip("run_id:N", title="run"),
                    alt.Tooltip("label:N", title="feature"),
                    alt.Tooltip("psi:Q", format=".3f"),
                ],
            )
        )
    ui.table(
        per_run.with_columns(pl.col("finished_at").str.slice(0, 16).str.replace("T", " ")),
        finished_at=st.column_config.TextColumn("Finished (UTC)"),
        features_drifted=st.column_config.NumberColumn("Features drifted", format="localized"),
        max_input_psi=st.column_config.NumberColumn("Largest PSI", format="%.3f"),
        prediction_psi=st.column_config.NumberColumn("Prediction PSI", format="%.3f"),
    )


# ---- layout -------------------------------------------------------------------------------------------------
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
calendar = drift.filter(pl.col("kind") == "calendar")
pred = drift.filter(pl.col("kind") == "prediction")
p = pred.row(0, named=True) if pred.height else {}
drifted = inputs.filter(pl.col("drifted"))
ui.kpis(
    [
        ("Features monitored", fmt.count(inputs.height), "Model input features compared with the reference"),
        (
            "Features drifted",
            fmt.count(drifted.height),
            "Flagged by the drift rule (PSI and KS effect sizes)",
        ),
        ("Prediction PSI", fmt.num(p.get("psi"), 3), "Population stability of the churn probability"),
        (
            "Prediction drift",
            "Yes" if p.get("drifted") else ("No" if p else "—"),
            "Did the score distribution move?",
        ),
    ]
)
if drifted.height:
    st.warning(
        f"{drifted.height} feature(s) drifted: "
        + ", ".join(fmt.feature(f) for f in drifted.sort("psi", descending=True)["feature"].to_list()),
        icon=":material/warning:",
    )
else:
    st.success("No input feature drifted against the reference.", icon=":material/check_circle:")

missing = queries.missing_shares(run, tuple(inputs["feature"].to_list()))
st.caption(
    "Reference: the latest labelled snapshot in this run's gold features; current: the scoring snapshot. "
    "PSI 0.10 is a moderate and 0.25 a large shift; the KS p-value is context only (at thousands of customers "
    "it flags differences too small to matter)."
)
distributions(run, drifted.sort("psi", descending=True, nulls_last=True)["feature"].to_list())

st.markdown(f"**PSI per feature** (top {TOP_FEATURES}; dashed: moderate 0.10 and large 0.25 shift)")
top = (
    inputs.sort("psi", descending=True, nulls_last=True)
    .head(TOP_FEATURES)
    .with_columns(
        label=pl.col("feature").map_elements(fmt.feature, return_dtype=pl.String),
        status=pl.when(pl.col("drifted")).then(pl.lit("drifted")).otherwise(pl.lit("stable")),
    )
)
bars = (
    alt.Chart(top, height=max(220, 24 * top.height))
    .mark_bar()
    .encode(
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("psi:Q", title="PSI (population stability index)"),
        color=alt.Color(
            "status:N",
            title=None,
            scale=alt.Scale(domain=["stable", "drifted"], range=["#388e3c", "#d32f2f"]),
        ),
        tooltip=[
            alt.Tooltip("label:N", title="feature"),
            alt.Tooltip("psi:Q", format=".3f", title="PSI"),
            alt.Tooltip("ks_statistic:Q", format=".3f", title="KS statistic"),
            alt.Tooltip("status:N", title="verdict"),
        ],
    )
)
rules = (
    alt.Chart(pl.DataFrame({"psi": [MODERATE, LARGE]}))
    .mark_rule(strokeDash=[4, 4], color="gray")
    .encode(x="psi:Q")
)
ui.chart(bars + rules)

evidence = evidence_table(inputs, missing)
st.markdown("**What moved, in words**")
moved = evidence.filter(pl.col("drifted"))
st.markdown("\n".join(f"- {v}" for v in moved["verdict"].to_list()) or "- No input feature drifted.")
if box := ui.lazy_expander(
    f"Features that did not drift ({evidence.height - moved.height})", key="drift_stable"
):
    with box:
        st.markdown("\n".join(f"- {v}" for v in evidence.filter(~pl.col("drifted"))["verdict"].to_list()))
if calendar.height:
    st.markdown(
        f"**Calendar features** ({calendar.height}, reported but not alarmed: functions of the as-of date that "
        "move between any two snapshot dates by construction)"
    )
    st.markdown(
        "\n".join(
            f"- {verdict(r)}" for r in calendar.sort("psi", descending=True, nulls_last=True).to_dicts()
        )
    )
st.markdown("**Evidence per feature** (missing share shown separately from the distribution shift)")
ui.table(
    evidence.drop("verdict"),
    psi=st.column_config.NumberColumn("PSI", format="%.3f"),
    ks_statistic=st.column_config.NumberColumn("KS statistic", format="%.3f"),
    ks_pvalue=st.column_config.TextColumn("KS p-value"),
    missing_reference=st.column_config.NumberColumn("Missing (reference)", format="percent"),
    missing_current=st.column_config.NumberColumn("Missing (current)", format="percent"),
)
if pred.height:
    st.markdown(
        "**Predictions:** the churn probability "
        + ("has shifted" if p.get("drifted") else "is stable")
        + f" against the reference (PSI {fmt.num(p.get('psi'), 3)}"
        + (f", KS {fmt.num(p.get('ks_statistic'), 3)}" if p.get("ks_statistic") is not None else "")
        + ")."
    )
across_runs(run)
