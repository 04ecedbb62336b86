"""Customer Risk: tiers with their observed churn on the test snapshot, filters and the top customers at risk."""

import altair as alt
import polars as pl
import streamlit as st

from app import components as ui
from app import data, queries

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
    st.markdown(f"**Risk tiers on the scoring date {summary['as_of']}** ({summary['n']:,} customers)")
    ui.chart(
        alt.Chart(summary["tiers"], height=230)
        .mark_bar()
        .encode(
            x=alt.X("risk_tier:N", sort=list(data.TIERS), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("n:Q", title="customers"),
            color=alt.Color("risk_tier:N", scale=ui.tier_scale(), legend=None),
            tooltip=[
                "risk_tier",
                alt.Tooltip("n:Q", format=","),
                alt.Tooltip("loss:Q", format=",.0f", title="€/month"),
            ],
        )
    )
with right:
    source = data.served_run(run)
    ev = data.run_doc(source, "model/evaluation.json") if source else None
    tiers = pl.DataFrame((ev or {}).get("tiers") or [])
    st.markdown("**Observed churn per tier** on the held-out test snapshot")
    if tiers.is_empty():
        st.caption("The evaluation has no per-tier results.")
    else:
        long = tiers.unpivot(["mean_proba", "observed_churn_rate"], index=["risk_tier", "n"]).with_columns(
            pl.col("variable").replace({"mean_proba": "mean predicted", "observed_churn_rate": "observed"})
        )
        ui.chart(
            alt.Chart(long, height=230)
            .mark_bar()
            .encode(
                x=alt.X("risk_tier:N", sort=list(data.TIERS), title=None, axis=alt.Axis(labelAngle=0)),
                xOffset="variable:N",
                y=alt.Y(
                    "value:Q", title="churn rate", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
                ),
                color=alt.Color("variable:N", title=None, scale=alt.Scale(range=["#9ecae1", "#08519c"])),
                tooltip=["risk_tier", "n", "variable", alt.Tooltip("value:Q", format=".1%")],
            )
        )
if not tiers.is_empty():
    ui.table(
        tiers.select("risk_tier", "n", "mean_proba", "observed_churn_rate"),
        risk_tier=st.column_config.TextColumn("tier"),
        n=st.column_config.NumberColumn("test customers"),
        mean_proba=st.column_config.NumberColumn("mean predicted", format="percent"),
        observed_churn_rate=st.column_config.NumberColumn("observed churn", format="percent"),
    )

st.subheader("Customers at risk")
scores = data.run_table(run, queries.SCORES)
c1, c2, c3, c4 = st.columns([2, 2, 2, 2])
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
ui.table(
    top,
    churn_proba=st.column_config.ProgressColumn(
        "churn probability", format="percent", min_value=0, max_value=1
    ),
    avg_monthly_margin_12m=st.column_config.NumberColumn("avg monthly margin", format="€%.2f"),
    expected_monthly_loss=st.column_config.NumberColumn("margin at risk /month", format="€%.2f"),
    months_to_renewal=st.column_config.NumberColumn("months to renewal", format="%.1f"),
    tenure_months=st.column_config.NumberColumn("tenure (months)", format="%.0f"),
    reason_text_1=st.column_config.TextColumn("main reason"),
)
