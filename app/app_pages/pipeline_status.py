"""Pipeline Status: run history, stage timings, row reconciliation, quarantine, quality, the DAG and lineage."""

import altair as alt
import polars as pl
import streamlit as st

from app import components as ui
from app import dagtools, data, fmt, queries

STAGES = ("raw", "bronze", "silver", "gold", "model", "score", "monitor", "write")
# the columns of the quality report that fit the window (the messages of the checks within budget are the
# yellow boxes above; the whole report is monitoring/quality.parquet)
QUALITY_COLUMNS = ("table", "check", "status", "observed", "failing_rows")  # the table names its layer
QUALITY_CONFIG = {
    "table": st.column_config.TextColumn("Table"),
    "check": st.column_config.TextColumn("Check"),
    "status": st.column_config.TextColumn("Status"),
    "observed": st.column_config.NumberColumn("Observed", format="localized"),
    "failing_rows": st.column_config.NumberColumn(
        "Failing", format="localized", help="Rows failing the check"
    ),
}


def quality_rows(checks: pl.DataFrame) -> pl.DataFrame:
    """The quality checks' columns that fit the window, statuses in words."""
    return checks.select(*QUALITY_COLUMNS).with_columns(
        pl.col("status").map_elements(fmt.status, return_dtype=pl.String)
    )


def history_rows(manifests: list[dict], records: list[dict], current: str) -> pl.DataFrame:
    """One row per run: manifests first, plus run-history records (e.g. running) that have no manifest yet."""
    rows = []
    for m in manifests:
        t = m.get("timings") or {}
        rows.append(
            {
                "run_id": m.get("run_id"),
                "status": m.get("status"),
                "current": m.get("run_id") == current,
                "started_at": m.get("started_at"),
                "finished_at": m.get("finished_at"),
                "seconds": t.get("total"),
                "quarantined": sum((m.get("quarantined") or {}).values()),
                "checks_failed": (m.get("quality") or {}).get("failed"),
                "error": m.get("error"),
            }
        )
    seen = {r["run_id"] for r in rows}
    for r in records:
        if r.get("run_id") not in seen:
            rows.append(
                {
                    "run_id": r.get("run_id"),
                    "status": r.get("status"),
                    "current": False,
                    "started_at": r.get("started_at"),
                    "finished_at": r.get("finished_at"),
                    "seconds": None,
                    "quarantined": None,
                    "checks_failed": None,
                    "error": r.get("error"),
                }
            )
    schema = {
        "run_id": pl.String,
        "status": pl.String,
        "current": pl.Boolean,
        "started_at": pl.String,
        "finished_at": pl.String,
        "seconds": pl.Float64,
        "quarantined": pl.Int64,
        "checks_failed": pl.Int64,
        "error": pl.String,
    }
    return pl.DataFrame(rows, schema=schema).sort("started_at", descending=True, nulls_last=True)


run = data.current()
ui.header("Pipeline Status", run)
history = history_rows(data.manifests(run.uri), data.history_records(run.uri), run.run_id)
statuses = history["status"].to_list()
ui.kpis(
    [
        ("Runs", ui.count(history.height), "Every run recorded in the lake (manifests and run history)"),
        ("Published", ui.count(statuses.count("published")), "Runs that passed every gate and moved CURRENT"),
        (
            "Failed",
            ui.count(sum(s in ("failed", "failed_quality_gate") for s in statuses)),
            "Failed or blocked by a gate",
        ),
        ("Running", ui.count(statuses.count("running")), "Claimed and not finished"),
    ]
)
st.subheader("Run history")
ui.table(  # the start time and an error's text: in the run details below
    history.select(
        "run_id",
        pl.col("status").map_elements(fmt.status, return_dtype=pl.String),
        "current",
        pl.col("finished_at").map_elements(fmt.when, return_dtype=pl.String),
        "seconds",
        "quarantined",
        "checks_failed",
    ),
    run_id=st.column_config.TextColumn("Run"),
    status=st.column_config.TextColumn("Status"),
    current=st.column_config.CheckboxColumn("Current"),
    finished_at=st.column_config.TextColumn("Finished (UTC)"),
    seconds=st.column_config.NumberColumn("Duration (s)", format="%.1f"),
    quarantined=st.column_config.NumberColumn("Rows quarantined", format="localized"),
    checks_failed=st.column_config.NumberColumn("Checks failed", format="localized"),
)

run_ids = [r for r in history["run_id"].to_list() if r]
chosen = st.selectbox("Run details", run_ids, index=run_ids.index(run.run_id) if run.run_id in run_ids else 0)
detail = data.Run(run.uri, chosen)
manifest = data.run_doc(detail, "manifest.json") or {}
if manifest.get("error"):
    st.error(f"Run `{chosen}` {manifest.get('status')}: {manifest['error']}", icon=":material/error:")
for warning in (manifest.get("quality") or {}).get("within_budget") or []:
    # a gate found rows to fix but stayed within its error budget: the run published; the rows are in quarantine
    st.warning(warning, icon=":material/warning:")

left, right = st.columns(2)
with left:
    st.markdown("**Stage timings** (seconds)")
    timings = manifest.get("timings") or {}
    stages = pl.DataFrame(
        [{"stage": s, "seconds": float(timings[s])} for s in STAGES if s in timings],
        schema={"stage": pl.String, "seconds": pl.Float64},
    )
    if stages.is_empty():
        st.caption("No timings recorded for this run.")
    else:
        ui.chart(
            alt.Chart(stages, height=260)
            .mark_bar()
            .encode(
                y=alt.Y("stage:N", sort=list(STAGES), title=None), x="seconds:Q", tooltip=["stage", "seconds"]
            )
        )
        st.caption(f"Total {timings.get('total', sum(stages['seconds'])):.1f} s")
with right:
    st.markdown("**Slowest nodes**")
    nodes = manifest.get("node_timings") or {}
    slow = (
        pl.DataFrame(
            {"node": list(nodes), "seconds": [float(v) for v in nodes.values()]},
            schema={"node": pl.String, "seconds": pl.Float64},
        )
        .sort("seconds", descending=True)
        .head(12)
    )
    ui.table(
        slow,
        node=st.column_config.TextColumn("Node"),
        seconds=st.column_config.NumberColumn("Seconds", format="%.2f"),
    )

left, right = st.container(), st.container()  # one above the other: both tables keep their columns whole
with left:
    st.markdown("**Row reconciliation** (rows in = kept + quarantined)")
    rec = pl.DataFrame(manifest.get("reconciliation") or [])
    if rec.is_empty():
        st.caption("No reconciliation recorded for this run.")
    else:
        rec = rec.with_columns(balanced=pl.col("rows_in") == pl.col("rows_kept") + pl.col("rows_quarantined"))
        ui.table(
            rec,
            dataset=st.column_config.TextColumn("File"),
            balanced=st.column_config.CheckboxColumn("Balanced"),
            rows_in=st.column_config.NumberColumn("Rows in", format="localized"),
            rows_kept=st.column_config.NumberColumn("Kept", format="localized"),
            rows_orphaned=st.column_config.NumberColumn("Orphaned", format="localized"),
            rows_quarantined=st.column_config.NumberColumn("Quarantined", format="localized"),
        )
with right:
    quarantined = manifest.get("quarantined") or {}
    st.markdown(f"**Quarantine** ({sum(quarantined.values()):,} rows)")
    keys = tuple(k for k in data.lake(run.uri).list(f"quarantine/{chosen}/") if k.endswith(".parquet"))
    reasons = queries.quarantine_reasons(detail, keys)
    if reasons.is_empty():
        st.caption("No row was quarantined in this run.")
    else:
        ui.table(
            reasons,
            dataset=st.column_config.TextColumn("File"),
            reason=st.column_config.TextColumn("Reason (# = any number)"),
            rows=st.column_config.NumberColumn("Rows", format="localized"),
            example=st.column_config.TextColumn("Example", width="medium"),
        )

st.markdown("**Data-quality checks**")
quality = queries.quality(detail)
if quality is None:
    st.caption("No quality report for this run.")
else:
    failed = quality.filter(pl.col("status") != "pass")
    st.caption(f"{quality.height} checks, {failed.height} not passing.")
    if failed.height:
        ui.table(quality_rows(failed), height=min(38 + 35 * failed.height, 420), **QUALITY_CONFIG)
    if box := ui.lazy_expander(f"All {quality.height} checks", key="all_checks"):
        with box:
            ui.table(quality_rows(quality), height=420, **QUALITY_CONFIG)

st.subheader("The DAG")
code = dagtools.code_version()
image, why = dagtools.dag_image(code)
if not image:
    st.info(why, icon=":material/info:")
elif st.toggle("Show the whole pipeline DAG (Hamilton)", key="show_dag"):  # off by default: a large image
    st.image(
        image,
        width="stretch",
        caption="Every node of the pipeline, raw files on the left; download the "
        "full-size image to read the node names.",
    )
    with open(image, "rb") as fh:
        st.download_button(
            "Download the full-size DAG (PNG)",
            fh.read(),
            file_name="spanishgas-dag.png",
            mime="image/png",
            icon=":material/download:",
        )

st.markdown("**Lineage** — what a node or raw file depends on and feeds")
nodes, err = dagtools.dag_nodes(code)
if err:
    st.info(err, icon=":material/info:")
else:
    choices = [*dagtools.raw_files(), *nodes]
    default = choices.index("price_history.csv") if "price_history.csv" in choices else 0
    name = st.selectbox("Node or raw file", choices, index=default)
    got = dagtools.node_lineage(name, code)
    if "error" in got:
        st.warning(got["error"])
    else:
        if got["doc"]:
            st.caption(f"`{got['node']}` — {got['doc']}")
        up, down = st.columns(2)
        up.markdown(f"**Depends on** ({len(got['upstream'])})")
        up.markdown("\n".join(f"- `{n}`" for n in got["upstream"]) or "nothing")
        down.markdown(f"**Feeds** ({len(got['downstream'])})")
        down.markdown("\n".join(f"- `{n}`" for n in got["downstream"]) or "nothing")
