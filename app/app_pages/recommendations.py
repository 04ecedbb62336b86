"""Recommendations: the retention campaign — who to call with which offer, how it is measured (control group
and power), what it costs and returns over the 12 protected months, how many calls to make, what earlier
campaigns achieved, and the call list to download."""

import math

import altair as alt
import polars as pl
import streamlit as st

from app import charts, data, fmt, queries
from app import components as ui
from dataflow.score import power
from dataflow.score.offers import OFFER_POLICY

MONEY = {"format": "euro"}


# ---- components ---------------------------------------------------------------------------------------------
def offer_policy() -> None:
    """The offer table the engine applies, in words, and its guardrails."""
    ui.table(
        OFFER_POLICY.drop("action_label"),
        offer_share_of_margin=st.column_config.NumberColumn(
            "Offer budget (share of margin)", format="percent"
        ),
        save_rate=st.column_config.NumberColumn("Assumed save rate", format="percent"),
    )
    st.markdown(
        "- An offer's cost is a share of the customer's positive margin over the **12 protected months** and never "
        "exceeds the margin it protects; customers with a negative margin get no offer.\n"
        "- A random control group of offer-eligible customers gets no offer so that the save rate can be measured."
    )


def campaign_design(run: data.Run) -> None:
    """Treated vs control per tier × action, the power calculation behind the control sizes, cost, break-even
    save rate and return on the offer cost."""
    st.subheader("Campaign design")
    design = queries.campaign_design(run)
    if design is None or design.is_empty():
        ui.missing(
            "The campaign design (scored/campaign_design.parquet)", "It is written with the recommendations."
        )
        return
    months = int(design["months_protected"][0]) if "months_protected" in design.columns else 12
    cost, net = design["offer_cost_12m_eur"].sum(), design["expected_net_value_eur"].sum()
    protected = design["margin_protected_12m_eur"].sum()
    ui.kpis(
        [
            (
                "Eligible customers",
                fmt.count(design["eligible"].sum()),
                "Customers with an offer action and a positive expected net value",
            ),
            ("Treated", fmt.count(design["treated"].sum()), "Offer-eligible customers selected for an offer"),
            (
                "Control",
                fmt.count(design["control"].sum()),
                "Offer-eligible customers held out at random (no offer) to measure the save rate",
            ),
            (
                "ROI",
                fmt.pct(net / cost if cost else None, 0),
                f"Expected net value ÷ offer cost over {months} months",
            ),
            (
                "Break-even save rate",
                fmt.pct(cost / protected if protected else None),
                "The share of would-be churners the offers must save to pay for themselves",
            ),
        ]
    )
    st.caption(
        f"The control group is drawn at random among the offer-eligible customers, stratified by risk tier and "
        f"action (the same share in every stratum of an action). Its size is the smallest share that detects the "
        f"assumed save rate with {power.POWER:.0%} power at {power.ALPHA:.0%} two-sided significance, comparing "
        f"churn of treated and control customers (expected churn without offer = mean calibrated probability), "
        f"between {fmt.pct(min(design['control_share'].min(), 0.05), 0)} and {power.MAX_CONTROL_SHARE:.0%} of "
        f"the eligible and at least {power.MIN_CONTROL} controls per action. Costs and values cover the {months} protected months."
    )
    weak = design.filter(pl.col("power") < power.POWER)
    if weak.height:
        st.caption(
            "Under-powered even with the largest control share: "
            + "; ".join(
                f"{fmt.action(r['action'])} in {r['risk_tier']} ({fmt.count(r['eligible'])} eligible, power "
                f"{fmt.pct(r['power'], 0)}, detects a save rate of {fmt.pct(r['detectable_save_rate'], 0)} or more)"
                for r in weak.to_dicts()
            )
            + ". Pool several campaigns before reading these out."
        )
    st.markdown("**Measurement** (control group and power)")
    ui.table(
        design.select(
            "risk_tier",
            "action",
            "treated",
            "control",
            "control_share",
            "expected_churn_without_offer",
            "assumed_save_rate",
            "power",
            "detectable_save_rate",
        ),
        risk_tier=st.column_config.TextColumn("Tier"),
        treated=st.column_config.NumberColumn("Treated", format="localized"),
        control=st.column_config.NumberColumn("Control", format="localized"),
        control_share=st.column_config.NumberColumn("Control share", format="percent"),
        expected_churn_without_offer=st.column_config.NumberColumn("Churn if no offer", format="percent"),
        assumed_save_rate=st.column_config.NumberColumn("Assumed save", format="percent"),
        power=st.column_config.NumberColumn("Power", format="percent"),
        detectable_save_rate=st.column_config.NumberColumn("Detectable save", format="percent"),
    )
    st.markdown(f"**Economics** (treated customers, {months} months)")
    ui.table(
        design.select(
            "risk_tier",
            "action",
            "offer_cost_12m_eur",
            "expected_net_value_eur",
            "break_even_save_rate",
            "roi",
        ),
        risk_tier=st.column_config.TextColumn("Tier"),
        offer_cost_12m_eur=st.column_config.NumberColumn("Offer cost", **MONEY),
        expected_net_value_eur=st.column_config.NumberColumn("Net value", **MONEY),
        break_even_save_rate=st.column_config.NumberColumn("Break-even save", format="percent"),
        roi=st.column_config.NumberColumn("ROI", format="percent"),
    )


def capacity(run: data.Run) -> None:
    """How many calls to make: the capacity (calls or budget) decides who is selected, the expected churners
    reached, the cost and the expected net value."""
    st.subheader("Capacity: how many calls")
    curve = queries.capacity_curve(run)
    if curve is None or curve.is_empty():
        st.caption("No offer-eligible customer outside the control group: nothing to plan.")
        return
    total = queries.expected_churners(run)
    c1, c2 = st.columns([1, 3])
    mode = c1.radio("Limit by", ["Number of calls", "Budget (€)"], key="reco_capacity_mode")
    if mode == "Number of calls":
        calls = c2.slider("Calls the team can make", 1, curve.height, curve.height, key="reco_calls")
    else:
        step = max(1, math.ceil(float(curve["cost"].max()) / 200))  # whole euros, at most ~200 positions
        top = step * math.ceil(float(curve["cost"].max()) / step)
        budget = c2.slider(
            "Offer budget over 12 months (€)", 0, top, top, step=step, format="€%d", key="reco_budget"
        )
        calls = int((curve["cost"] <= budget + 1e-9).sum())
    row = curve.row(calls - 1, named=True) if calls else dict.fromkeys(curve.columns, 0.0)
    ui.kpis(
        [
            ("Customers selected", fmt.count(calls), "Best expected net value first, control group excluded"),
            (
                "Churners reached",
                fmt.num(row["churners_reached"], 1),
                f"Σ churn probability of the selected: {fmt.pct(row['churners_reached'] / total if total else None)} "
                f"of the {fmt.num(total, 1)} churners expected in the whole book",
            ),
            (
                "Cost (12 months)",
                fmt.eur(row["cost"]),
                "Σ offer cost of the selected customers",
            ),
            (
                "Net value",
                fmt.eur(row["net_value"]),
                "Σ (save rate × margin at risk over 12 months − offer cost) of the selected customers",
            ),
        ]
    )
    ui.chart(charts.capacity_chart(curve, max(calls, 1), total))


def campaign_results(run: data.Run) -> None:
    """Earlier campaigns read out: treated vs control churn of an earlier run's offers, now that this run's labels
    show what happened to those customers."""
    st.subheader("Campaign results")
    current_date = queries.scoring_date(run)
    earlier = [
        m["run_id"]
        for m in data.manifests(run.uri)
        if m.get("status") == "published" and m["run_id"] != run.run_id
    ]
    readable = [
        r
        for r in earlier
        if queries.campaign_outcomes(run, data.Run(run.uri, r)) is not None
        and queries.scoring_date(data.Run(run.uri, r)) != current_date
    ]
    if not readable:
        st.info(
            "No earlier campaign can be read out yet: the results appear when a later run's labels cover an "
            "earlier run's scoring date (one label horizon after it), comparing the churn of the customers who got "
            "an offer with the control group's.",
            icon=":material/hourglass_top:",
        )
        return
    chosen = st.selectbox(
        "Campaign of run",
        readable,
        format_func=lambda r: f"{r} (scored {fmt.date(queries.scoring_date(data.Run(run.uri, r)))})",
        key="reco_campaign_run",
    )
    outcomes = queries.campaign_outcomes(run, data.Run(run.uri, chosen))
    res = power.campaign_results(outcomes.drop("churned"), outcomes.select("customer_id", "churned"))
    allr = res.row(0, named=True)
    ui.kpis(
        [
            (
                "Treated churn",
                fmt.pct(allr["treated_churn_rate"]),
                f"{fmt.count(allr['treated_churned'])} of {fmt.count(allr['treated'])} customers who got an offer",
            ),
            (
                "Control churn",
                fmt.pct(allr["control_churn_rate"]),
                f"{fmt.count(allr['control_churned'])} of {fmt.count(allr['control'])} held-out customers",
            ),
            (
                "Churn avoided",
                fmt.pp(allr["difference"]),
                f"Control − treated churn; 95% interval {fmt.pp(allr['difference_low'])} to "
                f"{fmt.pp(allr['difference_high'])}",
            ),
            (
                "Observed save rate",
                fmt.pct(allr["observed_save_rate"]),
                "1 − treated churn ÷ control churn (compare with the assumed save rates)",
            ),
        ]
    )
    ui.table(
        res,
        treated_churn_rate=st.column_config.NumberColumn("Treated churn", format="percent"),
        control_churn_rate=st.column_config.NumberColumn("Control churn", format="percent"),
        difference=st.column_config.NumberColumn("Churn avoided", format="percent"),
        difference_low=st.column_config.NumberColumn("95% low", format="percent"),
        difference_high=st.column_config.NumberColumn("95% high", format="percent"),
        observed_save_rate=st.column_config.NumberColumn("Observed save rate", format="percent"),
    )


# ---- layout -------------------------------------------------------------------------------------------------
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
    "Action", data.distinct(path, "action"), format_func=fmt.action, placeholder="All actions"
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
        ("Customers", fmt.count(t["customers"]), "Recommendations matching the filters"),
        ("Offers selected", fmt.count(t["selected"]), "Customers who get an offer (control group excluded)"),
        (
            "Control group",
            fmt.count(t["control"]),
            "Offer-eligible customers held out on purpose to measure the save rate",
        ),
        (
            "Offer cost (12 months)",
            fmt.eur(t["offer_cost_eur"]),
            "Σ cost of the selected offers over the 12 protected months",
        ),
        (
            "Expected net value",
            fmt.eur(t["expected_net_value_eur"]),
            "Σ expected saved margin − offer cost of the selected offers, 12 months",
        ),
    ]
)

offered = breakdown.filter(pl.col("action") != "no_offer")
no_offer = int(breakdown.filter(pl.col("action") == "no_offer")["customers"].sum())
st.markdown(f"**Offers by risk tier** (customers; {fmt.count(no_offer)} more get no offer and are monitored)")
ui.chart(
    alt.Chart(
        offered.with_columns(action_label=pl.col("action").map_elements(fmt.action, return_dtype=pl.String)),
        height=170,
    )
    .mark_bar()
    .encode(
        y=alt.Y(
            "action_label:N", title=None, sort=list(fmt.ACTION_LABELS.values()), axis=alt.Axis(labelLimit=220)
        ),
        x=alt.X("customers:Q", title="customers"),
        color=alt.Color("risk_tier:N", scale=charts.tier_scale(), title="risk tier"),
        tooltip=[
            alt.Tooltip("action_label:N", title="action"),
            alt.Tooltip("risk_tier:N", title="risk tier"),
            alt.Tooltip("customers:Q", format=","),
            alt.Tooltip("selected:Q", format=",", title="offers selected"),
            alt.Tooltip("control:Q", format=",", title="control group"),
            alt.Tooltip("offer_cost_eur:Q", format=",.0f", title="offer cost (€, 12 months)"),
        ],
    )
)
per_action = (
    breakdown.group_by("action")
    .agg(pl.sum("customers", "selected", "control", "offer_cost_eur", "expected_net_value_eur"))
    .sort("customers", descending=True)
)
ui.table(
    per_action,
    customers=st.column_config.NumberColumn("Customers", format="localized"),
    selected=st.column_config.NumberColumn("Offers selected", format="localized"),
    control=st.column_config.NumberColumn("Control group", format="localized"),
    offer_cost_eur=st.column_config.NumberColumn("Offer cost (12 months)", **MONEY),
    expected_net_value_eur=st.column_config.NumberColumn("Expected net value", **MONEY),
)

campaign_design(run)
capacity(run)
campaign_results(run)

st.subheader("Call list")
st.caption(
    "The filtered recommendations, best expected net value first. The CSV adds the expected net value, the "
    "second and third reasons, sales channel, segment, region, province, renewal date and the last contact "
    "channel, and opens in Excel (UTF-8 with BOM)."
)
n = st.slider("Show the top N by expected net value", 10, 500, 100, step=10, key="reco_top_n")
rows = (
    queries.call_list(run, *sel)
    .head(n)
    .select(
        "customer_id",
        "risk_tier",
        "churn_proba",
        "expected_monthly_loss",
        pl.col("action").map_elements(fmt.action_short, return_dtype=pl.String),
        "timing_window",
        "offer_cost_eur",
        "reason_1",
    )
)
st.download_button(
    "Download the call list (CSV for Excel)",
    queries.reco_csv(run, *sel),
    file_name=f"call-list-{run.run_id}.csv",
    mime="text/csv",
    icon=":material/download:",
)
ui.table(
    rows,
    customer_id=st.column_config.TextColumn("Customer"),
    risk_tier=st.column_config.TextColumn("Tier"),
    churn_proba=st.column_config.NumberColumn("Probability", format="percent"),
    timing_window=st.column_config.TextColumn("When"),
    offer_cost_eur=st.column_config.NumberColumn("Cost, 12 mo.", **MONEY),
    expected_monthly_loss=st.column_config.NumberColumn("At risk €/mo.", **MONEY),
    action=st.column_config.TextColumn("Action"),
    reason_1=st.column_config.TextColumn("Main reason", help="The reason texts in full: the CSV"),
)
