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
    # Data layers: raw → bronze → silver → gold

    Every table below is computed by the **same Hamilton driver and nodes** as `spanishgas run`
    (`dataflow.driver.build()`), on the lake **`{lake_location}`** (`$SPANISHGAS_LAKE` or `--lake`).
    Unchanged inputs come from Hamilton's cache, so re-running is cheap.
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
    etl_nodes = [
        "raw_reconciliation",
        "consumption_reconciliation",
        "bronze_customer",
        "bronze_customer_month",
        "silver_customer",
        "silver_customer_month",
        "silver_interactions",
        "snapshots",
        "gold_features",
    ]
    dr = dag.build()
    layers = dr.execute(etl_nodes, inputs=dag.inputs_for(lake_location, run_config))
    return dr, layers


@app.cell
def _(dag, dr, layers, mo, pl):
    row_counts = pl.DataFrame(
        [
            {"layer": dag.layers(dr)[name], "table": name, "rows": frame.height, "columns": frame.width}
            for name, frame in layers.items()
            if not name.endswith("reconciliation")
        ]
    )
    reconciliation = pl.concat(
        [layers["raw_reconciliation"], layers["consumption_reconciliation"]], how="diagonal_relaxed"
    ).with_columns(balanced=pl.col("rows_in") == pl.col("rows_kept") + pl.col("rows_quarantined"))
    mo.vstack(
        [
            mo.md("## Tables per layer"),
            mo.ui.table(row_counts, selection=None),
            mo.md("## Row reconciliation (rows in = kept + quarantined)"),
            mo.ui.table(reconciliation, selection=None),
        ]
    )
    return reconciliation, row_counts


@app.cell
def _(mo, row_counts):
    table_picker = mo.ui.dropdown(
        row_counts["table"].to_list(), value="gold_features", label="Preview a table"
    )
    mo.output.replace(table_picker)
    return (table_picker,)


@app.cell
def _(layers, mo, table_picker):
    mo.ui.table(layers[table_picker.value].head(200), selection=None, page_size=10)
    return


@app.cell
def _(alt, layers, mo, pl):
    labelled = layers["gold_features"].filter(pl.col("churned_within_horizon").is_not_null())

    def churn_by(column: str) -> pl.DataFrame:
        return (
            labelled.group_by(column)
            .agg(churn_rate=pl.col("churned_within_horizon").mean(), snapshots=pl.len())
            .with_columns(pl.col(column).cast(pl.String))
            .sort(column)
        )

    churn_tables = {
        c: churn_by(c) for c in ("renewal_bucket", "tenure_bucket", "sales_channel", "sentiment_label")
    }
    churn_charts = [
        alt.Chart(t, title=f"churn by {c}", width=260, height=180)
        .mark_bar()
        .encode(
            x=alt.X(f"{c}:N", title=None),
            y=alt.Y("churn_rate:Q", axis=alt.Axis(format="%")),
            tooltip=[c, "snapshots"],
        )
        for c, t in churn_tables.items()
    ]
    mo.vstack(
        [
            mo.md(f"## Churn drivers ({labelled.height:,} labelled snapshots)"),
            mo.hstack(churn_charts[:2]),
            mo.hstack(churn_charts[2:]),
        ]
    )
    return (churn_tables,)


@app.cell
def _(lake, layers, mo, pl, published):
    parity_rows = []
    if published:
        for folder, name in (
            ("bronze", "bronze_customer"),
            ("silver", "silver_customer"),
            ("silver", "silver_customer_month"),
            ("gold", "gold_features"),
        ):
            key = f"runs/{published}/{folder}/{name}.parquet"
            rows = (
                pl.scan_parquet(lake.local_path(key)).select(pl.len()).collect().item()
                if lake.exists(key)
                else None
            )
            parity_rows.append(
                {
                    "table": name,
                    "notebook_rows": layers[name].height,
                    "published_rows": rows,
                    "same": rows == layers[name].height,
                }
            )
    parity = pl.DataFrame(
        parity_rows,
        schema={
            "table": pl.String,
            "notebook_rows": pl.Int64,
            "published_rows": pl.Int64,
            "same": pl.Boolean,
        },
    )
    mo.vstack(
        [
            mo.md(
                f"## Parity with the published run `{published}`"
                if published
                else "## Parity: no published run yet (`spanishgas run`)"
            ),
            mo.ui.table(parity, selection=None),
        ]
    )
    return (parity,)


@app.cell
def _(churn_tables, mo, parity, published, reconciliation, row_counts):
    if not mo.running_in_notebook():  # headless (`python notebooks/01_data_layers.py`): print a report
        print(row_counts)
        print(reconciliation)
        print(churn_tables["renewal_bucket"])
        print(f"parity with {published}: {parity['same'].all() if parity.height else 'no published run'}")
    return


if __name__ == "__main__":
    app.run()
