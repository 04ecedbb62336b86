"""Shared widgets of the dashboard: page header, KPI cards, tier colours, number formats, tables, notes."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app.data import TIERS, Run, run_doc

TIER_COLOURS = {"Low": "#388e3c", "Medium": "#fbc02d", "High": "#f57c00", "Critical": "#d32f2f"}
TIER_BADGE = {"Low": "green", "Medium": "yellow", "High": "orange", "Critical": "red"}
ACTION_LABELS = {
    "offer_large": "Large retention offer",
    "offer_medium": "Medium retention offer",
    "offer_small": "Small retention offer",
    "no_offer": "No offer (monitor)",
}
HOW_TO_RUN = (
    "Produce one with `just run`, or step by step:\n\n"
    "```bash\nuv run spanishgas generate --lake {lake}\nuv run spanishgas run --lake {lake}\n```"
)


# ---- formats --------------------------------------------------------------------------------------------
def count(n: int | None) -> str:
    return "—" if n is None else f"{int(n):,}"


def eur(x: float | None, decimals: int = 0) -> str:
    if x is None:
        return "—"
    return f"-€{abs(x):,.{decimals}f}" if x < 0 else f"€{x:,.{decimals}f}"


def pct(x: float | None, decimals: int = 1) -> str:
    return "—" if x is None else f"{x:.{decimals}%}"


def num(x: float | None, decimals: int = 3) -> str:
    return "—" if x is None else f"{x:.{decimals}f}"


def when(ts: str | None) -> str:
    """An ISO UTC timestamp as 'YYYY-MM-DD HH:MM' (UTC)."""
    if not ts:
        return "—"
    return str(ts).replace("T", " ")[:16]


def action_label(action: str | None) -> str:
    if not action:
        return "—"
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


def words(code: str | None) -> str:
    """A snake_case code in plain words."""
    return (code or "").replace("_", " ").strip().capitalize() or "—"


# ---- layout ---------------------------------------------------------------------------------------------
def header(title: str, run: Run, note: str = "") -> None:
    """Page title with the run it shows."""
    st.title(title)
    manifest = run_doc(run, "manifest.json") or {}
    finished = when(manifest.get("finished_at") or manifest.get("started_at"))
    st.caption(f"Published run `{run.run_id}` · finished {finished} UTC" + (f" · {note}" if note else ""))


def kpis(items: list[tuple[str, str, str | None]]) -> None:
    """A row of bordered metric cards: (label, value, help)."""
    for col, (label, value, tip) in zip(st.columns(len(items)), items, strict=True):
        col.metric(label, value, help=tip, border=True)


def table(df: pl.DataFrame, height: int | str = "auto", **config) -> None:
    """A read-only table without the index; ``config`` maps columns to st.column_config entries."""
    dates = {
        c: st.column_config.DateColumn(format="YYYY-MM-DD") for c, t in df.schema.items() if t == pl.Date
    }
    st.dataframe(
        df, hide_index=True, height=height, column_config={**dates, **config} or None, width="stretch"
    )


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
