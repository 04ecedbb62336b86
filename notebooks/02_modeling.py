import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import os

    import altair as alt
    import marimo as mo
    import polars as pl

    from dataflow import driver as dag
    from dataflow.config import PipelineConfig
    from dataflow.lake import Lake, lake_uri
    from dataflow.runs import current_run_id, read_manifest

    return Lake, PipelineConfig, alt, current_run_id, dag, lake_uri, mo, os, pl, read_manifest


@app.cell
def _(lake_uri, mo, os):
    lake_location = mo.cli_args().get("lake") or lake_uri(os.environ.get("SPANISHGAS_LAKE"))
    mo.md(f"""
    # Modeling: split, champion, calibration, scores, offers, drift

    The **same Hamilton nodes** as `spanishgas run` (`dataflow.driver.build()`), on **`{lake_location}`**:
    time-based split over as-of dates, XGBoost champion calibrated on a later snapshot, threshold chosen on
    calibrated probabilities, promotion gate, scoring with reason codes, offers and drift.
    """)
    return (lake_location,)


@app.cell
def _(Lake, PipelineConfig, current_run_id, lake_location, read_manifest):
    lake = Lake.open(lake_location)
    published = current_run_id(lake)
    # the published run's own config (same gate, experiment and dates), so results can be compared with it
    run_config = PipelineConfig.from_dict(
        ((read_manifest(lake, published) or {}).get("config") or {}) if published else {}
    )
    return lake, published, run_config


@app.cell
def _(dag, lake_location, run_config):
    model_nodes = [
        "training_split",
        "model_evaluation",
        "promotion_decision",
        "scores",
        "recommendations",
        "drift",
    ]
    dr = dag.build()
    results = dr.execute(model_nodes, inputs=dag.inputs_for(lake_location, run_config))
    split = results["training_split"]
    report = results["model_evaluation"].report
    return dr, report, results, split


@app.cell
def _(mo, pl, split):
    split_sizes = pl.DataFrame(
        [
            {
                "part": part,
                "rows": frame.height,
                "churners": int(frame["churned_within_horizon"].sum()),
                "as_of_dates": ", ".join(sorted({str(d) for d in frame["as_of_date"].unique()})),
            }
            for part, frame in (
                ("train", split.train),
                ("validation", split.validation),
                ("test", split.test),
            )
        ]
    )
    mo.vstack(
        [mo.md(f"## Split: `{split.plan.get('method', '?')}`"), mo.ui.table(split_sizes, selection=None)]
    )
    return (split_sizes,)


@app.cell
def _(alt, mo, pl, report):
    metrics = pl.DataFrame([{k: report[k] for k in ("pr_auc", "roc_auc", "brier", "ece", "n", "positives")}])
    pr = pl.DataFrame(report["pr_curve"])
    reliability = pl.DataFrame(report["reliability"])
    curve_charts = mo.hstack(
        [
            alt.Chart(pr, title="precision-recall (test)", width=280, height=220)
            .mark_line()
            .encode(x="recall:Q", y="precision:Q"),
            alt.Chart(reliability, title="reliability (test)", width=280, height=220)
            .mark_line(point=True)
            .encode(
                x=alt.X("mean_proba:Q", scale=alt.Scale(domain=[0, 1])),
                y=alt.Y("observed_rate:Q", scale=alt.Scale(domain=[0, 1])),
            ),
        ]
    )
    mo.vstack(
        [
            mo.md(f"## Champion {report.get('experiment')} · {report.get('model')} on the test snapshot"),
            mo.ui.table(metrics, selection=None),
            curve_charts,
            mo.md(f"Confusion at threshold {report['confusion']['threshold']:.3f}: `{report['confusion']}`"),
        ]
    )
    return (metrics,)


@app.cell
def _(mo, pl, report):
    tiers = pl.DataFrame(report["tiers"])
    importance = pl.DataFrame(report["feature_importance"]).head(15)
    mo.vstack(
        [
            mo.md("## Observed churn per risk tier (held-out test rows)"),
            mo.ui.table(tiers, selection=None),
            mo.md("## Feature importance (mean |SHAP|)"),
            mo.ui.table(importance, selection=None),
        ]
    )
    return (tiers,)


@app.cell
def _(mo, results):
    decision = results["promotion_decision"]
    mo.callout(
        mo.md(f"**{decision.decision}** — " + "; ".join(decision.reasons)),
        kind="success" if decision.promoted else "warn",
    )
    return (decision,)


@app.cell
def _(mo, pl, results):
    scores = results["scores"]
    tier_counts = scores.group_by("risk_tier").agg(
        customers=pl.len(), margin_at_risk=pl.sum("expected_monthly_loss")
    )
    offers = (
        results["recommendations"]
        .group_by("action")
        .agg(customers=pl.len(), selected=pl.sum("selected"), offer_cost_eur=pl.sum("offer_cost_eur"))
    )
    drifted = results["drift"].filter(pl.col("drifted"))
    mo.vstack(
        [
            mo.md(
                f"## Scores: {scores.height:,} customers, margin at risk "
                f"€{scores['expected_monthly_loss'].sum():,.0f}/month"
            ),
            mo.ui.table(tier_counts.sort("customers"), selection=None),
            mo.md("## Offers"),
            mo.ui.table(offers, selection=None),
            mo.md(f"## Drift: {drifted.height} drifted feature(s)"),
            mo.ui.table(results["drift"], selection=None),
        ]
    )
    return (scores,)


@app.cell
def _(lake, mo, pl, published, scores):
    key = f"runs/{published}/scored/scores.parquet"
    if published and lake.exists(key):
        both = scores.select("customer_id", "churn_proba").join(
            pl.read_parquet(lake.local_path(key), columns=["customer_id", "churn_proba"]),
            on="customer_id",
            suffix="_published",
        )
        max_gap = float((both["churn_proba"] - both["churn_proba_published"]).abs().max() or 0.0)
        parity = {
            "published_run": published,
            "customers_matched": both.height,
            "max_probability_gap": max_gap,
        }
    else:
        parity = {"published_run": published, "customers_matched": 0, "max_probability_gap": None}
    mo.md(f"## Parity with the published run\n\n`{parity}`")
    return (parity,)


@app.cell
def _(decision, metrics, mo, parity, split_sizes, tiers):
    if not mo.running_in_notebook():  # headless (`python notebooks/02_modeling.py`): print a report
        print(split_sizes)
        print(metrics)
        print(tiers)
        print(f"promotion: {decision.decision}")
        print(f"parity: {parity}")
    return


if __name__ == "__main__":
    app.run()
