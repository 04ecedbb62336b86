"""The dashboard's business queries (scores, recommendations, customers, EDA, drift), cached per run.

Each one is a DuckDB query over one published Parquet file with only the columns and rows it needs.
"""

from __future__ import annotations

import re

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
        "expected_monthly_loss, months_to_renewal, tenure_months, reason_text_1, reason_1 "
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


# ---- targeting: held-out test predictions (model/holdout_predictions.parquet) -------------------------------
HOLDOUT = "model/holdout_predictions.parquet"
CAMPAIGN = "scored/campaign_design.parquet"


@st.cache_data(show_spinner=False, max_entries=16)
def holdout(run: Run) -> pl.DataFrame | None:
    """The test snapshot's customers, riskiest first: probability, outcome (churned 0/1), tier, margin at risk."""
    path = run_table(run, HOLDOUT)
    if path is None:
        return None
    cols = {c for c, _ in columns_of(path)}
    tier = "risk_tier" if "risk_tier" in cols else "NULL AS risk_tier"
    return sql(
        f"SELECT customer_id, churn_proba, CAST(churned AS INTEGER) AS churned, {tier} "
        f"FROM {source(path)} ORDER BY churn_proba DESC, customer_id"
    )


@st.cache_data(show_spinner=False, max_entries=16)
def campaign_design(run: Run) -> pl.DataFrame | None:
    """The run's campaign design per risk tier × action (treated, control, power, cost, break-even, ROI)."""
    path = run_table(run, CAMPAIGN)
    if path is None:
        return None
    return sql(f"SELECT * FROM {source(path)} ORDER BY {TIER_ORDER} DESC, action")


@st.cache_data(show_spinner=False, max_entries=16)
def capacity_curve(run: Run) -> pl.DataFrame | None:
    """Offer-eligible customers outside the control group, best expected net value first, with running totals:
    calls, expected churners reached (Σ probability), 12-month offer cost and expected net value."""
    recos, scores = run_table(run, RECOS), run_table(run, SCORES)
    if recos is None or scores is None:
        return None
    return sql(
        "SELECT row_number() OVER w AS calls, r.customer_id, r.risk_tier, "
        "sum(s.churn_proba) OVER w AS churners_reached, sum(r.offer_cost_eur) OVER w AS cost, "
        "sum(r.expected_net_value_eur) OVER w AS net_value, sum(r.expected_monthly_loss) OVER w AS loss_covered "
        f"FROM {source(recos)} r JOIN {source(scores)} s USING (customer_id) "
        "WHERE r.action <> 'no_offer' AND r.expected_net_value_eur > 0 AND NOT r.is_control "
        "WINDOW w AS (ORDER BY r.expected_net_value_eur DESC, r.customer_id ROWS UNBOUNDED PRECEDING) "
        "ORDER BY calls"
    )


@st.cache_data(show_spinner=False, max_entries=16)
def expected_churners(run: Run) -> float:
    """Σ churn probability over every scored customer: the churners expected without any action."""
    return float(
        sql(f"SELECT coalesce(sum(churn_proba), 0) AS e FROM {source(run_table(run, SCORES))}")["e"][0]
    )


@st.cache_data(ttl=data.POINTER_TTL, show_spinner=False, max_entries=4)
def experiment_ladder(path: str) -> pl.DataFrame:
    """The experiment ladder (registry/experiments.parquet) in ladder order, with feature-set and model labels."""
    from app import fmt

    return sql(f"SELECT * FROM {source(path)} ORDER BY experiment, model").with_columns(
        experiment_label=pl.col("experiment").map_elements(fmt.experiment, return_dtype=pl.String),
        model_label=pl.col("model").replace_strict(fmt.MODEL_LABELS, default=pl.col("model")),
    )


# ---- the call list ----------------------------------------------------------------------------------------
CALL_LIST_ORDER = "ORDER BY r.expected_net_value_eur DESC, r.expected_monthly_loss DESC, r.customer_id"


@st.cache_data(show_spinner=False, max_entries=32)
def call_list(run: Run, actions: tuple, tiers: tuple, segments: tuple) -> pl.DataFrame:
    """The filtered recommendations as a call list: who, how risky, what to offer, when, why, and how to reach
    them (channel, province, renewal date, last contact channel when known)."""
    params: list = []
    where = re.sub(r'"(\w+)" IN', r'r."\1" IN', _reco_where(actions, tiers, segments, params))
    silver = run_table(run, "silver/silver_customer.parquet")
    inter = run_table(run, "silver/silver_interactions.parquet")
    joins, extra = "", []
    if silver:
        joins += f" LEFT JOIN {source(silver)} c USING (customer_id)"
        extra += ["c.region", "c.province_code", "c.next_renewal_date"]
    if inter:
        joins += (
            " LEFT JOIN (SELECT customer_id, arg_max(channel, date) AS last_contact_channel "
            f"FROM {source(inter)} GROUP BY customer_id) i USING (customer_id)"
        )
        extra.append("i.last_contact_channel")
    return sql(
        "SELECT r.customer_id, r.risk_tier, s.churn_proba, r.expected_monthly_loss, r.action, r.timing_window, "
        "r.offer_cost_eur, r.expected_net_value_eur, r.selected, r.is_control, "
        "r.reason_text_1, r.reason_text_2, r.reason_text_3, s.sales_channel, r.segment, s.reason_1"
        + "".join(f", {e}" for e in extra)
        + f" FROM {source(run_table(run, RECOS))} r JOIN {source(run_table(run, SCORES))} s USING (customer_id)"
        + f"{joins} WHERE {where} {CALL_LIST_ORDER}",
        params=params,
    )


CSV_HEADERS = {
    "customer_id": "Customer",
    "risk_tier": "Risk tier",
    "churn_proba": "Churn probability",
    "expected_monthly_loss": "Expected monthly loss (EUR)",
    "action": "Action",
    "timing_window": "When to call",
    "offer_cost_eur": "Offer cost, 12 months (EUR)",
    "expected_net_value_eur": "Expected net value (EUR)",
    "selected": "Offer selected",
    "is_control": "Control group (do not call)",
    "reason_text_1": "Reason 1",
    "reason_text_2": "Reason 2",
    "reason_text_3": "Reason 3",
    "sales_channel": "Sales channel",
    "segment": "Segment",
    "region": "Region",
    "province_code": "Province code",
    "next_renewal_date": "Renewal date",
    "last_contact_channel": "Last contact channel",
}


@st.cache_data(show_spinner=False, max_entries=32)
def reco_csv(run: Run, actions: tuple, tiers: tuple, segments: tuple) -> bytes:
    """The filtered call list as CSV for Excel: UTF-8 with BOM, labelled headers, codes in words."""
    from app import fmt

    df = call_list(run, actions, tiers, segments).with_columns(
        pl.col("action").map_elements(fmt.action, return_dtype=pl.String),
        pl.col("timing_window").map_elements(fmt.timing, return_dtype=pl.String),
        pl.col("churn_proba").round(4),
        pl.col("expected_monthly_loss", "offer_cost_eur", "expected_net_value_eur").round(2),
        pl.col("selected", "is_control").replace_strict({True: "yes", False: "no"}, return_dtype=pl.String),
    )
    df = df.drop("reason_1", strict=False)  # the reason texts say it in full
    df = df.rename({c: CSV_HEADERS.get(c, c) for c in df.columns})
    return b"\xef\xbb\xbf" + df.write_csv().encode("utf-8")


# ---- campaign results: an earlier run's offers against the outcomes labelled since --------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def scoring_date(run: Run):
    """The as-of date a run scored (None when it has no scores)."""
    path = run_table(run, SCORES)
    return None if path is None else sql(f"SELECT min(as_of_date) AS d FROM {source(path)}")["d"][0]


@st.cache_data(show_spinner=False, max_entries=16)
def labelled_dates(run: Run) -> list:
    """Snapshot dates with a known outcome in the run's gold features."""
    path = run_table(run, GOLD)
    if path is None:
        return []
    return sql(
        f"SELECT DISTINCT as_of_date AS d FROM {source(path)} WHERE churned_within_horizon IS NOT NULL ORDER BY 1"
    )["d"].to_list()


@st.cache_data(show_spinner=False, max_entries=16)
def campaign_outcomes(run: Run, earlier: Run) -> pl.DataFrame | None:
    """The earlier run's offers (selected or control) with their outcome from this run's labels: who churned
    within the horizon of the earlier scoring date. None when this run has no label for that date."""
    d = scoring_date(earlier)
    recos = run_table(earlier, RECOS)
    if d is None or recos is None or d not in labelled_dates(run):
        return None
    return sql(
        "SELECT r.customer_id, r.action, r.risk_tier, r.selected, r.is_control, "
        "CAST(g.churned_within_horizon AS INTEGER) AS churned "
        f"FROM {source(recos)} r JOIN {source(run_table(run, GOLD))} g "
        "ON g.customer_id = r.customer_id AND g.as_of_date = ? AND g.churned_within_horizon IS NOT NULL "
        "WHERE r.selected OR r.is_control",
        params=[d],
    )


# ---- run trends -----------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def run_trends(uri: str, runs_: tuple) -> pl.DataFrame:
    """Per published run (id, finished at): scoring date, customers scored, at risk, margin at risk, PR-AUC of
    the model that scored and of the run's own candidate, features drifted."""
    from app.data import run_doc, served_run

    rows = []
    for run_id, finished in runs_:
        r = Run(uri, run_id)
        s = score_summary(r)
        served = served_run(r) if s else None
        ev_served = run_doc(served, "model/evaluation.json") if served else None
        ev_own = run_doc(r, "model/evaluation.json")
        d = drift(r)
        rows.append(
            {
                "run_id": run_id,
                "finished_at": str(finished)[:16].replace("T", " "),
                "scoring_date": s["as_of"] if s else None,
                "scored": s["n"] if s else None,
                "at_risk": s["at_risk"] if s else None,
                "margin_at_risk": s["margin_at_risk"] if s else None,
                "served_pr_auc": (ev_served or {}).get("pr_auc"),
                "candidate_pr_auc": (ev_own or {}).get("pr_auc"),
                "features_drifted": int(d.filter((pl.col("kind") == "input") & pl.col("drifted")).height)
                if d is not None
                else None,
            }
        )
    schema = {
        "run_id": pl.String,
        "finished_at": pl.String,
        "scoring_date": pl.Date,
        "scored": pl.Int64,
        "at_risk": pl.Int64,
        "margin_at_risk": pl.Float64,
        "served_pr_auc": pl.Float64,
        "candidate_pr_auc": pl.Float64,
        "features_drifted": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema).sort("finished_at")


# ---- drift evidence: reference vs current distributions from the run's gold features ----------------------
@st.cache_data(show_spinner=False, max_entries=16)
def drift_sides(run: Run) -> tuple[str, str] | None:
    """SQL conditions of the reference (latest labelled snapshot) and current (scoring snapshot) rows."""
    dates = labelled_dates(run)
    if not dates:
        return None
    return f"as_of_date = DATE '{dates[-1]}' AND churned_within_horizon IS NOT NULL", "is_scoring"


@st.cache_data(show_spinner=False, max_entries=16)
def missing_shares(run: Run, features: tuple) -> pl.DataFrame | None:
    """Per feature: share of missing values in the reference and current rows, and the numeric means."""
    path, sides = run_table(run, GOLD), drift_sides(run)
    if path is None or sides is None:
        return None
    types = dict(columns_of(path))
    cols = [f for f in features if f in types]
    if not cols:
        return None
    numeric = {f for f in cols if types[f].split("(")[0] in NUMERIC_TYPES}
    parts = []
    for cond in sides:
        exprs = ", ".join(
            f"avg(CASE WHEN {ident(f)} IS NULL THEN 1.0 ELSE 0.0 END) AS {ident('m:' + f)}, "
            + (
                f"avg(CAST({ident(f)} AS DOUBLE)) AS {ident('a:' + f)}"
                if f in numeric
                else f"NULL AS {ident('a:' + f)}"
            )
            for f in cols
        )
        row = sql(f"SELECT {exprs} FROM {source(path)} WHERE {cond}").row(0, named=True)
        parts.append({f: (row[f"m:{f}"], row[f"a:{f}"]) for f in cols})
    return pl.DataFrame(
        {
            "feature": cols,
            "missing_reference": [parts[0][f][0] for f in cols],
            "missing_current": [parts[1][f][0] for f in cols],
            "mean_reference": [parts[0][f][1] for f in cols],
            "mean_current": [parts[1][f][1] for f in cols],
        },
        schema_overrides={"mean_reference": pl.Float64, "mean_current": pl.Float64},
    )


NUMERIC_TYPES = {
    "DOUBLE",
    "FLOAT",
    "BIGINT",
    "INTEGER",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "DECIMAL",
    "UBIGINT",
}
HIST_BINS = 12


@st.cache_data(show_spinner=False, max_entries=64)
def distribution(run: Run, feature: str) -> pl.DataFrame | None:
    """Share of reference and current customers per bin (numeric: equal-width bins over the 1st–99th
    percentile, ends open) or per value (categories), missing values excluded."""
    path, sides = run_table(run, GOLD), drift_sides(run)
    if path is None or sides is None:
        return None
    types = dict(columns_of(path))
    if feature not in types:
        return None
    col = ident(feature)
    side = f"CASE WHEN {sides[0]} THEN 'reference' ELSE 'current' END"
    rows = f"SELECT {side} AS side, {col} AS x FROM {source(path)} WHERE (({sides[0]}) OR ({sides[1]})) AND {col} IS NOT NULL"
    is_bool = types[feature] == "BOOLEAN"
    if types[feature].split("(")[0] in NUMERIC_TYPES and not is_bool:
        distinct_n = sql(f"SELECT count(DISTINCT x) AS k FROM ({rows})")["k"][0]
        if distinct_n > HIST_BINS:
            return sql(
                f"WITH v AS ({rows}), b AS (SELECT quantile_cont(x, 0.01) AS lo, quantile_cont(x, 0.99) AS hi FROM v), "
                f"k AS (SELECT side, least({HIST_BINS - 1}, greatest(0, floor((x - lo) / nullif(hi - lo, 0) * {HIST_BINS}))) "
                "AS bin, lo, hi FROM v, b) "
                f"SELECT side, coalesce(bin, 0) AS bin, lo + (coalesce(bin, 0) + 0.5) * (hi - lo) / {HIST_BINS} AS value, "
                "count(*) * 1.0 / sum(count(*)) OVER (PARTITION BY side) AS share "
                "FROM k GROUP BY side, bin, lo, hi ORDER BY side, bin"
            ).with_columns(kind=pl.lit("numeric"))
    return sql(
        f"SELECT side, CAST(x AS VARCHAR) AS value, count(*) * 1.0 / sum(count(*)) OVER (PARTITION BY side) AS share, "
        f"dense_rank() OVER (ORDER BY x) AS ord FROM ({rows}) GROUP BY side, x ORDER BY ord, side"
    ).with_columns(bin=pl.lit(None, dtype=pl.Float64), kind=pl.lit("categorical"))


# ---- one customer's explanation ----------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=256)
def customer_contributions(run: Run, model_run: Run, customer_id: str) -> pl.DataFrame | None:
    """TreeSHAP contribution (log-odds) of every gold feature to one customer's score by the model that scored
    them, with the feature value; None when the model or the customer's scoring row is missing."""
    from app.data import serving_model

    model = serving_model(model_run.uri, model_run.run_id)
    path = run_table(run, GOLD)
    if model is None or path is None:
        return None
    row = pl.DataFrame(
        sql(
            f"SELECT * FROM {source(path)} WHERE customer_id = ? AND is_scoring LIMIT 1", params=[customer_id]
        )
    )
    if row.is_empty():
        return None
    from dataflow.model.explain import source_contributions

    contrib, bias, features = source_contributions(model, row)
    values = [row[f][0] if f in row.columns else None for f in features]
    return pl.DataFrame(
        {
            "feature": features,
            "contribution": [float(c) for c in contrib[0]],
            "value": [None if v is None else str(v) for v in values],
        }
    ).with_columns(bias=pl.lit(float(bias[0])))
