"""Data Explorer: browse every layer's tables (filters, paging) and the churn drivers seen in the data."""

import math

import altair as alt
import streamlit as st

from app import browse, data, queries
from app import components as ui
from dataflow.gold.tier_lifecycle import RENEWAL_BUCKETS, TENURE_BUCKETS

DEFAULT_COLUMNS = 6  # as many as fit the window at 1280 px; the rest are one click away


def browse_tables(run: data.Run) -> None:
    """Pick a layer and a table; filter, choose columns and page through it."""
    tables = browse.tables(run)
    left, mid = st.columns([1, 3])
    layer = left.selectbox("Layer", list(tables), index=list(tables).index("gold") if "gold" in tables else 0)
    key = mid.selectbox(
        "Table",
        tables[layer],
        format_func=browse.label,
        help="raw = the input files as delivered; the other layers are this run's outputs",
    )
    path = browse.local(run.uri, key)
    cols = [c for c, _ in data.columns_of(path)]
    chosen = st.multiselect(
        "Columns",
        cols,
        default=cols[:DEFAULT_COLUMNS],
        key=f"cols:{key}",
        help=f"The first {DEFAULT_COLUMNS} columns fit the window; add others here (or remove some).",
    )
    filters = []
    with st.expander("Filters", expanded=False):
        for i in range(3):
            c1, c2, c3 = st.columns([2, 1, 2])
            col = c1.selectbox(f"Column {i + 1}", ["—", *cols], key=f"fcol{i}:{key}")
            op = c2.selectbox(f"Operator {i + 1}", browse.OPS, key=f"fop{i}:{key}")
            value = c3.text_input(f"Value {i + 1}", key=f"fval{i}:{key}")
            if col != "—" and (value or op in ("is empty", "is not empty")):
                filters.append((col, op, value))
    filters = tuple(filters)
    total = browse.count(run.uri, key, filters)
    size = st.segmented_control("Rows per page", [25, 50, 100, 250], default=50, key=f"size:{key}") or 50
    if total is None:
        number = st.number_input("Page", min_value=1, value=1, key=f"pageno:{key}")
    else:
        pages = max(1, math.ceil(total / size))
        number = st.pagination(pages, key=f"page:{key}:{size}:{hash(filters)}") if pages > 1 else 1
    rows = browse.page(run.uri, key, tuple(chosen), filters, size, (number - 1) * size)
    first = (number - 1) * size + 1 if rows.height else 0
    of = f"{total:,}" if total is not None else "an uncounted number of"
    st.caption(
        f"**{browse.label(key)}** — rows {first:,}–{first + rows.height - 1 if rows.height else 0:,} "
        f"of {of} rows"
        + (f" matching {len(filters)} filter(s)" if filters else "")
        + f" · {len(chosen)} of {len(cols)} columns"
    )
    ui.table(rows, height=min(38 + 35 * max(rows.height, 1), 560))


def margin_boxes(box) -> alt.LayerChart:
    """Box plot from precomputed quantiles: box q1–q3, white tick at the median, whiskers p05–p95."""
    base = alt.Chart(box, height=220).encode(x=alt.X("segment:N", title=None, axis=alt.Axis(labelAngle=0)))
    y = alt.Y(
        "p05:Q",
        title="€ / month",
        scale=alt.Scale(type="symlog"),
        axis=alt.Axis(values=[-1000, -100, -10, 0, 10, 100, 1000, 10000]),
    )
    return (
        base.mark_rule().encode(y=y, y2="p95:Q")
        + base.mark_bar(size=28, color="#4c78a8").encode(
            y="q1:Q", y2="q3:Q", tooltip=["segment", "customers", "median", "mean"]
        )
        + base.mark_tick(color="white", size=28, thickness=2).encode(y="median:Q")
    )


def churn_drivers(run: data.Run) -> None:
    """Observed churn by renewal, tenure, channel, competition and sentiment; margin by segment."""
    info = queries.labelled_summary(run)
    if info is None or not info["rows"]:
        ui.missing(
            "Labelled snapshots (gold/gold_features.parquet)", "Run the pipeline with a churn label file."
        )
        return
    st.caption(
        f"Observed churn over {info['rows']:,} labelled snapshots on {info['dates']} as-of date(s) "
        f"(churn within the label horizon: {ui.pct(info['churn_rate'])})."
    )
    orders = {"renewal_bucket": list(RENEWAL_BUCKETS), "tenure_bucket": list(TENURE_BUCKETS)}
    charts = [
        ("renewal_bucket", "Months to renewal"),
        ("tenure_bucket", "Tenure"),
        ("sales_channel", "Sales channel"),
        ("is_high_competition_province", "High-competition province"),
        ("sentiment_label", "Sentiment of the latest contact"),
    ]
    grid = st.columns(2)
    for i, (column, title) in enumerate(charts):
        df = queries.churn_by(run, column)
        with grid[i % 2]:
            st.markdown(f"**Churn by {title.lower()}**")
            if df is None:
                st.caption(f"`{column}` is not a column of gold_features in this run.")
                continue
            if column == "is_high_competition_province":
                df = df.with_columns(value=df["value"].replace({"1": "yes", "0": "no"}))
            ui.chart(ui.rate_bars(df, title, orders.get(column)))
    with grid[1]:
        st.markdown(
            "**Average monthly margin by segment** (scoring snapshot; box = quartiles, "
            "whiskers = 5th–95th percentile, symmetric log scale)"
        )
        box = queries.margin_by_segment(run)
        if box is None or box.is_empty():
            st.caption("No margins on the scoring snapshot.")
        else:
            ui.chart(margin_boxes(box))
            ui.table(
                box.select("segment", "customers", "median", "mean", "total"),
                median=st.column_config.NumberColumn(format="€%.2f"),
                mean=st.column_config.NumberColumn(format="€%.2f"),
                total=st.column_config.NumberColumn("total €/month", format="€%.0f"),
            )


run = data.current()
ui.header("Data Explorer", run)
tab_browse, tab_eda = st.tabs(["Browse tables", "Churn drivers"], key="explorer_tab", on_change="rerun")
if tab_browse.open:  # only the open tab runs, so only its content reaches the browser
    with tab_browse:
        browse_tables(run)
if tab_eda.open:
    with tab_eda:
        churn_drivers(run)
