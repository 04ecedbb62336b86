"""Customer Lookup: one customer's probability, tier, reasons, profile, history and recommended offer."""

import polars as pl
import streamlit as st

from app import charts, data, fmt, queries
from app import components as ui

TOP_CONTRIBUTIONS = 10
PROFILE_FEATURES = (
    "renewal_bucket",
    "months_to_renewal",
    "tenure_bucket",
    "is_dual_fuel",
    "portfolio_type",
    "sentiment_label",
    "customer_intent",
    "has_interaction",
    "avg_monthly_margin_12m",
)


def fields(row: dict, skip: tuple = ()) -> pl.DataFrame:
    """A record as a two-column field/value table."""

    items = [(fmt.feature(k), fmt.value(k, v)) for k, v in row.items() if k not in skip]
    return pl.DataFrame(items, schema=["field", "value"], orient="row")


def explanation(run: data.Run, cid: str) -> None:
    """The customer's SHAP contributions by the model that scored them: the features that push the risk up or
    down the most, in plain labels."""
    st.markdown(f"**What drives the score** (top {TOP_CONTRIBUTIONS} features, SHAP)")
    model_run = data.served_run(run)
    contrib = queries.customer_contributions(run, model_run, cid) if model_run else None
    if contrib is None:
        st.caption("The model that scored this customer cannot be read, so no per-feature explanation.")
        return
    top = (
        contrib.with_columns(abs=pl.col("contribution").abs())
        .sort("abs", descending=True)
        .head(TOP_CONTRIBUTIONS)
        .with_columns(
            label=pl.struct("feature", "value").map_elements(
                lambda r: f"{fmt.feature(r['feature'])} = {fmt.value(r['feature'], _typed(r['value']))}",
                return_dtype=pl.String,
            )
        )
    )
    ui.chart(charts.contribution_chart(top))
    st.caption(
        "Red bars raise the churn score, green bars lower it (log-odds before calibration); the reasons on the "
        "left are the largest red bars, in words."
    )


def _typed(v: str | None):
    """A feature value read back as a number when it is one (for formatting)."""
    if v is None:
        return None
    try:
        f = float(v)
    except ValueError:
        return v
    return int(f) if f.is_integer() and "." not in v else f


run = data.current()
ui.header("Customer Lookup", run)
if data.run_table(run, queries.SCORES) is None:
    ui.missing("Scores (scored/scores.parquet)", "Customers can be looked up once a run publishes scores.")
    st.stop()

typed = st.text_input(
    "Customer id",
    value=queries.riskiest_customer(run) or "",
    help="Starts with the customer with the largest margin at risk",
    placeholder="e.g. C00042",
)
cid = typed.strip().upper()
score = queries.customer_score(run, cid) if cid else None
if score is None:
    if cid:
        known = queries.customer_row(run, "silver/silver_customer.parquet", cid)
        if known:
            st.warning(
                f"Customer **{cid}** is in the data but was not scored: not active on the scoring date."
            )
        else:
            hints = queries.suggest_ids(run, cid)
            st.warning(
                f"No customer **{cid}** in this run."
                + (f" Did you mean {', '.join(hints)}?" if hints else "")
            )
    st.stop()

tier = score["risk_tier"]
st.markdown(f"### {cid} &nbsp; :{ui.TIER_BADGE.get(tier, 'gray')}-badge[{tier} risk]")
ui.kpis(
    [
        (
            "Churn probability",
            ui.pct(score["churn_proba"]),
            "Calibrated probability of leaving within the horizon",
        ),
        (
            "Risk tier",
            tier,
            "How urgently to act: the tier decides the offer. Tiers "
            + ((data.run_doc(run, "scored/tiers.json") or {}).get("basis_text") or "by rank"),
        ),
        ("Avg monthly margin", ui.eur(score["avg_monthly_margin_12m"], 2), "Average over the last 12 months"),
        (
            "At risk (€/month)",
            ui.eur(score["expected_monthly_loss"], 2),
            "Churn probability × positive average monthly margin",
        ),
    ]
)

left, right = st.columns(2)
with left:
    st.markdown("**Why this risk** (largest contributions raising it)")
    reasons = [score.get(f"reason_text_{i}") for i in (1, 2, 3)]
    st.markdown(
        "\n".join(f"{i}. {r}" for i, r in enumerate([r for r in reasons if r], 1)) or "No reason recorded."
    )
with right:
    explanation(run, cid)
reco = queries.customer_row(run, queries.RECOS, cid)
with right:
    st.markdown("**Recommended action**")
    if reco is None:
        st.caption("No recommendation for this customer in this run.")
    else:
        status = (
            "in the control group (no offer, to measure the effect)"
            if reco["is_control"]
            else ("selected for an offer" if reco["selected"] else "not selected")
        )
        st.markdown(
            f"**{fmt.action(reco['action'])}** — {fmt.timing(reco['timing_window']).lower()}; {status}."
        )
        loss = reco["expected_monthly_loss"] or 0.0
        st.caption(
            f"Without action: {ui.eur(loss, 2)} per month, {ui.eur(loss * 12, 2)} per year of margin at risk."
        )
if reco is not None:
    cost, net = reco["offer_cost_eur"] or 0.0, reco["expected_net_value_eur"] or 0.0
    ui.kpis(
        [
            (
                "Offer cost (€)",
                ui.eur(cost, 2),
                f"{ui.pct(reco['offer_share_of_margin'], 0)} of the margin over the 12 protected months, never more than "
                "the margin it protects; no offer for a negative margin",
            ),
            (
                "Saved margin (€)",
                ui.eur(cost + net, 2),
                "Save rate × margin at risk over the protected period",
            ),
            ("Expected net value (€)", ui.eur(net, 2), "Expected saved margin minus the offer cost"),
            (
                "Save rate",
                ui.pct(reco["save_rate"], 0),
                "Assumed share of at-risk customers the action keeps",
            ),
        ]
    )

left, right = st.columns(2)
with left:
    st.markdown("**Profile**")
    customer = queries.customer_row(run, "silver/silver_customer.parquet", cid) or {}
    ui.table(fields(customer, skip=("customer_id",)), height=320)
with right:
    st.markdown(f"**On the scoring date {fmt.date(score['as_of_date'])}**")
    gold = queries.customer_row(run, queries.GOLD, cid, where="is_scoring") or {}
    shown = {k: gold[k] for k in PROFILE_FEATURES if k in gold} | {
        "sales_channel": score.get("sales_channel"),
        "segment": score.get("segment"),
    }
    ui.table(fields(shown), height=320)
    if box := ui.lazy_expander("All features of the scoring snapshot", key="lookup_features"):
        with box:
            ui.table(fields(gold, skip=("customer_id",)))

st.markdown("**Consumption and margin per month**")
MONTH_COLUMNS = {  # the monthly rows that fit the window: column → (header, number format)
    "month": ("Month", None),
    "monthly_elec_kwh": ("Electricity (kWh)", "localized"),
    "monthly_gas_m3": ("Gas (m³)", "localized"),
    "total_revenue": ("Revenue (€)", "euro"),
    "total_cost": ("Cost (€)", "euro"),
    "total_margin": ("Margin (€)", "euro"),
}
hist = queries.customer_history(run, cid)
if hist is None or hist.is_empty():
    st.caption("No monthly history for this customer.")
else:
    names = {
        "monthly_elec_kwh": "Electricity (kWh)",
        "monthly_gas_m3": "Gas (m³)",
        "total_revenue": "Revenue (€)",
        "total_margin": "Margin (€)",
    }
    # a series that is zero or empty throughout (gas of an electricity-only customer) is left out
    metrics = [c for c in names if c in hist.columns and hist[c].fill_null(0).fill_nan(0).abs().sum() > 0]
    long = (
        hist.select("month", *metrics)
        .unpivot(metrics, index="month")
        .with_columns(pl.col("variable").replace(names))
    )
    for start in range(0, len(metrics), 2):
        for col, metric in zip(st.columns(2), metrics[start : start + 2], strict=False):
            with col:
                ui.chart(charts.month_chart(long.filter(pl.col("variable") == names[metric]), names[metric]))
    missing_series = [names[c] for c in names if c in hist.columns and c not in metrics]
    if missing_series:
        st.caption("Not shown (zero throughout): " + ", ".join(missing_series) + ".")
    if box := ui.lazy_expander("Monthly rows", key="lookup_months"):
        with box:
            st.caption(
                "Consumption, revenue, cost and margin per month; every column of these rows (tariff tiers, prices "
                "and where they were imputed from): Data Explorer, silver layer, silver_customer_month."
            )
            shown = [c for c in MONTH_COLUMNS if c in hist.columns]
            ui.table(
                hist.select(shown),
                month=st.column_config.DateColumn("Month", format="YYYY-MM"),
                **{
                    c: st.column_config.NumberColumn(label, format=f)
                    for c, (label, f) in MONTH_COLUMNS.items()
                    if c in shown and f
                },
            )
