"""Pure chart and curve helpers of the dashboard: frames in, Altair charts or frames out (no Streamlit calls).

Titles and axes carry units; categories are labels from app.fmt, never codes.
"""

from __future__ import annotations

import math

import altair as alt
import polars as pl

from app import fmt

TIERS = ("Low", "Medium", "High", "Critical")
TIER_COLOURS = {"Low": "#388e3c", "Medium": "#fbc02d", "High": "#f57c00", "Critical": "#d32f2f"}
BLUE, GREY, RED, GREEN = "#1f77b4", "#9e9e9e", "#d32f2f", "#388e3c"


def tier_scale() -> alt.Scale:
    return alt.Scale(domain=list(TIERS), range=[TIER_COLOURS[t] for t in TIERS])


# ---- targeting curves on the held-out test snapshot ---------------------------------------------------------
def gain_table(holdout: pl.DataFrame, points: int = 100) -> pl.DataFrame:
    """Cumulative gain and lift when customers are called riskiest first: per share of customers called
    (1 %, 2 %, … 100 %), the share of all churners among them (gain) and gain ÷ share called (lift).
    ``holdout`` holds churn_proba and churned (0/1)."""
    n = holdout.height
    churners = int(holdout["churned"].sum()) if n else 0
    if n == 0 or churners == 0:
        return pl.DataFrame(schema={"called_share": pl.Float64, "customers": pl.Int64, "gain": pl.Float64})
    ordered = holdout.sort(["churn_proba", "customer_id"], descending=[True, False])
    cum = ordered["churned"].cast(pl.Int64).cum_sum()
    rows = []
    for k in range(1, points + 1):
        m = max(1, math.ceil(n * k / points))
        rows.append({"called_share": k / points, "customers": m, "gain": cum[m - 1] / churners})
    return pl.DataFrame(rows).with_columns(
        lift=pl.col("gain") / pl.col("called_share"), random=pl.col("called_share")
    )


def gain_chart(gain: pl.DataFrame, mark_share: float | None = None) -> alt.Chart:
    """Cumulative gain: share of churners reached vs share of customers called, against random calling."""
    base = alt.Chart(gain, height=260)
    model = base.mark_line(color=BLUE).encode(
        x=alt.X(
            "called_share:Q",
            title="customers called, riskiest first (% of test snapshot)",
            axis=alt.Axis(format="%"),
        ),
        y=alt.Y(
            "gain:Q",
            title="churners reached (% of all churners)",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        tooltip=[
            alt.Tooltip("called_share:Q", title="called", format=".0%"),
            alt.Tooltip("customers:Q", title="customers", format=","),
            alt.Tooltip("gain:Q", title="churners reached", format=".1%"),
            alt.Tooltip("lift:Q", title="lift", format=".2f"),
        ],
    )
    rand = base.mark_line(color=GREY, strokeDash=[4, 4]).encode(x="called_share:Q", y="random:Q")
    layers = [rand, model]
    if mark_share is not None:
        pt = gain.filter((pl.col("called_share") - mark_share).abs() < 1e-9)
        layers.append(
            alt.Chart(pt).mark_point(color=RED, size=90, filled=True).encode(x="called_share:Q", y="gain:Q")
        )
    return alt.layer(*layers)


def lift_chart(gain: pl.DataFrame) -> alt.Chart:
    """Lift per share called: how many times more churners than calling at random (1 = random)."""
    first = gain.filter(pl.col("called_share") <= 0.5)
    one = alt.Chart(pl.DataFrame({"y": [1.0]})).mark_rule(color=GREY, strokeDash=[4, 4]).encode(y="y:Q")
    line = (
        alt.Chart(first, height=260)
        .mark_line(color=BLUE, point=True)
        .encode(
            x=alt.X(
                "called_share:Q",
                title="customers called, riskiest first (% of test snapshot)",
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("lift:Q", title="lift (× random)"),
            tooltip=[
                alt.Tooltip("called_share:Q", title="called", format=".0%"),
                alt.Tooltip("lift:Q", title="lift", format=".2f"),
                alt.Tooltip("gain:Q", title="churners reached", format=".1%"),
            ],
        )
    )
    return line + one


def pr_chart(pr: pl.DataFrame, base_rate: float, point: dict | None) -> alt.Chart:
    """Precision-recall curve with the base rate (precision of calling at random) and the operating point."""
    curve = (
        alt.Chart(pr, height=280)
        .mark_line(color=BLUE)
        .encode(
            x=alt.X(
                "recall:Q",
                title="recall (% of churners flagged)",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y(
                "precision:Q",
                title="precision (% of flagged who churn)",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            order="i:Q",
        )
    )
    base = (
        alt.Chart(pl.DataFrame({"precision": [base_rate], "label": [f"base rate {fmt.pct(base_rate)}"]}))
        .mark_rule(color=GREY, strokeDash=[4, 4])
        .encode(y="precision:Q", tooltip=[alt.Tooltip("label:N", title="random calling")])
    )
    layers = [curve, base]
    if point:
        pt = pl.DataFrame([point])
        layers.append(
            alt.Chart(pt)
            .mark_point(color=RED, size=110, filled=True)
            .encode(
                x="recall:Q",
                y="precision:Q",
                tooltip=[
                    alt.Tooltip("threshold:Q", format=".3f", title="decision threshold"),
                    alt.Tooltip("precision:Q", format=".1%"),
                    alt.Tooltip("recall:Q", format=".1%"),
                ],
            )
        )
    return alt.layer(*layers)


def reliability_chart(rel: pl.DataFrame) -> alt.Chart:
    """Calibration: observed churn vs mean predicted probability per bin, the dot size and label the customers
    in the bin."""
    ideal = (
        alt.Chart(pl.DataFrame({"x": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color=GREY)
        .encode(x="x:Q", y="x:Q")
    )
    enc = {
        "x": alt.X(
            "mean_proba:Q",
            title="mean predicted probability",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
        "y": alt.Y(
            "observed_rate:Q",
            title="observed churn rate",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
    }
    tips = [
        alt.Tooltip("bin:N", title="probability bin"),
        alt.Tooltip("n:Q", title="customers", format=","),
        alt.Tooltip("mean_proba:Q", format=".1%", title="predicted"),
        alt.Tooltip("observed_rate:Q", format=".1%", title="observed"),
    ]
    base = alt.Chart(rel, height=280)
    line = base.mark_line(color=BLUE).encode(**enc)
    dots = base.mark_circle(color=BLUE).encode(
        **enc,
        size=alt.Size("n:Q", title="customers", scale=alt.Scale(range=[30, 600]), legend=None),
        tooltip=tips,
    )
    labels = base.mark_text(dy=-12, fontSize=10, color="#333").encode(**enc, text=alt.Text("n:Q", format=","))
    return ideal + line + dots + labels


def tier_calibration(holdout: pl.DataFrame) -> pl.DataFrame:
    """Per risk tier on the test snapshot: customers, mean predicted probability, observed churn rate."""
    if "risk_tier" not in holdout.columns or holdout["risk_tier"].null_count() == holdout.height:
        return pl.DataFrame(
            schema={"risk_tier": pl.String, "n": pl.Int64, "predicted": pl.Float64, "observed": pl.Float64}
        )
    got = holdout.group_by("risk_tier").agg(
        n=pl.len(), predicted=pl.col("churn_proba").mean(), observed=pl.col("churned").cast(pl.Float64).mean()
    )
    order = {t: i for i, t in enumerate(TIERS)}
    return got.sort(pl.col("risk_tier").replace_strict(order, default=99, return_dtype=pl.Int64))


def tier_calibration_chart(tc: pl.DataFrame) -> alt.Chart:
    """Predicted vs observed churn per tier, side by side, with the customers of each tier on the axis."""
    long = tc.with_columns(
        tier=pl.col("risk_tier") + "|" + pl.col("n").map_elements(fmt.count, return_dtype=pl.String)
    ).unpivot(["predicted", "observed"], index=["risk_tier", "tier", "n"])
    order = [f"{r['risk_tier']}|{fmt.count(r['n'])}" for r in tc.to_dicts()]
    return (
        alt.Chart(long, height=240)
        .mark_bar()
        .encode(
            x=alt.X(
                "tier:N",
                sort=order,
                title="risk tier (test customers)",
                axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, '|')", labelOverlap=False),
            ),
            xOffset="variable:N",
            y=alt.Y("value:Q", title="churn rate", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "variable:N",
                title=None,
                scale=alt.Scale(domain=["predicted", "observed"], range=["#9ecae1", "#08519c"]),
            ),
            tooltip=[
                alt.Tooltip("risk_tier:N", title="tier"),
                alt.Tooltip("n:Q", format=",", title="customers"),
                alt.Tooltip("variable:N", title="rate"),
                alt.Tooltip("value:Q", format=".1%", title="value"),
            ],
        )
    )


# ---- tiers, trends, capacity ---------------------------------------------------------------------------------
def tier_margin_chart(tiers: pl.DataFrame) -> alt.Chart:
    """Margin at risk per tier (€/month), each bar labelled with its customers: small at-risk tiers stay visible
    because the bars measure money, not headcount."""
    df = tiers.with_columns(
        label=pl.struct("n", "loss").map_elements(
            lambda r: f"{fmt.eur(r['loss'])} · {fmt.count(r['n'])} customers", return_dtype=pl.String
        )
    )
    base = alt.Chart(df, height=190).encode(
        y=alt.Y("risk_tier:N", sort=list(TIERS), title=None),
        x=alt.X("loss:Q", title="margin at risk (€ per month)", axis=alt.Axis(format=",.0f")),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("risk_tier:N", scale=tier_scale(), legend=None),
        tooltip=[
            alt.Tooltip("risk_tier:N", title="tier"),
            alt.Tooltip("n:Q", format=",", title="customers"),
            alt.Tooltip("loss:Q", format=",.0f", title="€ per month at risk"),
        ],
    )
    return bars + base.mark_text(align="left", dx=4, color="#333").encode(text="label:N")


def trend_chart(trends: pl.DataFrame, field: str, title: str, fmt_axis: str = ",.0f") -> alt.Chart:
    """One measure across the published runs (x: run finish time)."""
    df = trends.filter(pl.col(field).is_not_null())
    return (
        alt.Chart(df, height=170, title=title)
        .mark_line(point=True, color=BLUE)
        .encode(
            x=alt.X(
                "finished_at:T", title="run finished (UTC)", axis=alt.Axis(format="%d %b %H:%M", tickCount=4)
            ),
            y=alt.Y(f"{field}:Q", title=None, axis=alt.Axis(format=fmt_axis, tickCount=4)),
            tooltip=[
                alt.Tooltip("run_id:N", title="run"),
                alt.Tooltip("finished_at:T", title="finished", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("scoring_date:T", title="scoring date", format="%Y-%m-%d"),
                alt.Tooltip(f"{field}:Q", title=title, format=fmt_axis),
            ],
        )
    )


def capacity_chart(curve: pl.DataFrame, calls: int, total_churners: float) -> alt.Chart:
    """Expected churners reached and net value as the number of calls grows, with the chosen capacity."""
    df = curve.select("calls", "churners_reached", "net_value", "cost").with_columns(
        reached_share=pl.col("churners_reached") / total_churners if total_churners else pl.lit(0.0)
    )
    base = alt.Chart(df, height=240)
    line = base.mark_line(color=BLUE).encode(
        x=alt.X("calls:Q", title="calls (best expected net value first)"),
        y=alt.Y("net_value:Q", title="expected net value (€)", axis=alt.Axis(format=",.0f")),
        tooltip=[
            alt.Tooltip("calls:Q", format=","),
            alt.Tooltip("churners_reached:Q", format=",.1f", title="expected churners reached"),
            alt.Tooltip("reached_share:Q", format=".1%", title="of all expected churners"),
            alt.Tooltip("cost:Q", format=",.0f", title="offer cost (€, 12 months)"),
            alt.Tooltip("net_value:Q", format=",.0f", title="expected net value (€)"),
        ],
    )
    rule = alt.Chart(pl.DataFrame({"calls": [calls]})).mark_rule(color=RED).encode(x="calls:Q")
    return line + rule


def distribution_chart(dist: pl.DataFrame, title: str) -> alt.Chart:
    """Current share of customers per bin or value (orange bars) against the reference (blue ticks and line)."""
    numeric = dist["kind"][0] == "numeric" if "kind" in dist.columns and dist.height else False
    if numeric:
        x = alt.X("value:Q", title=None, axis=alt.Axis(format=",.3~r", labelFlush=True, tickCount=5))
    else:
        order = alt.EncodingSortField("ord") if "ord" in dist.columns else "ascending"
        x = alt.X("value:N", title=None, sort=order, axis=alt.Axis(labelAngle=-30, labelLimit=80))
    y = alt.Y("share:Q", title=None, axis=alt.Axis(format="%", tickCount=4))
    tips = [
        alt.Tooltip("side:N", title="snapshot"),
        alt.Tooltip(
            "value:N" if not numeric else "value:Q",
            title="bin centre" if numeric else "value",
            **({"format": ",.3~f"} if numeric else {}),
        ),
        alt.Tooltip("share:Q", format=".1%", title="share of customers"),
    ]
    base = alt.Chart(dist, height=150, title=alt.TitleParams(title, fontSize=12, anchor="start"))
    current = (
        base.transform_filter(alt.datum.side == "current")
        .mark_bar(color="#d94801", opacity=0.75)
        .encode(x=x, y=y, tooltip=tips)
    )
    ref = base.transform_filter(alt.datum.side == "reference")
    ref_marks = (
        ref.mark_line(color="#08519c", point=True) if numeric else ref.mark_tick(color="#08519c", thickness=3)
    ).encode(x=x, y=y, tooltip=tips)
    return current + ref_marks


def contribution_chart(contrib: pl.DataFrame) -> alt.Chart:
    """One customer's largest pushes on the risk (log-odds), in plain feature labels: red raises, green lowers."""
    df = contrib.with_columns(
        direction=pl.when(pl.col("contribution") > 0)
        .then(pl.lit("raises risk"))
        .otherwise(pl.lit("lowers risk"))
    )
    return (
        alt.Chart(df, height=max(200, 26 * df.height + 40))
        .mark_bar()
        .encode(
            y=alt.Y(
                "label:N",
                sort=alt.EncodingSortField("abs", order="descending"),
                title=None,
                axis=alt.Axis(labelLimit=320),
            ),
            x=alt.X("contribution:Q", title="push on the churn score (log-odds, SHAP)"),
            color=alt.Color(
                "direction:N",
                title=None,
                scale=alt.Scale(domain=["raises risk", "lowers risk"], range=[RED, GREEN]),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="feature"),
                alt.Tooltip("value:N", title="value"),
                alt.Tooltip("contribution:Q", format="+.3f", title="push (log-odds)"),
            ],
        )
    )


def month_chart(series: pl.DataFrame, title: str) -> alt.Chart:
    """One monthly measure of a customer (``month``, ``value``) as a line, titled with its unit."""
    return (
        alt.Chart(series, height=170, title=alt.TitleParams(title, fontSize=12, anchor="start"))
        .mark_line(point=True, color=BLUE)
        .encode(
            x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6)),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip("month:T", format="%Y-%m", title="month"),
                alt.Tooltip("value:Q", format=",.2f", title=title),
            ],
        )
    )


# ---- model choice: the experiment ladder and what the run measured -------------------------------------------
def ladder_chart(ladder: pl.DataFrame) -> alt.Chart:
    """PR-AUC on the test snapshot per feature set (E0–E8), one bar per model family."""
    return (
        alt.Chart(ladder, height=240)
        .mark_bar()
        .encode(
            x=alt.X(
                "experiment:N",
                title="feature set (each adds one feature tier)",
                axis=alt.Axis(labelExpr="split(datum.label, '_')[0]", labelAngle=0),
            ),
            xOffset="model_label:N",
            y=alt.Y("pr_auc:Q", title="PR-AUC (test snapshot)"),
            color=alt.Color("model_label:N", title="model"),
            tooltip=[
                alt.Tooltip("experiment_label:N", title="feature set"),
                alt.Tooltip("model_label:N", title="model"),
                alt.Tooltip("pr_auc:Q", format=".3f", title="PR-AUC"),
                alt.Tooltip("roc_auc:Q", format=".3f", title="ROC-AUC"),
                alt.Tooltip("n_features:Q", format=",", title="features"),
            ],
        )
    )


SHORT_NAMES = {"baseline": "Baseline (E0)", "champion": "Current champion", "candidate": "Candidate"}


def gate_comparison(promotion: dict | None) -> pl.DataFrame:
    """What the run measured on the test snapshot, from the promotion gate's evidence: calling at random (PR-AUC =
    prevalence), the logistic baseline, the candidate and the current champion, with PR-AUC, interval, times
    random and the candidate's paired difference to each. Empty when the run recorded no evidence."""
    schema = {
        "model": pl.String,
        "short": pl.String,
        "pr_auc": pl.Float64,
        "lower": pl.Float64,
        "upper": pl.Float64,
        "interval": pl.String,
        "times_random": pl.String,
        "gap": pl.String,
    }
    promotion = promotion or {}
    ev = (promotion.get("gate") or {}).get("evidence") or {}
    prevalence = ev.get("prevalence")
    if not ev or not prevalence:
        return pl.DataFrame(schema=schema)
    cand = promotion.get("candidate") or {}
    names = {
        "candidate": f"{fmt.model_name(cand.get('experiment'), cand.get('model'))} (candidate)",
        "baseline": fmt.text((ev.get("baseline") or {}).get("name") or "baseline").capitalize(),
        "champion": f"Current champion (run {(promotion.get('current_champion') or {}).get('run_id', '—')})",
    }
    rows = [
        {
            "model": "Calling at random",
            "short": "Random calling",
            "pr_auc": float(prevalence),
            "lower": None,
            "upper": None,
            "interval": fmt.DASH,
            "times_random": "1.0×",
            "gap": fmt.DASH,
        }
    ]
    for who in ("baseline", "champion", "candidate"):
        iv = ev.get(who)
        if not isinstance(iv, dict) or iv.get("point") is None:
            continue
        diff = iv.get("difference") or {}
        rows.append(
            {
                "model": names[who],
                "short": SHORT_NAMES[who],
                "pr_auc": float(iv["point"]),
                "lower": iv.get("lower"),
                "upper": iv.get("upper"),
                "interval": f"{fmt.num(iv.get('lower'))} – {fmt.num(iv.get('upper'))}"
                if iv.get("lower") is not None
                else fmt.DASH,
                "times_random": f"{iv['point'] / prevalence:,.1f}×",
                "gap": f"{fmt.num(diff.get('point'))} ({fmt.num(diff.get('lower'))} – {fmt.num(diff.get('upper'))})"
                if diff
                else fmt.DASH,
            }
        )
    return pl.DataFrame(rows, schema=schema)


def comparison_chart(comparison: pl.DataFrame) -> alt.Chart:
    """PR-AUC bars of the compared models with their intervals (random calling has none)."""
    order = comparison["short"].to_list()
    base = alt.Chart(comparison, height=40 * comparison.height + 60)
    y = alt.Y("short:N", sort=order, title=None, axis=alt.Axis(labelLimit=200))
    bars = base.mark_bar(color=BLUE, opacity=0.8).encode(
        y=y,
        x=alt.X("pr_auc:Q", title="PR-AUC (test snapshot)", scale=alt.Scale(domain=[0, 1])),
        tooltip=[
            alt.Tooltip("model:N"),
            alt.Tooltip("pr_auc:Q", format=".3f", title="PR-AUC"),
            alt.Tooltip("interval:N"),
        ],
    )
    whiskers = (
        base.transform_filter("isValid(datum.lower)")
        .mark_rule(color="#333", strokeWidth=2)
        .encode(y=y, x="lower:Q", x2="upper:Q")
    )
    return bars + whiskers
