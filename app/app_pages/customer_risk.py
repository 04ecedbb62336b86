"""Customer Risk: tiers with their observed churn on the test snapshot, filters and the top customers at risk."""

import polars as pl
import streamlit as st

from app import charts, data, fmt, queries
from app import components as ui

run = data.current()
ui.header("Customer Risk", run)
summary = queries.score_summary(run)
if summary is None:
    ui.missing(
        "Scores (scored/scores.parquet)", "Customers get risk tiers once a run trains or serves a model."
    )
    st.stop()

left, right = st.columns(2)
with left:
    st.markdown(
        f"**Margin at risk per tier on the scoring date {fmt.date(summary['as_of'])}** "
        f"({summary['n']:,} customers)"
    )
    ui.chart(charts.tier_margin_chart(summary["tiers"]))
with right:
    source = data.served_run(run)
    ev = data.run_doc(source, "model/evaluation.json") if source else None
    tiers = pl.DataFrame((ev or {}).get("tiers") or [])
    st.markdown("**Observed churn per tier** on the held-out test snapshot")
    if tiers.is_empty():
        st.caption("The evaluation has no per-tier results.")
    else:
        tc = tiers.select(
            "risk_tier",
            pl.col("n").fill_null(0).cast(pl.Int64),
            pl.col("mean_proba").alias("predicted"),
            pl.col("observed_churn_rate").alias("observed"),
        )
        ui.chart(charts.tier_calibration_chart(tc))
if not tiers.is_empty():
    ui.table(
        tiers.select("risk_tier", "n", "mean_proba", "observed_churn_rate"),
        risk_tier=st.column_config.TextColumn("Risk tier"),
        n=st.column_config.NumberColumn("Test customers", format="localized"),
        mean_proba=st.column_config.NumberColumn("Mean predicted", format="percent"),
        observed_churn_rate=st.column_config.NumberColumn("Observed churn", format="percent"),
    )

st.subheader("Customers at risk")
scores = data.run_table(run, queries.SCORES)
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
tiers_sel = c1.multiselect("Risk tier", list(data.TIERS), default=list(data.AT_RISK))
segments = c2.multiselect("Segment", data.distinct(scores, "segment"), placeholder="All segments")
channels = c3.multiselect("Sales channel", data.distinct(scores, "sales_channel"), placeholder="All channels")
top_n = c4.slider("Top N by margin at risk", 10, 500, 50, step=10)
top, totals = queries.top_at_risk(run, tuple(tiers_sel), tuple(segments), tuple(channels), top_n)
ui.kpis(
    [
        (
            "Customers matching",
            ui.count(totals["n"]),
            "Customers in the selected tiers, segments and channels",
        ),
        (
            "Their margin at risk (€/month)",
            ui.eur(totals["loss"]),
            "Σ expected monthly loss of the matching customers",
        ),
        ("Shown", ui.count(top.height), "The top N by expected monthly loss"),
    ]
)
st.caption("Channel, margin and tenure of each customer: the Customer Lookup page.")
ui.table(  # the columns that fit the window at 1280 px
    top.select(
        "customer_id",
        "risk_tier",
        "segment",
        "churn_proba",
        "expected_monthly_loss",
        "months_to_renewal",
        "reason_1",
    ),
    customer_id=st.column_config.TextColumn("Customer"),
    risk_tier=st.column_config.TextColumn("Tier"),
    churn_proba=st.column_config.NumberColumn("Probability", format="percent"),
    expected_monthly_loss=st.column_config.NumberColumn("At risk €/mo.", format="euro"),
    months_to_renewal=st.column_config.NumberColumn("Renewal in (mo.)", format="%.1f"),
    reason_1=st.column_config.TextColumn("Main reason", help="In full on the Customer Lookup page"),
)
