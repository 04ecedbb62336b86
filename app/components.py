"""Shared widgets of the dashboard: page header, KPI cards, tier colours, number formats, tables, notes."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app import fmt
from app.data import TIERS, Run, run_doc

TIER_COLOURS = {"Low": "#388e3c", "Medium": "#fbc02d", "High": "#f57c00", "Critical": "#d32f2f"}
TIER_BADGE = {"Low": "green", "Medium": "yellow", "High": "orange", "Critical": "red"}
ACTION_LABELS = fmt.ACTION_LABELS
HOW_TO_RUN = (
    "Produce one with `just run`, or step by step:\n\n"
    "```bash\nuv run spanishgas generate --lake {lake}\nuv run spanishgas run --lake {lake}\n```"
)


# ---- formats (one layer: app.fmt) ------------------------------------------------------------------------
count, eur, pct, num, when, words = fmt.count, fmt.eur, fmt.pct, fmt.num, fmt.when, fmt.words
action_label = fmt.action


# ---- layout ---------------------------------------------------------------------------------------------
def header(title: str, run: Run, note: str = "") -> None:
    """Page title with the run it shows."""
    st.title(title)
    manifest = run_doc(run, "manifest.json") or {}
    finished = when(manifest.get("finished_at") or manifest.get("started_at"))
    st.caption(f"Published run `{run.run_id}` · finished {finished} UTC" + (f" · {note}" if note else ""))


def kpis(items: list[tuple[str, str, str | None]]) -> None:
    """Rows of bordered metric cards: (label, value, help); more than four are split over two rows so that no
    label or value is cut at 1280 px."""
    rows = [items] if len(items) <= 4 else [items[: (len(items) + 1) // 2], items[(len(items) + 1) // 2 :]]
    for row in rows:
        for col, (label, value, tip) in zip(st.columns(len(rows[0])), row, strict=False):
            col.metric(label, value, help=tip, border=True)


def table(df: pl.DataFrame, height: int | str = "auto", **config) -> None:
    """A read-only table without the index, in words (app.fmt: labelled headers, codes as labels, no "None");
    ``config`` maps columns to st.column_config entries."""
    labels = {
        c: st.column_config.NumberColumn(fmt.column(c), format="localized")
        if t.is_numeric()
        else fmt.column(c)
        for c, t in df.schema.items()
    }
    dates = {
        c: st.column_config.DateColumn(fmt.column(c), format="YYYY-MM-DD")
        for c, t in df.schema.items()
        if t == pl.Date
    }
    merged = {**labels, **dates, **config}
    formats = {
        c: (v.get("type_config") or {}).get("format") if isinstance(v, dict) else None
        for c, v in merged.items()
    }
    shown = fmt.readable(df, formats)
    for c in df.columns:  # a number column turned into text keeps its label, drops its number format
        if shown.schema[c] == pl.String and df.schema[c] != pl.String and isinstance(merged.get(c), dict):
            merged[c] = st.column_config.TextColumn(merged[c].get("label") or fmt.column(c))
    st.dataframe(shown, hide_index=True, height=height, column_config=merged or None, width="stretch")


def lazy_expander(label: str, key: str):
    """An expander whose content runs (and reaches the browser) only while it is open, else None."""
    box = st.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def missing(what: str, how: str) -> None:
    """A friendly note that an output is not in this run, and how to get it."""
    st.info(f"**{what}** is not in this run. {how}", icon=":material/info:")


def no_run_page(title: str, lake: str, problem: str | None = None, latest: dict | None = None) -> None:
    """What every page shows while the lake has no published run (or cannot be read)."""
    st.title(title)
    if problem:
        st.warning(f"The lake **{lake}** could not be read: {problem}", icon=":material/cloud_off:")
    st.info(f"No published run in the lake **{lake}** yet: there is nothing to show.", icon=":material/info:")
    if latest:
        st.warning(
            f"The latest run `{latest.get('run_id')}` ({latest.get('started_at', '?')}) ended "
            f"**{latest.get('status', 'unknown')}**: {latest.get('error') or 'no message recorded'}",
            icon=":material/error:",
        )
    st.markdown(HOW_TO_RUN.format(lake=lake))
    st.caption("The dashboard follows the lake's `CURRENT` pointer and picks up a new run within seconds.")


# ---- charts ---------------------------------------------------------------------------------------------
def tier_scale() -> alt.Scale:
    return alt.Scale(domain=list(TIERS), range=[TIER_COLOURS[t] for t in TIERS])


def chart(c: alt.Chart) -> None:
    st.altair_chart(c, width="stretch")


def rate_bars(df: pl.DataFrame, title: str, order: list[str] | None = None) -> alt.Chart:
    """Horizontal bars of an observed churn rate per category (``value``, ``churn_rate``, ``snapshots``)."""
    return (
        alt.Chart(df, height=max(150, 34 * df.height + 40))
        .mark_bar(color="#1f77b4")
        .encode(
            y=alt.Y("value:N", title=None, sort=order or "ascending", axis=alt.Axis(labelLimit=220)),
            x=alt.X("churn_rate:Q", title="churn rate", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("value:N", title=title),
                alt.Tooltip("churn_rate:Q", format=".1%"),
                alt.Tooltip("snapshots:Q", format=","),
            ],
        )
    )


# ---- run history ----------------------------------------------------------------------------------------
TREND_FIELDS = {
    "scored": ("Customers scored", ",.0f"),
    "at_risk": ("At risk (High+Critical)", ",.0f"),
    "margin_at_risk": ("Margin at risk €/month", ",.0f"),
    "served_pr_auc": ("PR-AUC", ".3f"),
    "features_drifted": ("Features drifted", ",.0f"),
}
MAX_TREND_RUNS = 24


def trends(run: Run, fields: tuple[str, ...]) -> None:
    """Charts of the given measures across the published runs (newest MAX_TREND_RUNS), with their dates."""
    from app import charts, data, queries

    published = [m for m in data.manifests(run.uri) if m.get("status") == "published"][:MAX_TREND_RUNS]
    t = queries.run_trends(run.uri, tuple((m["run_id"], str(m.get("finished_at", ""))) for m in published))
    if t.height < 2:
        st.caption(
            f"{t.height} published run so far (scoring date {fmt.date(t['scoring_date'][0]) if t.height else '—'}); "
            "the trends appear once a second run is published."
        )
    else:
        for start in range(0, len(fields), 3):  # at most three charts a row: titles stay whole at 1280 px
            for col, f in zip(st.columns(3), fields[start : start + 3], strict=False):
                title, axis = TREND_FIELDS[f]
                with col:
                    chart(charts.trend_chart(t, f, title, axis))
    table(
        t.select("run_id", "finished_at", "scoring_date", *fields).sort("finished_at", descending=True),
        run_id=st.column_config.TextColumn("Run"),
        finished_at=st.column_config.TextColumn("Finished (UTC)"),
        scoring_date=st.column_config.DateColumn("Scored on", format="YYYY-MM-DD"),
        margin_at_risk=st.column_config.NumberColumn("€/month at risk", format="euro"),
        served_pr_auc=st.column_config.NumberColumn("PR-AUC", format="%.3f"),
        candidate_pr_auc=st.column_config.NumberColumn("Candidate PR-AUC", format="%.3f"),
        scored=st.column_config.NumberColumn("Scored", format="localized"),
        at_risk=st.column_config.NumberColumn("At risk", format="localized"),
        features_drifted=st.column_config.NumberColumn("Drifted", format="localized"),
    )
