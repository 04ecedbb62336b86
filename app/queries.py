"""The dashboard's business queries (scores, recommendations, customers, EDA, drift), cached per run.

Each one is a DuckDB query over one published Parquet file with only the columns and rows it needs.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from app import data
from app.data import AT_RISK, TIERS, Run, columns_of, ident, in_list, lit, path_of, run_table, source, sql

SCORES = "scored/scores.parquet"
RECOS = "scored/recommendations.parquet"
GOLD = "gold/gold_features.parquet"
DRIFT = "monitoring/drift.parquet"
TIER_ORDER = "CASE risk_tier WHEN 'Low' THEN 0 WHEN 'Medium' THEN 1 WHEN 'High' THEN 2 ELSE 3 END"


# ---- scores ---------------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=32)
def score_summary(run: Run) -> dict | None:
    """Customers scored, at-risk count, margin at risk, scoring date and customers per tier."""
    path = run_table(run, SCORES)
    if path is None:
        return None
    tiers = sql(
        f"SELECT risk_tier, count(*) AS n, sum(expected_monthly_loss) AS loss, avg(churn_proba) AS mean_proba, "
        f"sum(churn_proba) AS expected FROM {source(path)} GROUP BY risk_tier"
    )
    by_tier = {r["risk_tier"]: r for r in tiers.to_dicts()}
    rows = [
        {
            "risk_tier": t,
            "n": int(by_tier.get(t, {}).get("n") or 0),
            "loss": float(by_tier.get(t, {}).get("loss") or 0.0),
            "mean_proba": by_tier.get(t, {}).get("mean_proba"),
            "expected_churners": float(by_tier.get(t, {}).get("expected") or 0.0),
        }
        for t in TIERS
    ]
    head = sql(
        f"SELECT count(*) AS n, min(as_of_date) AS as_of, sum(CAST(churn_pred AS INTEGER)) AS flagged "
        f"FROM {source(path)}"
    ).row(0, named=True)
    n = int(head["n"])
    at_risk = sum(r["n"] for r in rows if r["risk_tier"] in AT_RISK)
    expected = sum(r["expected_churners"] for r in rows)
    loss = sum(r["loss"] for r in rows)
    tier_doc = data.run_doc(run, "scored/tiers.json") or {}
    return {
        "expected_churners": expected,
        "expected_churner_share_at_risk": (
            sum(r["expected_churners"] for r in rows if r["risk_tier"] in AT_RISK) / expected
            if expected
            else 0.0
        ),
        "margin_share_at_risk": sum(r["loss"] for r in rows if r["risk_tier"] in AT_RISK) / loss
        if loss
        else 0.0,
        "tier_basis": tier_doc.get("basis_text") or "",
        "n": n,
        "at_risk": at_risk,
        "at_risk_share": at_risk / n if n else 0.0,
        "margin_at_risk": sum(r["loss"] for r in rows),
        "as_of": head["as_of"],
        "flagged": int(head["flagged"] or 0),
        "tiers": pl.DataFrame(rows),
    }


def _score_where(tiers: tuple, segments: tuple, channels: tuple, params: list) -> str:
    return " AND ".join(
        [
            in_list("risk_tier", tiers, params),
            in_list("segment", segments, params),
            in_list("sales_channel", channels, params),
        ]
    )


@st.cache_data(show_spinner=False, max_entries=128)
def top_at_risk(
    run: Run, tiers: tuple, segments: tuple, channels: tuple, n: int
) -> tuple[pl.DataFrame, dict]:
    """The ``n`` filtered customers with the largest margin at risk, and totals of the whole filtered set."""
    path = run_table(run, SCORES)
    params: list = []
    where = _score_where(tiers, segments, channels, params)
    totals = sql(
        f"SELECT count(*) AS n, coalesce(sum(expected_monthly_loss), 0) AS loss FROM {source(path)} "
        f"WHERE {where}",
        params=list(params),
    ).row(0, named=True)
    top = sql(
        "SELECT customer_id, churn_proba, risk_tier, segment, sales_channel, avg_monthly_margin_12m, "
        "expected_monthly_loss, months_to_renewal, tenure_months, reason_text_1 "
        f"FROM {source(path)} WHERE {where} ORDER BY expected_monthly_loss DESC, churn_proba DESC, customer_id "
        f"LIMIT {int(n)}",
        params=params,
    )
    return top, totals


@st.cache_data(show_spinner=False, max_entries=256)
def customer_score(run: Run, customer_id: str) -> dict | None:
    """The scores row of one customer, None when the customer was not scored."""
    path = run_table(run, SCORES)
    got = sql(f"SELECT * FROM {source(path)} WHERE customer_id = ?", params=[customer_id])
    return got.row(0, named=True) if got.height else None


@st.cache_data(show_spinner=False, max_entries=64)
def suggest_ids(run: Run, text: str, limit: int = 8) -> list[str]:
    """Scored customer ids containing ``text`` (for "did you mean")."""
    path = run_table(run, SCORES)
    q = f"SELECT customer_id FROM {source(path)} WHERE customer_id ILIKE ? ORDER BY customer_id LIMIT {int(limit)}"
    return sql(q, params=[f"%{text}%"])["customer_id"].to_list()


@st.cache_data(show_spinner=False, max_entries=8)
def riskiest_customer(run: Run) -> str | None:
    """The customer with the largest margin at risk (the lookup page's starting example)."""
    path = run_table(run, SCORES)
    got = sql(
        f"SELECT customer_id FROM {source(path)} ORDER BY expected_monthly_loss DESC, customer_id LIMIT 1"
    )
    return got["customer_id"][0] if got.height else None


@st.cache_data(show_spinner=False, max_entries=256)
def customer_row(run: Run, rel: str, customer_id: str, where: str = "TRUE", order: str = "") -> dict | None:
    """One row of a run table for a customer (``where``/``order`` are fixed SQL fragments of the caller)."""
    path = run_table(run, rel)
    if path is None:
        return None
    q = f"SELECT * FROM {source(path)} WHERE customer_id = ? AND {where} {order} LIMIT 1"
    got = sql(q, params=[customer_id])
    return got.row(0, named=True) if got.height else None


@st.cache_data(show_spinner=False, max_entries=256)
def customer_history(run: Run, customer_id: str) -> pl.DataFrame | None:
    """The customer's silver_customer_month rows (consumption and margin per month), oldest first."""
    path = run_table(run, "silver/silver_customer_month.parquet")
    if path is None:
        return None
    return sql(f"SELECT * FROM {source(path)} WHERE customer_id = ? ORDER BY month", params=[customer_id])


# ---- recommendations ------------------------------------------------------------------------------------
def _reco_where(actions: tuple, tiers: tuple, segments: tuple, params: list) -> str:
    return " AND ".join(
        [
            in_list("action", actions, params),
            in_list("risk_tier", tiers, params),
            in_list("segment", segments, params),
        ]
    )


@st.cache_data(show_spinner=False, max_entries=128)
def reco_breakdown(run: Run, actions: tuple, tiers: tuple, segments: tuple) -> pl.DataFrame:
    """Filtered recommendations per action × tier: customers, offers selected, control, cost, net value."""
    params: list = []
    where = _reco_where(actions, tiers, segments, params)
    return sql(
        "SELECT action, risk_tier, count(*) AS customers, "
        "sum(CAST(selected AS INTEGER)) AS selected, sum(CAST(is_control AS INTEGER)) AS control, "
        "sum(CASE WHEN selected THEN offer_cost_eur ELSE 0 END) AS offer_cost_eur, "
        "sum(CASE WHEN selected THEN expected_net_value_eur ELSE 0 END) AS expected_net_value_eur, "
        "sum(expected_monthly_loss) AS expected_monthly_loss "
        f"FROM {source(run_table(run, RECOS))} WHERE {where} GROUP BY action, risk_tier "
        f"ORDER BY action, {TIER_ORDER}",
        params=params,
    )


RECO_COLUMNS = (
    "customer_id, risk_tier, segment, action, timing_window, offer_share_of_margin, offer_cost_eur, "
    "expected_monthly_loss, save_rate, expected_net_value_eur, selected, is_control, "
    "reason_text_1, reason_text_2, reason_text_3"
)


@st.cache_data(show_spinner=False, max_entries=128)
def reco_rows(run: Run, actions: tuple, tiers: tuple, segments: tuple, limit: int | None) -> pl.DataFrame:
    """Filtered recommendations, best expected net value first (``limit`` None = all, for the CSV)."""
    params: list = []
    where = _reco_where(actions, tiers, segments, params)
    tail = f"LIMIT {int(limit)}" if limit else ""
    return sql(
        f"SELECT {RECO_COLUMNS} FROM {source(run_table(run, RECOS))} WHERE {where} "
        f"ORDER BY expected_net_value_eur DESC, expected_monthly_loss DESC, customer_id {tail}",
        params=params,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def reco_csv(run: Run, actions: tuple, tiers: tuple, segments: tuple) -> bytes:
    """The filtered recommendations as CSV bytes."""
    return reco_rows(run, actions, tiers, segments, None).write_csv().encode("utf-8")


# ---- EDA over gold_features -----------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=64)
def churn_by(run: Run, column: str) -> pl.DataFrame | None:
    """Observed churn rate per value of ``column`` over the labelled snapshots (rows with a label)."""
    path = run_table(run, GOLD)
    if path is None or column not in {c for c, _ in columns_of(path)}:
        return None
    return sql(
        f"SELECT coalesce(CAST({ident(column)} AS VARCHAR), 'unknown') AS value, count(*) AS snapshots, "
        "avg(churned_within_horizon) AS churn_rate "
        f"FROM {source(path)} WHERE churned_within_horizon IS NOT NULL GROUP BY 1 ORDER BY 1"
    )


@st.cache_data(show_spinner=False, max_entries=8)
def labelled_summary(run: Run) -> dict | None:
    """Labelled snapshots: rows, distinct as-of dates, overall churn rate."""
    path = run_table(run, GOLD)
    if path is None:
        return None
    return sql(
        "SELECT count(*) AS rows, count(DISTINCT as_of_date) AS dates, avg(churned_within_horizon) AS churn_rate "
        f"FROM {source(path)} WHERE churned_within_horizon IS NOT NULL"
    ).row(0, named=True)


@st.cache_data(show_spinner=False, max_entries=8)
def margin_by_segment(run: Run) -> pl.DataFrame | None:
    """Distribution of the average monthly margin (12 months) per segment on the scoring snapshot."""
    path = run_table(run, GOLD)
    if path is None:
        return None
    m = "avg_monthly_margin_12m"
    return sql(
        f"SELECT coalesce(segment, 'Unknown') AS segment, count({m}) AS customers, "
        f"quantile_cont({m}, 0.05) AS p05, quantile_cont({m}, 0.25) AS q1, median({m}) AS median, "
        f"quantile_cont({m}, 0.75) AS q3, quantile_cont({m}, 0.95) AS p95, avg({m}) AS mean, sum({m}) AS total "
        f"FROM {source(path)} WHERE is_scoring AND {m} IS NOT NULL GROUP BY 1 ORDER BY 1"
    )


# ---- drift ----------------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def drift(run: Run) -> pl.DataFrame | None:
    """The run's drift table, largest PSI first."""
    path = run_table(run, DRIFT)
    if path is None:
        return None
    return sql(f"SELECT * FROM {source(path)} ORDER BY kind, psi DESC NULLS LAST, feature")


@st.cache_data(show_spinner=False, max_entries=16)
def drift_history(uri: str, run_ids: tuple, finished: tuple) -> pl.DataFrame:
    """Drift tables of several published runs stacked, with the run id and its finish time."""
    frames = []
    for run_id, at in zip(run_ids, finished, strict=True):
        path = run_table(Run(uri, run_id), DRIFT)
        if path is not None:
            frames.append(
                sql(
                    f"SELECT {lit(run_id)} AS run_id, {lit(at)} AS finished_at, feature, kind, psi, "
                    f"ks_statistic, drifted FROM {source(path)}"
                )
            )
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()


# ---- pipeline -------------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def quarantine_reasons(run: Run, keys: tuple) -> pl.DataFrame:
    """Quarantined rows per dataset and kind of reason (numbers masked, so "duplicate of row 7" and "… row 9"
    count together), with one example each: the five most frequent kinds of each file."""
    frames = []
    for key in keys:
        path = path_of(run.uri, key)
        dataset = key.rsplit("/", 1)[-1].removesuffix(".parquet")
        frames.append(
            sql(
                f"SELECT {lit(dataset)} AS dataset, regexp_replace(_reason, '[0-9]+', '#', 'g') AS reason, "
                f"count(*) AS rows, min(_reason) AS example FROM {source(path)} GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5"
            )
        )
    empty = {"dataset": pl.String, "reason": pl.String, "rows": pl.Int64, "example": pl.String}
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=empty)


@st.cache_data(show_spinner=False, max_entries=16)
def quality(run: Run) -> pl.DataFrame | None:
    """The run's data-quality checks, failures first."""
    path = run_table(run, "monitoring/quality.parquet")
    if path is None:
        return None
    return sql(f'SELECT * FROM {source(path)} ORDER BY status = \'pass\', severity, layer, "table", "check"')
