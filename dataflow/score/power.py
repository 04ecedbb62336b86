"""The statistics of a measurable retention campaign: the power calculation that sizes the control group, the
stratified random draw of the control group among offer-eligible customers, and the treated-vs-control
read-out with its interval. Pure functions (not Hamilton nodes); ``score.campaign`` holds the nodes and the
design rationale.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import polars as pl

ALPHA = 0.05  # two-sided significance of the treated-vs-control comparison
POWER = 0.80  # chance of detecting the assumed save rate
MAX_CONTROL_SHARE = 0.5  # never hold out more than half of an action's customers
SHARE_STEP = 0.005  # control shares are searched on this grid
MIN_CONTROL = (
    30  # at least this many controls per action (when the cap allows): the normal approximation needs it
)
NO_OFFER = "no_offer"
Z95 = NormalDist().inv_cdf(0.975)


# ---- power calculation ----------------------------------------------------------------------------------
def comparison_power(p_control: float, save_rate: float, n_control: int, n_treated: int) -> float:
    """Chance that a two-sided test at ALPHA detects the difference in churn when the offer saves ``save_rate``
    of the would-be churners (normal approximation of two proportions)."""
    p_t = p_control * (1.0 - save_rate)
    diff = abs(p_control - p_t)
    if n_control <= 0 or n_treated <= 0 or diff == 0:
        return 0.0
    se = math.sqrt(p_control * (1 - p_control) / n_control + p_t * (1 - p_t) / n_treated)
    if se == 0:
        return 1.0
    return NormalDist().cdf(diff / se - NormalDist().inv_cdf(1 - ALPHA / 2))


def control_share_for(eligible: int, p_control: float, save_rate: float, floor: float) -> float:
    """The smallest control share (grid SHARE_STEP, within [floor, MAX_CONTROL_SHARE]) that reaches POWER for
    ``eligible`` customers with at least MIN_CONTROL controls; MAX_CONTROL_SHARE when no share does."""
    share = max(floor, 0.0)
    min_controls = min(MIN_CONTROL, round(MAX_CONTROL_SHARE * eligible))
    while share <= MAX_CONTROL_SHARE + 1e-12:
        n_c = round(share * eligible)
        if n_c >= min_controls and comparison_power(p_control, save_rate, n_c, eligible - n_c) >= POWER:
            return round(share, 6)
        share += SHARE_STEP
    return MAX_CONTROL_SHARE


def detectable_save_rate(p_control: float, n_control: int, n_treated: int) -> float | None:
    """The smallest save rate the comparison detects with POWER at these group sizes (None if none ≤ 100 %)."""
    lo, hi = 0.0, 1.0
    if comparison_power(p_control, hi, n_control, n_treated) < POWER:
        return None
    for _ in range(40):
        mid = (lo + hi) / 2
        if comparison_power(p_control, mid, n_control, n_treated) >= POWER:
            hi = mid
        else:
            lo = mid
    return hi


# ---- control group -------------------------------------------------------------------------------------
def offer_eligible() -> pl.Expr:
    """Customers who would get an offer: an offer action and a positive expected net value."""
    return (pl.col("action") != NO_OFFER) & (pl.col("expected_net_value_eur") > 0)


def control_shares(frame: pl.DataFrame, floor: float) -> dict[str, float]:
    """Control share per action, from the power calculation over the action's eligible customers."""
    eligible = frame.filter(offer_eligible())
    if eligible.is_empty():
        return {}
    per_action = eligible.group_by("action").agg(
        n=pl.len(), p_control=pl.col("churn_proba").mean(), save_rate=pl.col("save_rate").first()
    )
    return {
        r["action"]: control_share_for(int(r["n"]), float(r["p_control"]), float(r["save_rate"]), floor)
        for r in per_action.to_dicts()
    }


def assign_control(frame: pl.DataFrame, draw: pl.Expr, floor: float) -> pl.Series:
    """``is_control`` per row of an offer table: in each risk tier × action stratum of the eligible
    customers, the round(share × n) with the smallest seeded draw; never a customer without an offer."""
    shares = control_shares(frame, floor)
    ranked = frame.with_columns(_draw=draw, _eligible=offer_eligible()).with_columns(
        _share=pl.col("action").replace_strict(shares, default=0.0, return_dtype=pl.Float64),
        _rank=pl.col("_draw").rank("ordinal").over("_eligible", "risk_tier", "action"),
        _n=pl.len().over("_eligible", "risk_tier", "action"),
    )
    quota = (pl.col("_share") * pl.col("_n")).round(0)
    return ranked.select((pl.col("_eligible") & (pl.col("_rank") <= quota)).alias("is_control")).to_series()


# ---- read-out ------------------------------------------------------------------------------------------
def difference_interval(churn_c: int, n_c: int, churn_t: int, n_t: int) -> tuple[float, float, float] | None:
    """Control churn rate − treated churn rate and its 95 % Wald interval (None when a group is empty)."""
    if n_c == 0 or n_t == 0:
        return None
    p_c, p_t = churn_c / n_c, churn_t / n_t
    diff = p_c - p_t
    se = math.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    return diff, diff - Z95 * se, diff + Z95 * se


def campaign_results(offers: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """Treated (offer selected) vs control churn per action and overall, for the customers whose outcome is
    known. ``offers``: customer_id, action, selected, is_control; ``outcomes``: customer_id, churned (0/1).
    The observed save rate is 1 − treated churn / control churn."""
    known = offers.join(outcomes.select("customer_id", pl.col("churned").cast(pl.Int64)), on="customer_id")
    known = known.filter(pl.col("selected") | pl.col("is_control"))
    rows = []
    groups = [("All offers", known)] + [
        (a, known.filter(pl.col("action") == a)) for a in sorted(known["action"].unique().to_list())
    ]
    for name, g in groups:
        t, c = g.filter(pl.col("selected")), g.filter(pl.col("is_control"))
        n_t, n_c = t.height, c.height
        k_t, k_c = int(t["churned"].sum()), int(c["churned"].sum())
        ci = difference_interval(k_c, n_c, k_t, n_t)
        p_c = k_c / n_c if n_c else None
        p_t = k_t / n_t if n_t else None
        rows.append(
            {
                "action": name,
                "treated": n_t,
                "treated_churned": k_t,
                "treated_churn_rate": p_t,
                "control": n_c,
                "control_churned": k_c,
                "control_churn_rate": p_c,
                "difference": ci[0] if ci else None,
                "difference_low": ci[1] if ci else None,
                "difference_high": ci[2] if ci else None,
                "observed_save_rate": 1 - p_t / p_c if p_c and p_t is not None else None,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)
