"""Recommendations: retention actions by tier and segment, their economics, and a CSV of the selection."""

import altair as alt
import polars as pl
import streamlit as st

from app import components as ui
from app import data, queries
from dataflow.score.offers import OFFER_POLICY


def offer_policy() -> None:
    """The offer table the engine applies (shown as is) and its guardrails."""
    ui.table(
        OFFER_POLICY,
        offer_share_of_margin=st.column_config.NumberColumn("offer share", format="percent"),
        save_rate=st.column_config.NumberColumn("assumed save rate", format="percent"),
    )
    st.markdown(
        "- An offer's cost is a share of the customer's positive margin over the protected period and never "
        "exceeds the margin it protects; customers with a negative margin get no offer.\n"
        "- A random control group gets no offer so that the save rate can be measured."
    )


run = data.current()
ui.header("Recommendations", run)
path = data.run_table(run, queries.RECOS)
if path is None:
    ui.missing(
        "Recommendations (scored/recommendations.parquet)",
        "They are written with the scores by a run that trains or serves a model.",
    )
    st.stop()

if box := ui.lazy_expander("Offer policy", key="reco_policy"):
    with box:
        offer_policy()

c1, c2, c3 = st.columns(3)
actions = c1.multiselect(
    "Action", data.distinct(path, "action"), format_func=ui.action_label, placeholder="All actions"
)
tiers = c2.multiselect(
    "Risk tier", [t for t in data.TIERS if t in data.distinct(path, "risk_tier")], placeholder="All tiers"
)
segments = c3.multiselect("Segment", data.distinct(path, "segment"), placeholder="All segments")
sel = (tuple(actions), tuple(tiers), tuple(segments))

breakdown = queries.reco_breakdown(run, *sel)
totals = breakdown.select(
    pl.sum("customers", "selected", "control", "offer_cost_eur", "expected_net_value_eur")
)
t = totals.row(0, named=True) if breakdown.height else dict.fromkeys(totals.columns, 0)
ui.kpis(
    [
        ("Customers", ui.count(t["customers"]), "Recommendations matching the filters"),
        ("Offers selected", ui.count(t["selected"]), "Customers who get an offer (control group excluded)"),
        ("Control group", ui.count(t["control"]), "Held out on purpose to measure the save rate"),
        ("Offer budget", ui.eur(t["offer_cost_eur"]), "Σ cost of the selected offers (one month)"),
        (
            "Expected net value",
            ui.eur(t["expected_net_value_eur"]),
            "Σ expected saved margin − offer cost, selected offers",
        ),
    ]
)

left, right = st.columns([3, 2])
with left:
    st.markdown("**Actions by risk tier**")
    bars = breakdown.with_columns(
        action_label=pl.col("action").map_elements(ui.action_label, return_dtype=pl.String)
    )
    ui.chart(
        alt.Chart(bars, height=240)
        .mark_bar()
        .encode(
            y=alt.Y(
                "action_label:N",
                title=None,
                sort=list(ui.ACTION_LABELS.values()),
                axis=alt.Axis(labelLimit=220),
            ),
            x=alt.X("customers:Q", title="customers"),
            color=alt.Color("risk_tier:N", scale=ui.tier_scale(), title="tier"),
            tooltip=[
                "action_label",
                "risk_tier",
                alt.Tooltip("customers:Q", format=","),
                "selected",
                alt.Tooltip("offer_cost_eur:Q", format=",.2f"),
            ],
        )
    )
with right:
    st.markdown("**Per action**")
    per_action = (
        breakdown.group_by("action")
        .agg(pl.sum("customers", "selected", "offer_cost_eur", "expected_net_value_eur"))
        .sort("customers", descending=True)
    )
    ui.table(
        per_action.with_columns(pl.col("action").map_elements(ui.action_label, return_dtype=pl.String)),
        offer_cost_eur=st.column_config.NumberColumn("offer budget", format="€%.0f"),
        expected_net_value_eur=st.column_config.NumberColumn("net value", format="€%.0f"),
    )

st.subheader("Customers")
n = st.slider("Show the top N by expected net value", 10, 500, 100, step=10)
rows = queries.reco_rows(run, *sel, n)
st.download_button(
    "Download all matching recommendations (CSV)",
    queries.reco_csv(run, *sel),
    file_name=f"recommendations-{run.run_id}.csv",
    mime="text/csv",
    icon=":material/download:",
)
ui.table(
    rows,
    action=st.column_config.TextColumn("action"),
    offer_share_of_margin=st.column_config.NumberColumn("offer share", format="percent"),
    offer_cost_eur=st.column_config.NumberColumn("offer cost", format="€%.2f"),
    expected_monthly_loss=st.column_config.NumberColumn("margin at risk", format="€%.2f"),
    save_rate=st.column_config.NumberColumn("save rate", format="percent"),
    expected_net_value_eur=st.column_config.NumberColumn("net value", format="€%.2f"),
)
