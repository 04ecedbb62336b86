"""Model Performance: curves, calibration, confusion matrix, experiment ladder, importance, promotion."""

import altair as alt
import polars as pl
import streamlit as st

from app import charts, data, fmt, queries
from app import components as ui

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
    f"**{fmt.model_name(champ.get('experiment'), champ.get('model'))}**, evaluated on the held-out test "
    f"snapshot of {fmt.date(ev.get('test_date'))} ({tp + fp + fn + tn:,} customers, "
    f"{fmt.pct((tp + fn) / (tp + fp + fn + tn) if tp + fp + fn + tn else None)} churned); "
    f"decision threshold {fmt.pct(conf.get('threshold'))}."
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


def tier_rule(*runs) -> str:
    """How the tiers are cut, in words: the run's tier summary (scored/tiers.json, the one tier definition)."""
    for r in runs:
        doc = data.run_doc(r, "scored/tiers.json") if r is not None else None
        if doc and doc.get("basis_text"):
            return f"they are cut {doc['basis_text']}."
    return ""


def targeting(model_run) -> None:
    """Lift and cumulative gain on the test snapshot, and calibration per risk tier (the candidate's held-out
    predictions); the threshold and the tier cut-offs side by side."""
    st.subheader("Targeting: whom to call")
    hold = queries.holdout(model_run) if model_run else None
    if hold is None or hold.is_empty():
        ui.missing(
            "Held-out test predictions (model/holdout_predictions.parquet)",
            "They are written by a run that trains a model.",
        )
        return
    gain = charts.gain_table(hold)
    if gain.is_empty():
        st.caption("The test snapshot has no churner: no lift to show.")
        return
    share = st.select_slider(
        "Share of customers called (riskiest first)",
        options=[g / 100 for g in (1, 2, 5, 10, 15, 20, 25, 30, 40, 50)],
        value=0.10,
        format_func=lambda x: f"{x:.0%}",
        key="model_call_share",
    )
    row = gain.filter((pl.col("called_share") - share).abs() < 1e-9).row(0, named=True)
    ui.kpis(
        [
            (
                f"Churners in the top {share:.0%}",
                fmt.pct(row["gain"]),
                "Share of all test-snapshot churners among the riskiest customers called (cumulative gain)",
            ),
            (
                f"Lift at {share:.0%}",
                f"{row['lift']:.2f}×",
                "Churners reached ÷ churners a random call list reaches",
            ),
            (
                "Customers called",
                fmt.count(row["customers"]),
                f"Top {share:.0%} of {fmt.count(hold.height)} test customers",
            ),
            (
                "Test churners",
                fmt.count(int(hold["churned"].sum())),
                f"Base rate {fmt.pct(hold['churned'].mean())}",
            ),
        ]
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Cumulative gain** (dashed: random calling; dot: the chosen share)")
        ui.chart(charts.gain_chart(gain, share))
    with right:
        st.markdown("**Lift** (× the churners a random list of the same size reaches)")
        ui.chart(charts.lift_chart(gain))
    tc = charts.tier_calibration(hold)
    left, right = st.columns(2)
    with left:
        st.markdown("**Calibration per risk tier** (predicted vs observed churn on the test snapshot)")
        if tc.is_empty():
            st.caption("The held-out predictions carry no risk tier.")
        else:
            ui.chart(charts.tier_calibration_chart(tc))
    with right:
        st.markdown("**Threshold and tiers**")
        cuts = tier_rule(model_run, run)
        thr = conf.get("threshold")
        st.markdown(
            f"- The **decision threshold** {fmt.pct(thr)} flags a customer as a likely churner: it was chosen on "
            "the calibration snapshot to reach the target recall, and drives precision and recall above.\n"
            "- The **risk tiers** rank customers for the retention team and decide the offer; "
            + (cuts or "they are cut by rank of the calibrated churn probability.")
            + "\n- The customers **at risk** are the action tiers, Critical and High: they get an immediate offer. "
            'The threshold answers "likely to leave?" for the precision and recall above; the tier answers '
            '"how urgently to call?".'
        )
        if not tc.is_empty():
            ui.table(
                tc,
                risk_tier=st.column_config.TextColumn("Risk tier"),
                n=st.column_config.NumberColumn("Test customers", format="localized"),
                predicted=st.column_config.NumberColumn("Predicted churn", format="percent"),
                observed=st.column_config.NumberColumn("Observed churn", format="percent"),
            )


left, right = st.columns(2)
with left:
    st.markdown(
        "**Precision-recall curve** (dashed: base rate = calling at random; dot: the decision threshold)"
    )
    pr = thin(pl.DataFrame(ev.get("pr_curve") or {"precision": [], "recall": []}))
    n_test = tp + fp + fn + tn
    op = (
        {"precision": precision, "recall": recall, "threshold": conf.get("threshold")}
        if precision is not None and recall is not None
        else None
    )
    ui.chart(charts.pr_chart(pr, (tp + fn) / n_test if n_test else 0.0, op))
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
            x=alt.X("fpr:Q", title="false positive rate (% of stayers flagged)", axis=alt.Axis(format="%")),
            y=alt.Y("tpr:Q", title="true positive rate (% of churners flagged)", axis=alt.Axis(format="%")),
            order="i:Q",
        )
        + diag.encode(x="fpr:Q", y="tpr:Q")
    )

left, right = st.columns(2)
with left:
    st.markdown("**Reliability** (calibrated probability vs observed churn; labels: customers per bin)")
    rel = pl.DataFrame(ev.get("reliability") or [], schema_overrides={"n": pl.Int64})
    if rel.is_empty():
        st.caption("No reliability bins in the evaluation.")
    else:
        ui.chart(charts.reliability_chart(rel))
with right:
    st.markdown(f"**Confusion matrix** at the decision threshold {fmt.pct(conf.get('threshold'))}")
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

targeting(data.candidate_run(run) or data.served_run(run))

st.subheader("Trends over the runs")
ui.trends(run, ("served_pr_auc", "features_drifted"))

st.subheader("Experiment ladder")
ladder_path = data.fresh_path_of(run.uri, "registry/experiments.parquet")
if ladder_path is None:
    st.info(
        "The experiment ladder (E0–E8 × logistic / random forest / XGBoost) has not been run yet. Run "
        "`uv run spanishgas experiments` to compare them; the table appears here afterwards.",
        icon=":material/science:",
    )
else:
    ladder = data.sql(f"SELECT * FROM {data.source(ladder_path)} ORDER BY experiment, model").with_columns(
        pl.col("model").replace(fmt.MODEL_LABELS)
    )
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
        top = (
            fi.sort(by, descending=True)
            .head(20)
            .with_columns(label=pl.col("feature").map_elements(fmt.feature, return_dtype=pl.String))
        )
        ui.chart(
            alt.Chart(top, height=max(200, 26 * top.height))
            .mark_bar()
            .encode(
                y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
                x=alt.X(
                    f"{by}:Q", title="mean |SHAP| (log-odds)" if by == "mean_abs_shap" else "share of gain"
                ),
                tooltip=[alt.Tooltip("label:N", title="feature")]
                + [
                    alt.Tooltip(f"{c}:Q", format=".3f") for c in ("gain", "mean_abs_shap") if c in top.columns
                ],
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
            f"- candidate PR-AUC **{fmt.num(cand.get('pr_auc'))}** (run `{cand.get('run_id', run.run_id)}`)\n"
            "- current champion: "
            + (
                f"run `{cur.get('run_id')}`, PR-AUC {fmt.num(cur.get('pr_auc'))}"
                if cur
                else "none registered"
            )
        )
        tests = gate.get("tests") or []
        if tests:  # the relative gate: every test with its value, requirement and verdict
            st.markdown("**Gate tests**")
            ui.table(
                pl.DataFrame(
                    {
                        "test": [fmt.words(t.get("test")) for t in tests],
                        "result": ["passed" if t.get("passed") else "failed" for t in tests],
                        "value": [fmt.num(t.get("value")) for t in tests],
                        "required": [fmt.num(t.get("required")) for t in tests],
                        "how it was judged": [fmt.text(t.get("detail")) for t in tests],
                    }
                )
            )
        ev = gate.get("evidence") or {}
        if ev:
            st.caption(
                f"Judged on the test snapshot {fmt.date(ev.get('test_date'))} ({fmt.count(ev.get('n_test'))} "
                f"customers, prevalence {fmt.pct(ev.get('prevalence'))}) with {fmt.count(ev.get('bootstrap_resamples'))} "
                f"paired bootstrap resamples ({fmt.pct(ev.get('confidence'), 0)} intervals)."
            )
            rows = []
            for who in ("candidate", "baseline", "champion"):
                iv = ev.get(who)
                if not isinstance(iv, dict):
                    continue
                diff = iv.get("difference") or {}
                rows.append(
                    {
                        "model": fmt.text(iv.get("name")) if who == "baseline" and iv.get("name") else who,
                        "PR-AUC": fmt.num(iv.get("point")),
                        "interval": f"{fmt.num(iv.get('lower'))} – {fmt.num(iv.get('upper'))}"
                        if iv.get("lower") is not None
                        else "—",
                        "candidate − this": (
                            f"{fmt.num(diff.get('point'))} ({fmt.num(diff.get('lower'))} – "
                            f"{fmt.num(diff.get('upper'))})"
                            if diff
                            else "—"
                        ),
                    }
                )
            if rows:
                ui.table(pl.DataFrame(rows))
        elif gate:  # an older run: the absolute gate's settings
            st.markdown(
                f"- gate: PR-AUC ≥ {fmt.num(gate.get('min_pr_auc'), 2)}, at most "
                f"{fmt.num(gate.get('pr_auc_tolerance'), 2)} below the current champion"
            )
