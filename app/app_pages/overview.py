"""Overview: customers scored, risk, margin at risk, the champion's quality and the last run's status."""

import streamlit as st

from app import charts, data, fmt, queries
from app import components as ui

run = data.current()
ui.header("Overview", run)

summary = queries.score_summary(run)
if summary is None:
    ui.missing(
        "Scores (scored/scores.parquet)",
        "The run stopped before scoring; the pages below the ETL "
        "layers stay empty until a run with a model publishes scores.",
    )
else:
    ui.kpis(
        [
            (
                "Customers scored",
                ui.count(summary["n"]),
                "Customers active on the scoring date with a churn probability",
            ),
            (
                "At-risk share",
                ui.pct(summary["at_risk_share"]),
                f"Critical + High tiers (the action tiers): {summary['at_risk']:,} customers"
                + (f"; tiers {summary['tier_basis']}" if summary["tier_basis"] else ""),
            ),
            (
                "Expected churners (Σ p)",
                f"{summary['expected_churners']:,.0f}",
                f"{ui.pct(summary['expected_churner_share_at_risk'])} of them and "
                f"{ui.pct(summary['margin_share_at_risk'])} of the margin at risk are in the action tiers",
            ),
            (
                "Monthly margin at risk",
                ui.eur(summary["margin_at_risk"]),
                "Σ expected monthly loss = churn probability × positive average monthly margin",
            ),
        ]
    )
    st.caption(f"Customers active on the scoring date {fmt.date(summary['as_of'])}.")
    st.subheader("Customers per risk tier")
    tiers = summary["tiers"]
    ui.kpis(
        [
            (
                f"{t['risk_tier']} tier",
                ui.count(t["n"]),
                f"{ui.pct(t['n'] / summary['n'] if summary['n'] else 0)} of customers, "
                f"{ui.eur(t['loss'])} per month at risk",
            )
            for t in tiers.to_dicts()
        ]
    )
    st.markdown("**Margin at risk per tier** (€ per month; each bar says how many customers it holds)")
    ui.chart(charts.tier_margin_chart(tiers))

st.subheader("Champion model")
source = data.served_run(run)
if source is None:
    ui.missing("The model evaluation (model/evaluation.json)", "Train a model with `spanishgas run`.")
else:
    ev = data.run_doc(source, "model/evaluation.json")
    champ = data.run_doc(source, "model/champion.json") or {}
    ui.kpis(
        [
            (
                "PR-AUC",
                ui.num(ev.get("pr_auc")),
                "Area under the precision-recall curve on the held-out test snapshot",
            ),
            ("ROC-AUC", ui.num(ev.get("roc_auc")), "Area under the ROC curve on the held-out test snapshot"),
            (
                "ECE",
                ui.num(ev.get("ece")),
                "Expected calibration error: mean |predicted − observed| over probability bins",
            ),
            (
                "Brier score",
                ui.num(ev.get("brier")),
                "Mean squared error of the probabilities (lower is better)",
            ),
        ]
    )
    where = "trained in this run" if source == run else f"trained in run `{source.run_id}`"
    st.markdown(f"Serving **{fmt.model_name(champ.get('experiment'), champ.get('model'))}**, {where}.")
promo = data.run_doc(run, "model/promotion.json")
if promo:
    st.markdown(
        f"This run's candidate: promotion decision **{promo.get('decision', 'unknown')}** — "
        + "; ".join(promo.get("reasons") or [])
    )

st.subheader("Trends over the runs")
ui.trends(run, ("scored", "at_risk", "margin_at_risk", "served_pr_auc", "features_drifted"))

st.subheader("Last run")
manifest = data.run_doc(run, "manifest.json") or {}
quality = manifest.get("quality") or {}
timings = manifest.get("timings") or {}
ui.kpis(
    [
        ("Status", fmt.status(manifest.get("status", "unknown")), "Status recorded in the run's manifest"),
        (
            "Duration",
            f"{timings['total']:.0f} s" if "total" in timings else "—",
            "Wall time of the whole run",
        ),
        (
            "Quality checks failed",
            f"{quality.get('failed', 0)} of {quality.get('checks', 0)}",
            "Failed checks below the gate are warnings; a gate failure blocks publication",
        ),
    ]
)
latest = next(iter(data.manifests(run.uri)), None)
if latest and latest.get("run_id") != run.run_id and latest.get("status") == "running":
    st.info(
        f"Run `{latest.get('run_id')}` is in progress (started {ui.when(latest.get('started_at'))} UTC); "
        "the dashboard switches to it once it is published.",
        icon=":material/hourglass_top:",
    )
elif latest and latest.get("run_id") != run.run_id and latest.get("status") != "published":
    st.warning(
        f"The latest run `{latest.get('run_id')}` ({latest.get('started_at', '?')}) ended "
        f"**{latest.get('status')}**: {latest.get('error', 'no message')}. The dashboard shows the last "
        "published run.",
        icon=":material/error:",
    )
