"""Model Performance: curves, calibration, confusion matrix, experiment ladder, importance, promotion."""

import altair as alt
import polars as pl
import streamlit as st

from app import components as ui
from app import data

MAX_POINTS = 400  # curves are thinned to this many points (the shape is unchanged)

run = data.current()
ui.header("Model Performance", run)
source = data.candidate_run(run) or data.served_run(run)
if source is None:
    ui.missing(
        "The model evaluation (model/evaluation.json)",
        "This run trained no model: run "
        "`spanishgas run` on a lake with a churn label file to train and evaluate one.",
    )
    st.stop()

ev = data.run_doc(source, "model/evaluation.json")
champ = data.run_doc(source, "model/champion.json") or {}
conf = ev.get("confusion") or {}
tp, fp, fn, tn = (int(conf.get(k, 0)) for k in ("tp", "fp", "fn", "tn"))
precision = tp / (tp + fp) if tp + fp else None
recall = tp / (tp + fn) if tp + fn else None
served = data.served_run(run)
if source != run:
    st.info(
        f"This run trained no candidate; the evaluation of the served champion (run `{source.run_id}`) is shown."
    )
elif served and served != run:
    st.info(
        f"This run's candidate is shown below; customers were scored by the champion of run `{served.run_id}`."
    )
st.markdown(
    f"**{champ.get('experiment', '?')} · {champ.get('model', '?')}**, evaluated on the held-out test "
    f"snapshot ({tp + fp + fn + tn:,} customers); decision threshold {ui.num(conf.get('threshold'))}."
)
ui.kpis(
    [
        ("PR-AUC", ui.num(ev.get("pr_auc")), "Area under the precision-recall curve"),
        ("ROC-AUC", ui.num(ev.get("roc_auc")), "Area under the ROC curve"),
        ("Precision", ui.num(precision), "Share of flagged customers who churned (at the threshold)"),
        ("Recall", ui.num(recall), "Share of churners who were flagged (at the threshold)"),
        ("ECE", ui.num(ev.get("ece")), "Expected calibration error"),
    ]
)


def thin(frame: pl.DataFrame) -> pl.DataFrame:
    """Keep at most MAX_POINTS evenly spaced points of a curve."""
    step = max(1, frame.height // MAX_POINTS)
    return (frame.gather_every(step) if step > 1 else frame).with_row_index("i")


left, right = st.columns(2)
with left:
    st.markdown("**Precision-recall curve**")
    pr = thin(pl.DataFrame(ev.get("pr_curve") or {"precision": [], "recall": []}))
    ui.chart(
        alt.Chart(pr, height=280)
        .mark_line()
        .encode(
            x=alt.X("recall:Q", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("precision:Q", scale=alt.Scale(domain=[0, 1])),
            order="i:Q",
        )
    )
with right:
    st.markdown("**ROC curve**")
    roc = thin(pl.DataFrame(ev.get("roc_curve") or {"fpr": [], "tpr": []}))
    diag = alt.Chart(pl.DataFrame({"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="gray"
    )
    ui.chart(
        alt.Chart(roc, height=280)
        .mark_line()
        .encode(
            x=alt.X("fpr:Q", title="false positive rate"),
            y=alt.Y("tpr:Q", title="true positive rate"),
            order="i:Q",
        )
        + diag.encode(x="fpr:Q", y="tpr:Q")
    )

left, right = st.columns(2)
with left:
    st.markdown("**Reliability diagram** (calibrated probability vs observed churn)")
    rel = pl.DataFrame(ev.get("reliability") or [], schema_overrides={"n": pl.Int64})
    if rel.is_empty():
        st.caption("No reliability bins in the evaluation.")
    else:
        ideal = (
            alt.Chart(pl.DataFrame({"x": [0.0, 1.0]}))
            .mark_line(strokeDash=[4, 4], color="gray")
            .encode(x="x:Q", y="x:Q")
        )
        pts = (
            alt.Chart(rel, height=280)
            .mark_line(point=True)
            .encode(
                x=alt.X("mean_proba:Q", title="mean predicted probability", scale=alt.Scale(domain=[0, 1])),
                y=alt.Y("observed_rate:Q", title="observed churn rate", scale=alt.Scale(domain=[0, 1])),
                tooltip=[
                    "bin",
                    "n",
                    alt.Tooltip("mean_proba:Q", format=".3f"),
                    alt.Tooltip("observed_rate:Q", format=".3f"),
                ],
            )
        )
        ui.chart(ideal + pts)
with right:
    st.markdown(f"**Confusion matrix** at threshold {ui.num(conf.get('threshold'))}")
    cm = pl.DataFrame(
        {
            "actual": ["Churn", "Churn", "No churn", "No churn"],
            "predicted": ["Churn", "No churn", "Churn", "No churn"],
            "customers": [tp, fn, fp, tn],
        }
    )
    base = alt.Chart(cm, height=280).encode(
        x=alt.X("predicted:N", sort=["Churn", "No churn"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("actual:N", sort=["Churn", "No churn"]),
    )
    ui.chart(
        base.mark_rect().encode(color=alt.Color("customers:Q", scale=alt.Scale(scheme="blues"), legend=None))
        + base.mark_text(fontSize=18).encode(
            text=alt.Text("customers:Q", format=","), color=alt.value("black")
        )
    )

st.subheader("Experiment ladder")
ladder_path = data.fresh_path_of(run.uri, "registry/experiments.parquet")
if ladder_path is None:
    st.info(
        "The experiment ladder (E0–E8 × logistic / random forest / XGBoost) has not been run yet. Run "
        "`uv run spanishgas experiments` to compare them; the table appears here afterwards.",
        icon=":material/science:",
    )
else:
    ladder = data.sql(f"SELECT * FROM {data.source(ladder_path)} ORDER BY experiment, model")
    ui.chart(
        alt.Chart(ladder, height=240)
        .mark_bar()
        .encode(
            x=alt.X("experiment:N"),
            xOffset="model:N",
            y=alt.Y("pr_auc:Q", title="PR-AUC (test)"),
            color="model:N",
            tooltip=[
                "experiment",
                "model",
                alt.Tooltip("pr_auc:Q", format=".3f"),
                alt.Tooltip("roc_auc:Q", format=".3f"),
            ],
        )
    )
    ui.table(ladder)

left, right = st.columns(2)
with left:
    st.markdown("**Feature importance** (mean |SHAP| on the test snapshot, top 20)")
    fi = pl.DataFrame(ev.get("feature_importance") or [])
    if fi.is_empty():
        st.caption("No feature importance in the evaluation.")
    else:
        by = "mean_abs_shap" if "mean_abs_shap" in fi.columns else "gain"
        top = fi.sort(by, descending=True).head(20)
        ui.chart(
            alt.Chart(top, height=max(200, 26 * top.height))
            .mark_bar()
            .encode(
                y=alt.Y("feature:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
                x=alt.X(f"{by}:Q", title=by.replace("_", " ")),
                tooltip=[c for c in ("feature", "gain", "mean_abs_shap") if c in top.columns],
            )
        )
with right:
    st.markdown("**Promotion decision**")
    promo = data.run_doc(source, "model/promotion.json")
    if promo is None:
        st.caption("No promotion record in this run.")
    else:
        decision = str(promo.get("decision", "unknown"))
        (st.success if decision == "promoted" else st.warning)(f"Candidate **{decision}**")
        for reason in promo.get("reasons") or []:
            st.markdown(f"- {reason}")
        cand, cur, gate = (
            promo.get("candidate") or {},
            promo.get("current_champion") or {},
            promo.get("gate") or {},
        )
        st.markdown(
            f"- candidate PR-AUC **{ui.num(cand.get('pr_auc'))}** (run `{cand.get('run_id', run.run_id)}`)\n"
            f"- current champion: "
            + (f"run `{cur.get('run_id')}`, PR-AUC {ui.num(cur.get('pr_auc'))}" if cur else "none registered")
            + "\n"
            + "".join(
                f"- {'✅' if t.get('passed') else '❌'} **{t.get('test')}** test: {t.get('detail')}\n"
                for t in gate.get("tests") or []
            )
        )
        ev = gate.get("evidence") or {}
        if ev:
            st.caption(
                f"Judged on the test snapshot {ev.get('test_date')} ({ev.get('n_test', 0):,} customers, prevalence "
                f"{ui.pct(ev.get('prevalence'))}) with {ev.get('bootstrap_resamples')} paired bootstrap resamples "
                f"({ui.pct(ev.get('confidence'))} intervals)."
            )
