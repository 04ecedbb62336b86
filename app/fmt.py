"""The dashboard's one formatting layer: plain labels for every code, column and feature, and the number formats
(thousands separators, € and %, dates). Pages never show a raw code, "None" or a snake_case name.

Feature labels come from the feature catalogue (``dataflow.gold.catalog``): a short label here, the catalogue's
meaning as the explanation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import polars as pl

from dataflow.gold.catalog import BY_NAME

DASH = "—"

# ---- numbers ----------------------------------------------------------------------------------------------


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def count(n: int | float | None) -> str:
    """A whole number with thousands separators: 19,640."""
    return DASH if _missing(n) else f"{int(round(n)):,}"


def eur(x: float | None, decimals: int = 0) -> str:
    """Euros with thousands separators: €930,128 (−€12 for a loss)."""
    if _missing(x):
        return DASH
    return f"-€{abs(x):,.{decimals}f}" if x < 0 else f"€{x:,.{decimals}f}"


def pct(x: float | None, decimals: int = 1) -> str:
    """A share as a percentage: 12.3%."""
    return DASH if _missing(x) else f"{x:.{decimals}%}"


def pp(x: float | None, decimals: int = 1) -> str:
    """A difference of two rates in percentage points: +3.2 pp."""
    return DASH if _missing(x) else f"{x * 100:+.{decimals}f} pp"


def num(x: float | None, decimals: int = 3) -> str:
    """A plain decimal number: 0.742."""
    return DASH if _missing(x) else f"{x:,.{decimals}f}"


def sig(x: float | None) -> str:
    """A measurement with about three significant digits, never in scientific notation: 1,234 · 12.3 · 0.0612."""
    if _missing(x):
        return DASH
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:,.2f}"
    if a < 0.0005:
        return "0"
    decimals = min(6, 2 - math.floor(math.log10(a)))
    return f"{x:.{decimals}f}"


def pvalue(p: float | None) -> str:
    """A p-value without scientific notation: "< 0.001" or 0.042."""
    if _missing(p):
        return DASH
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def date(d) -> str:
    """A date as YYYY-MM-DD (accepts dates, datetimes and ISO strings)."""
    if _missing(d) or d == "":
        return DASH
    if isinstance(d, dt.datetime | dt.date):
        return d.strftime("%Y-%m-%d")
    return str(d)[:10]


def when(ts) -> str:
    """An ISO UTC timestamp as 'YYYY-MM-DD HH:MM'."""
    if _missing(ts) or ts == "":
        return DASH
    return str(ts).replace("T", " ")[:16]


def text(x) -> str:
    """Any value as text, a dash for a missing one."""
    return DASH if _missing(x) or x == "" else str(x)


# ---- codes ------------------------------------------------------------------------------------------------
ACTION_LABELS = {
    "offer_large": "Large retention offer",
    "offer_medium": "Medium retention offer",
    "offer_small": "Small retention offer",
    "no_offer": "No offer (monitor)",
}
TIMING_LABELS = {
    "immediate": "Call now",
    "30_60_days": "Call in 30–60 days",
    "60_90_days": "Review in 60–90 days",
}
REASON_LABELS = {
    "consumption": "Consumption pattern",
    "no_strong_driver": "No single strong driver",
    "tenure": "Short tenure",
    "renewal_timing": "Renewal coming up",
    "price_changes": "Frequent price changes",
    "recent_contact": "Recent contact",
    "market_cost": "Market cost in the province",
    "sales_channel": "Acquisition channel",
    "expensive_tariff": "Tariff above market cost",
    "unstable_margin": "Unstable margin",
    "complaint": "Complaint",
    "price_rise": "Price rise",
    "product_change": "Product change",
    "unstable_consumption": "Unstable consumption",
    "loss_months": "Loss-making months",
    "price_volatility": "Price volatility",
    "competition_at_renewal": "Competition at renewal",
    "negative_sentiment": "Negative sentiment",
    "recent_negative_contact": "Recent negative contact",
    "negative_contacts": "Negative contacts",
    "angry_complaint": "Angry complaint",
    "cancellation_request": "Asked to cancel or switch",
    "competition": "High-competition province",
    "complaint_near_renewal": "Complaint near renewal",
    "contact": "Contact history",
    "contact_near_renewal": "Contact near renewal",
    "contract_expired": "Contract past renewal date",
    "dual_fuel_at_renewal": "Dual fuel at renewal",
    "dual_fuel_competition": "Dual fuel, competitive province",
    "dual_fuel_complaint": "Dual fuel, complaint",
    "fuel_mix": "Fuel mix",
    "gas_consumption": "Gas consumption",
    "intent": "Reason for contact",
    "margin_trend": "Margin trend",
    "new_customer_at_renewal": "First-year customer at renewal",
    "price_sensitive": "Price enquiry",
    "price_shopper": "Came via a comparison site",
    "second_residence": "Second home",
    "segment": "Customer segment",
}
STATUS_LABELS = {
    "published": "Published",
    "failed": "Failed",
    "running": "Running",
    "skipped": "Skipped",
    "promoted": "Promoted",
    "rejected": "Rejected",
    "pass": "Pass",
    "fail": "Fail",
    "warn": "Warning",
    "within_budget": "Within budget",
    "failed_quality_gate": "Failed a quality gate",
}
KIND_LABELS = {"input": "Model input", "prediction": "Prediction"}
MODEL_LABELS = {"xgboost": "XGBoost", "logistic": "Logistic regression", "random_forest": "Random forest"}


def words(code) -> str:
    """A snake_case code in plain words (first letter capital)."""
    if _missing(code) or code == "":
        return DASH
    return str(code).replace("_", " ").strip().capitalize() or DASH


def action(code) -> str:
    return DASH if _missing(code) else ACTION_LABELS.get(code, words(code))


def action_short(code) -> str:
    """An action in a narrow table column: "Large offer"."""
    return action(code).replace(" retention offer", " offer")


def timing(code) -> str:
    return DASH if _missing(code) else TIMING_LABELS.get(code, words(code))


def reason(code) -> str:
    return DASH if _missing(code) else REASON_LABELS.get(code, words(code))


def status(code) -> str:
    return DASH if _missing(code) else STATUS_LABELS.get(str(code), words(code))


def yes_no(flag) -> str:
    return DASH if _missing(flag) else ("Yes" if flag else "No")


def model_name(experiment: str | None, model: str | None) -> str:
    """ "Feature set E5, XGBoost" rather than "E5 · xgboost"."""
    m = MODEL_LABELS.get(model or "", words(model)) if model else DASH
    return f"{m} on feature set {experiment}" if experiment else m


def experiment(code) -> str:
    """An experiment of the ladder in words: "E1_plus_market_core" → "E1: + market core"."""
    if _missing(code) or code == "":
        return DASH
    head, _, rest = str(code).partition("_")
    rest = rest.replace("ablation_no_", "full without ").replace("plus_", "+ ").replace("_", " ")
    return f"{head}: {rest}" if rest else head


# ---- features and columns ------------------------------------------------------------------------------
FEATURE_LABELS = {
    "customer_id": "Customer",
    "as_of_date": "Snapshot date",
    "horizon_days": "Label horizon (days)",
    "churned_within_horizon": "Churned",
    "is_scoring": "Scoring snapshot",
    "months_to_renewal": "Months to renewal",
    "renewal_bucket": "Renewal window",
    "is_within_3m_of_renewal": "Renewal within 3 months",
    "tenure_months": "Tenure (months)",
    "tenure_bucket": "Tenure band",
    "is_expired_contract": "Contract expired",
    "segment": "Segment",
    "sales_channel": "Sales channel",
    "is_high_competition_province": "High-competition province",
    "is_second_residence": "Second residence",
    "is_dual_fuel": "Dual fuel",
    "portfolio_type": "Portfolio type",
    "is_digital_channel": "Digital channel",
    "is_comparison_channel": "Comparison-site channel",
    "is_own_website_channel": "Own-website channel",
    "avg_monthly_elec_kwh_12m": "Electricity use (kWh/month)",
    "avg_monthly_gas_m3_12m": "Gas use (m³/month)",
    "gas_share_of_revenue_12m": "Gas share of revenue",
    "province_avg_elec_cost_12m": "Province electricity cost",
    "province_avg_gas_cost_12m": "Province gas cost",
    "price_change_count_12m": "Price changes (12 months)",
    "total_elec_kwh_12m": "Electricity sold (kWh, 12 months)",
    "total_gas_m3_12m": "Gas sold (m³, 12 months)",
    "avg_monthly_margin_12m": "Monthly margin (€)",
    "total_margin_12m": "Margin (€, 12 months)",
    "months_observed_12m": "Months observed",
    "std_monthly_elec_kwh_12m": "Electricity use variability",
    "std_monthly_gas_m3_12m": "Gas use variability",
    "std_margin_12m": "Margin variability",
    "min_monthly_margin_12m": "Lowest monthly margin (€)",
    "negative_margin_months_12m": "Loss-making months",
    "elec_price_trend_12m": "Electricity price trend",
    "elec_price_volatility_12m": "Electricity price volatility",
    "province_elec_cost_trend_12m": "Province cost trend",
    "elec_price_vs_province_cost_spread": "Price above province cost",
    "is_price_increase": "Recent price increase",
    "rolling_margin_trend_3m": "Margin trend (3 months)",
    "has_interaction": "Contacted us",
    "interaction_count_12m": "Contacts (12 months)",
    "customer_intent": "Intent of last contact",
    "recent_complaint_flag": "Recent complaint",
    "interaction_within_3m_of_renewal": "Contact near renewal",
    "is_interaction_within_30d_of_renewal": "Contact within 30 days of renewal",
    "complaint_near_renewal": "Complaint near renewal",
    "is_cancellation_intent": "Cancellation intent",
    "is_complaint_intent": "Complaint intent",
    "intent_severity_score": "Intent severity",
    "last_interaction_days_ago": "Days since last contact",
    "months_since_last_change": "Months since product change",
    "sentiment_label": "Sentiment of last contact",
    "sentiment_compound": "Sentiment score",
    "is_negative_sentiment": "Negative sentiment",
    "complaint_x_negative_sentiment": "Complaint with negative sentiment",
    "is_price_sensitive": "Price sensitive",
    "is_high_risk_lifecycle": "High-risk lifecycle",
    "is_competition_x_renewal": "Competition × renewal",
    "dual_fuel_x_renewal": "Dual fuel × renewal",
    "dual_fuel_x_competition": "Dual fuel × competition",
    "dual_fuel_x_intent": "Dual fuel × intent",
    "intent_x_renewal_bucket": "Intent × renewal window",
    "intent_x_tenure_bucket": "Intent × tenure band",
    "intent_x_sentiment": "Intent × sentiment",
    "sentiment_x_renewal_bucket": "Sentiment × renewal window",
    "tenure_x_renewal_bucket": "Tenure × renewal window",
    "sales_channel_x_renewal_bucket": "Channel × renewal window",
    "has_interaction_x_renewal_bucket": "Contact × renewal window",
    "competition_x_intent": "Competition × intent",
    "churn_proba": "Churn probability",
}
COLUMN_LABELS = {
    "risk_tier": "Risk tier",
    "churn_proba": "Churn probability",
    "churn_pred": "Above threshold",
    "expected_monthly_loss": "Margin at risk (€/month)",
    "action": "Action",
    "timing_window": "When",
    "offer_share_of_margin": "Offer (share of margin)",
    "offer_cost_eur": "Offer cost, 12 months (€)",
    "save_rate": "Assumed save rate",
    "expected_net_value_eur": "Expected net value (€)",
    "selected": "Offer selected",
    "is_control": "Control group",
    "reason_text_1": "Main reason",
    "reason_text_2": "Second reason",
    "reason_text_3": "Third reason",
    "reason_1": "Main reason",
    "reason_2": "Second reason",
    "reason_3": "Third reason",
    "model_run_id": "Model run",
    "run_id": "Run",
    "feature": "Feature",
    "kind": "Kind",
    "psi": "PSI",
    "ks_statistic": "KS statistic",
    "ks_pvalue": "KS p-value",
    "drifted": "Drifted",
    "reference_n": "Reference rows",
    "current_n": "Current rows",
    "customers": "Customers",
    "n": "Customers",
    "month": "Month",
}


def feature(name) -> str:
    """The plain label of a gold feature (or any column)."""
    if _missing(name) or name == "":
        return DASH
    return FEATURE_LABELS.get(name) or COLUMN_LABELS.get(name) or words(name)


def meaning(name: str) -> str:
    """What a feature means, from the feature catalogue ("" when it is not a catalogued feature)."""
    f = BY_NAME.get(name)
    return f.meaning if f else ""


def column(name: str) -> str:
    """The header of a table column."""
    return COLUMN_LABELS.get(name) or FEATURE_LABELS.get(name) or words(name)


def value(name: str, v) -> str:
    """A cell of a column in words: codes translated, booleans Yes/No, numbers with separators."""
    if _missing(v):
        return DASH
    if name == "action":
        return action(v)
    if name == "timing_window":
        return timing(v)
    if name.startswith("reason_") and not name.startswith("reason_text"):
        return reason(v)
    if isinstance(v, bool):
        return yes_no(v)
    f = BY_NAME.get(name)
    binary = (f is not None and f.kind == "binary") or name.startswith(("is_", "has_"))
    if binary and not isinstance(v, str) and v in (0, 1):
        return yes_no(bool(v))
    if isinstance(v, int):
        return count(v)
    if isinstance(v, float):
        return num(v, 2)
    if isinstance(v, dt.date):
        return date(v)
    if isinstance(v, str) and f is not None and f.kind in ("categorical", "string"):
        return category(name, v)
    return words(v) if isinstance(v, str) and "_" in v and " " not in v and v.islower() else str(v)


# band codes of the lifecycle tier (renewal window, tenure) in words
BANDS = {
    "expired": "expired",
    "0-3m": "0–3 months",
    "3-6m": "3–6 months",
    "6-12m": "6–12 months",
    "12m+": "over 12 months",
    "0-6m": "0–6 months",
    "1-2y": "1–2 years",
    "2-5y": "2–5 years",
    "5y+": "over 5 years",
}
_FUEL = {"SingleFuel": "single fuel", "DualFuel": "dual fuel"}


def _category_part(side: str | None, text: str) -> str:
    """One side of a category code: a band, a 0/1 flag named by its feature, a snake_case code, or as written."""
    if text in BANDS:
        return BANDS[text]
    if text in _FUEL:
        return _FUEL[text]
    side_feature = BY_NAME.get(side or "")
    if text in ("0", "1") and side_feature is not None and side_feature.kind == "binary":
        return f"{feature(side).lower()}: {'yes' if text == '1' else 'no'}"
    if text == "Unknown":
        return "unknown"
    return text.replace("_", " ") if text.islower() else text


def category(name: str, code: str) -> str:
    """A category or string-cross value in words: '0-3m' → '0–3 months', 'complaint_x_0-3m' → 'complaint ×
    0–3 months', 'SME_SingleFuel' → 'SME, single fuel', '1_x_cancellation' → 'high competition province: yes ×
    cancellation'."""
    from dataflow.gold.tier_strings import CROSSES

    sides = {cross: (left, right) for cross, left, right in CROSSES}
    if name in sides and "_x_" in code:
        left, right = code.split("_x_", 1)
        text = f"{_category_part(sides[name][0], left)} × {_category_part(sides[name][1], right)}"
    elif name == "portfolio_type" and "_" in code:
        segment, fuel = code.rsplit("_", 1)
        text = f"{_category_part(None, segment)}, {_category_part(None, fuel)}"
    else:
        text = _category_part(None, code)
    return text[:1].upper() + text[1:]


CODE_COLUMNS = {"action": action, "timing_window": timing, "reason_1": reason, "reason_2": reason}
CODE_COLUMNS["reason_3"] = reason


def by_format(spec: str | None, integer: bool) -> Callable[[object], str]:
    """A formatter matching a table column's number format ("percent", "euro", "localized", printf), used for a
    number column that has missing cells (shown as text, with a dash for the missing ones)."""
    if spec == "percent":
        return lambda v: pct(v, 2)
    if spec in ("euro", "dollar"):
        return lambda v: eur(v, 2)
    if spec and "%" in spec:  # printf-style, e.g. "%.3f" or "€%.2f"
        return lambda v: spec % v
    return (lambda v: count(v)) if integer else (lambda v: num(v, 3))


def readable(df: pl.DataFrame, formats: dict[str, str | None] | None = None) -> pl.DataFrame:
    """A table for display: codes as labels, missing text as a dash, a number column with missing cells as text
    in its column format with a dash for them (booleans stay booleans: the table draws them as ticks)."""
    formats = formats or {}
    out = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if name in CODE_COLUMNS:
            fn = CODE_COLUMNS[name]
            out.append(col.map_elements(fn, return_dtype=pl.String, skip_nulls=False))
        elif dtype == pl.String:
            out.append(col.fill_null(DASH).replace("", DASH))
        elif dtype.is_numeric() and df[name].null_count():
            f = by_format(formats.get(name), dtype.is_integer())
            out.append(
                col.map_elements(
                    lambda v, f=f: DASH if _missing(v) else f(v), return_dtype=pl.String, skip_nulls=False
                )
            )
        else:
            out.append(col)
    return df.select([e.alias(n) for e, n in zip(out, df.columns, strict=True)])
