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
    """Lift and cumulative gain on the test snapshot (the candidate's held-out predictions) with a "share
    called" control; the threshold and the tier cut-offs reconciled in words."""
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
                "Churners reached",
                fmt.pct(row["gain"]),
                f"Share of all test-snapshot churners among the riskiest {share:.0%} called (cumulative gain)",
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
    st.markdown("**Threshold and tiers**")
    cuts = tier_rule(model_run, run)
    st.markdown(
        f"- The **decision threshold** {fmt.pct(conf.get('threshold'))} flags a customer as a likely churner: it "
        "was chosen on the calibration snapshot to reach the target recall, and drives precision and recall above.\n"
        "- The **risk tiers** rank customers for the retention team and decide the offer; "
        + (cuts or "they are cut by rank of the calibrated churn probability.")
        + "\n- The customers **at risk** are the action tiers, Critical and High: they get an immediate offer. "
        'The threshold answers "likely to leave?" for the precision and recall above; the tier answers '
        '"how urgently to call?". How well each tier\'s predicted churn matched what happened: the '
        "*Curves and calibration* tab."
    )


def tier_calibration(model_run) -> None:
    """Predicted vs observed churn per risk tier on the test snapshot (the candidate's held-out predictions)."""
    hold = queries.holdout(model_run) if model_run else None
    tc = charts.tier_calibration(hold) if hold is not None else pl.DataFrame()
    st.markdown("**Calibration per risk tier** (predicted vs observed churn on the test snapshot)")
    if tc.is_empty():
        st.caption("The held-out predictions carry no risk tier.")
        return
    left, right = st.columns(2)
    with left:
        ui.chart(charts.tier_calibration_chart(tc))
    with right:
        ui.table(
            tc,
            risk_tier=st.column_config.TextColumn("Risk tier"),
            n=st.column_config.NumberColumn("Test customers", format="localized"),
            predicted=st.column_config.NumberColumn("Predicted churn", format="percent"),
            observed=st.column_config.NumberColumn("Observed churn", format="percent"),
        )


def curves() -> None:
    """PR and ROC curves, reliability with customers per bin, the confusion matrix at the threshold."""
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
                x=alt.X(
                    "fpr:Q", title="false positive rate (% of stayers flagged)", axis=alt.Axis(format="%")
                ),
                y=alt.Y("tpr:Q", title="true positive rate (% of churners)", axis=alt.Axis(format="%")),
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
            base.mark_rect().encode(
                color=alt.Color("customers:Q", scale=alt.Scale(scheme="blues"), legend=None)
            )
            + base.mark_text(fontSize=18).encode(
                text=alt.Text("customers:Q", format=","), color=alt.value("black")
            )
        )


def experiment_ladder(promo: dict | None) -> None:
    """The E0–E8 ladder when `spanishgas experiments` has run; before that, what the run itself measured on the
    test snapshot (the promotion gate's evidence: random calling, the logistic baseline, the candidate and the
    current champion, with their bootstrap intervals) and how to get the full ladder."""
    st.subheader("Experiment ladder")
    ladder_path = data.fresh_path_of(run.uri, "registry/experiments.parquet")
    if ladder_path is None:
        st.info(
            "The full ladder (feature sets E0–E8 × logistic regression, random forest and XGBoost, all on the same "
            "test snapshot) is a separate job that `just run` leaves out: run `just experiments` (or `uv run "
            "spanishgas experiments --lake …`, about a minute and a half for the whole book) and it appears here. "
            "Until then, below is what this run measured itself.",
            icon=":material/science:",
        )
    else:
        ladder = queries.experiment_ladder(ladder_path)
        ladder_run = ladder["run_id"][0] if "run_id" in ladder.columns and ladder.height else None
        st.caption(
            f"`spanishgas experiments` on the gold features of run `{ladder_run or '—'}`"
            + (" (an earlier run than the one shown)" if ladder_run and ladder_run != run.run_id else "")
            + f": {ladder.height} fits on the test snapshot of {fmt.count(ladder['n_test'].max())} customers. "
            "Each feature set adds one tier of features to the one before (E8 is E7 without sentiment)."
        )
        ui.chart(charts.ladder_chart(ladder))
        ui.table(
            ladder.select(
                "experiment_label", "model_label", "pr_auc", "roc_auc", "brier", "ece", "n_features"
            ),
            experiment_label=st.column_config.TextColumn("Feature set"),
            model_label=st.column_config.TextColumn("Model"),
            pr_auc=st.column_config.NumberColumn("PR-AUC", format="%.3f"),
            roc_auc=st.column_config.NumberColumn("ROC-AUC", format="%.3f"),
            brier=st.column_config.NumberColumn("Brier", format="%.4f"),
            ece=st.column_config.NumberColumn("ECE", format="%.3f"),
            n_features=st.column_config.NumberColumn("Features", format="localized"),
        )
    comparison = charts.gate_comparison(promo)
    if comparison.is_empty():
        return
    evidence = ((promo or {}).get("gate") or {}).get("evidence") or {}
    st.markdown("**What this run measured on the test snapshot** (PR-AUC with its bootstrap interval)")
    st.caption(
        f"Test snapshot {fmt.date(evidence.get('test_date'))}: {fmt.count(evidence.get('n_test'))} customers, "
        f"{fmt.pct(evidence.get('prevalence'))} churned, so calling at random scores a PR-AUC equal to that share. "
        f"{fmt.count(evidence.get('bootstrap_resamples'))} paired bootstrap resamples give the "
        f"{fmt.pct(evidence.get('confidence'), 0)} intervals."
    )
    ui.chart(charts.comparison_chart(comparison))
    ui.table(
        comparison.select("model", "pr_auc", "interval", "times_random", "gap"),
        model=st.column_config.TextColumn("Model"),
        pr_auc=st.column_config.NumberColumn("PR-AUC", format="%.3f"),
        interval=st.column_config.TextColumn("Interval"),
        times_random=st.column_config.TextColumn("× random"),
        gap=st.column_config.TextColumn("Candidate − this (interval)"),
    )


def importance_and_promotion(promo: dict | None) -> None:
    """Feature importance of the evaluated model and the promotion gate's decision with its tests."""
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
                        f"{by}:Q",
                        title="mean |SHAP| (log-odds)" if by == "mean_abs_shap" else "share of gain",
                    ),
                    tooltip=[alt.Tooltip("label:N", title="feature")]
                    + [
                        alt.Tooltip(f"{c}:Q", format=".3f")
                        for c in ("gain", "mean_abs_shap")
                        if c in top.columns
                    ],
                )
            )
    with right:
        st.markdown("**Promotion decision**")
        if promo is None:
            st.caption("No promotion record in this run.")
            return
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
            st.markdown("**Gate tests** (each judged on the lower end of its interval, as measured above)")
            ui.table(
                pl.DataFrame(
                    {
                        "test": [fmt.words(t.get("test")) for t in tests],
                        "result": ["passed" if t.get("passed") else "failed" for t in tests],
                        "value": [fmt.num(t.get("value")) for t in tests],
                        "required": [fmt.num(t.get("required")) for t in tests],
                    }
                ),
                test=st.column_config.TextColumn("Test"),
                result=st.column_config.TextColumn("Result"),
                value=st.column_config.TextColumn("Lower bound"),
                required=st.column_config.TextColumn("Required"),
            )
        elif gate:  # an older run: the absolute gate's settings
            st.markdown(
                f"- gate: PR-AUC ≥ {fmt.num(gate.get('min_pr_auc'), 2)}, at most "
                f"{fmt.num(gate.get('pr_auc_tolerance'), 2)} below the current champion"
            )


# ---- layout: only the open tab runs, so only its charts reach the browser -----------------------------------
TABS = ["Targeting", "Curves and calibration", "Experiments and promotion", "Trends over the runs"]
tab_target, tab_curves, tab_choice, tab_trends = st.tabs(TABS, key="model_tab", on_change="rerun")
if tab_target.open:
    with tab_target:
        targeting(data.candidate_run(run) or data.served_run(run))
if tab_curves.open:
    with tab_curves:
        curves()
        tier_calibration(data.candidate_run(run) or data.served_run(run))
if tab_choice.open:
    with tab_choice:
        promotion = data.run_doc(source, "model/promotion.json")
        experiment_ladder(promotion)
        importance_and_promotion(promotion)
if tab_trends.open:
    with tab_trends:
        st.caption(
            "PR-AUC of the model that scored each run and the input features that drifted, per published run."
        )
        ui.trends(run, ("served_pr_auc", "features_drifted"))
