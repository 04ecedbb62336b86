"""The feature catalogue: every column of ``gold_features`` with its tier, kind, model use, the
predecessor's name and its business meaning; and the experiment feature lists E0–E8.

Not a Hamilton node module: the modeling layer and docs read these constants. ``docs/features.md`` is
generated from it (see ``REGENERATE``); a test keeps the two in step.
"""

from dataclasses import dataclass

REGENERATE = (
    "uv run python -c 'from dataflow.gold.catalog import render_markdown as r; print(r(), end=\"\")' "
    "> docs/features.md"
)


@dataclass(frozen=True)
class Feature:
    name: str
    tier: str  # key | label | lifecycle | market_core | market_risk | behavioral | sentiment | compound | strings
    kind: str  # numeric | binary | categorical | string | key
    model_use: bool  # False: identifiers, labels and business-only columns (margins, totals)
    predecessor: str  # the predecessor's column name ("" when new)
    meaning: str
    uses_sentiment: bool = False  # derived from interaction sentiment (excluded by the E8 ablation)


N, B, C, S = "numeric", "binary", "categorical", "string"
# fmt: off
_ROWS = [
    # key and label columns (from snapshots)
    ("customer_id", "key", "key", False, "customer_id", "Customer identifier."),
    ("as_of_date", "key", "key", False, "", "Snapshot date: features use only data strictly before it."),
    ("horizon_days", "label", N, False, "", "Label horizon: churn counted in [as_of_date, as_of_date + horizon)."),
    ("churned_within_horizon", "label", B, False, "churn", "Target: contract ended within the horizon (null when scoring)."),
    ("is_scoring", "label", B, False, "", "Row belongs to the scoring snapshot (to be scored, label unknown)."),
    # Tier 1A — lifecycle
    ("months_to_renewal", "lifecycle", N, True, "months_to_renewal", "Months until the contract renews as of the snapshot (negative: expired)."),
    ("renewal_bucket", "lifecycle", C, True, "renewal_bucket", "Renewal window: expired, 0-3m, 3-6m, 6-12m, 12m+."),
    ("is_within_3m_of_renewal", "lifecycle", B, True, "is_within_3m_of_renewal", "Renewal is 0–3 months away: the main churn window."),
    ("tenure_months", "lifecycle", N, True, "tenure_months", "Months since the customer's first activation."),
    ("tenure_bucket", "lifecycle", C, True, "tenure_bucket", "Tenure band: 0-6m, 6-12m, 1-2y, 2-5y, 5y+."),
    ("is_expired_contract", "lifecycle", B, True, "is_expired_contract", "Renewal date already reached: the contract runs on without renewal."),
    ("segment", "lifecycle", C, True, "segment", "Residential, SME or Corporate."),
    ("sales_channel", "lifecycle", C, True, "sales_channel", "Channel through which the customer was acquired."),
    ("is_high_competition_province", "lifecycle", B, True, "is_high_competition_province", "Customer lives in a province where rivals compete hard."),
    ("is_second_residence", "lifecycle", B, True, "is_second_residence", "Supply point is a second home."),
    ("is_dual_fuel", "lifecycle", B, True, "is_dual_fuel", "Buys both electricity and gas (both > 0 in the last 12 months)."),
    ("portfolio_type", "lifecycle", C, True, "portfolio_type", "Segment × single/dual fuel, e.g. Residential_DualFuel."),
    ("is_digital_channel", "lifecycle", B, True, "is_digital_channel", "Acquired online (comparison website or own website)."),
    ("is_comparison_channel", "lifecycle", B, True, "is_comparison_channel", "Acquired through a price-comparison website (a price shopper)."),
    ("is_own_website_channel", "lifecycle", B, True, "is_own_website_channel", "Acquired through our own website."),
    # MP_Core — market core
    ("avg_monthly_elec_kwh_12m", "market_core", N, True, "avg_monthly_elec_kwh", "Average monthly electricity use over the last 12 months."),
    ("avg_monthly_gas_m3_12m", "market_core", N, True, "avg_monthly_gas_m3", "Average monthly gas use over the last 12 months."),
    ("gas_share_of_revenue_12m", "market_core", N, True, "gas_share_of_revenue", "Share of the customer's revenue that comes from gas."),
    ("province_avg_elec_cost_12m", "market_core", N, True, "province_avg_elec_cost_2024", "Average wholesale electricity cost in the customer's province."),
    ("province_avg_gas_cost_12m", "market_core", N, True, "province_avg_gas_cost_2024", "Average wholesale gas cost in the customer's province."),
    ("price_change_count_12m", "market_core", N, True, "price_update_count", "How many times the customer's electricity price changed in 12 months."),
    ("total_elec_kwh_12m", "market_core", N, False, "total_elec_kwh_2024", "Electricity sold to the customer in the last 12 months (business only)."),
    ("total_gas_m3_12m", "market_core", N, False, "total_gas_m3_2024", "Gas sold to the customer in the last 12 months (business only)."),
    ("avg_monthly_margin_12m", "market_core", N, False, "avg_monthly_margin", "Average monthly margin the customer earns us (business only)."),
    ("total_margin_12m", "market_core", N, False, "total_margin_2024", "Margin earned on the customer in the last 12 months (business only)."),
    ("months_observed_12m", "market_core", N, False, "active_months_count", "Months with readings in the window (business only; was constant 12)."),
    # MP_Risk — market risk
    ("std_monthly_elec_kwh_12m", "market_risk", N, True, "std_monthly_elec_kwh", "Month-to-month variability of electricity use."),
    ("std_monthly_gas_m3_12m", "market_risk", N, True, "std_monthly_gas_m3", "Month-to-month variability of gas use."),
    ("std_margin_12m", "market_risk", N, True, "std_margin", "Month-to-month variability of the margin."),
    ("min_monthly_margin_12m", "market_risk", N, True, "min_monthly_margin", "Worst monthly margin in the last 12 months."),
    ("negative_margin_months_12m", "market_risk", N, True, "max_negative_margin", "Months in which the customer cost more than they paid."),
    ("elec_price_trend_12m", "market_risk", N, True, "elec_price_trend_12m", "Relative change of the customer's peak electricity price over 12 months."),
    ("elec_price_volatility_12m", "market_risk", N, True, "elec_price_volatility_12m", "Variability of the customer's peak electricity price."),
    ("province_elec_cost_trend_12m", "market_risk", N, True, "province_elec_cost_trend", "Relative change of the province's wholesale electricity cost."),
    ("elec_price_vs_province_cost_spread", "market_risk", N, True, "elec_price_vs_province_cost_spread", "Latest peak price minus the province's average cost: how rich the tariff is."),
    ("is_price_increase", "market_risk", B, True, "is_price_increase", "The customer's electricity price went up over the last 12 months."),
    ("rolling_margin_trend_3m", "market_risk", N, True, "rolling_margin_trend", "Margin of the last 3 months minus the 3 before: account getting better or worse."),
    # Tier 2A — behavioral
    ("has_interaction", "behavioral", B, True, "has_interaction", "The customer has contacted us before the snapshot."),
    ("interaction_count_12m", "behavioral", N, True, "", "Number of contacts in the last 12 months."),
    ("customer_intent", "behavioral", C, True, "customer_intent", "Why the customer last contacted us (No interaction when never)."),
    ("recent_complaint_flag", "behavioral", B, True, "recent_complaint_flag", "Latest contact was a complaint or a cancellation request."),
    ("interaction_within_3m_of_renewal", "behavioral", B, True, "interaction_within_3m_of_renewal", "Latest contact came within 3 months before the renewal."),
    ("is_interaction_within_30d_of_renewal", "behavioral", B, True, "is_interaction_within_30d_of_renewal", "Latest contact came within a month before the renewal."),
    ("complaint_near_renewal", "behavioral", B, True, "complaint_near_renewal", "A complaint or cancellation request shortly before the renewal."),
    ("is_cancellation_intent", "behavioral", B, True, "is_cancellation_intent", "Latest contact asked to cancel or switch."),
    ("is_complaint_intent", "behavioral", B, True, "is_complaint_intent", "Latest contact was a complaint."),
    ("intent_severity_score", "behavioral", N, True, "intent_severity_score", "Severity of the latest intent: cancel 3, complaint 2, pricing 1, else 0."),
    ("last_interaction_days_ago", "behavioral", N, True, "last_interaction_days_ago", "Days since the latest contact (null when never)."),
    ("months_since_last_change", "behavioral", N, False, "months_since_last_change", "Months since the latest product change; not a model input: a later change overwrites it."),
    ("contact_history_days", "behavioral", N, False, "", "Days of contact history the extract holds before the snapshot (training skips short ones)."),
    # Tier 2B — sentiment
    ("sentiment_label", "sentiment", C, True, "sentiment_label", "Tone of the latest contact: negative, neutral, positive (No interaction)."),
    ("sentiment_compound", "sentiment", N, True, "", "Compound tone score of the latest contact, −1 to 1 (null when none)."),
    ("is_negative_sentiment", "sentiment", B, True, "is_negative_sentiment", "The latest contact was negative in tone."),
    ("complaint_x_negative_sentiment", "sentiment", B, True, "complaint_x_negative_sentiment", "An angry complaint or cancellation request."),
    ("negative_contact_count", "sentiment", N, True, "", "Negative contacts before the snapshot (complaint or cancellation request, or negative tone)."),
    ("negative_contact_share", "sentiment", N, True, "", "Share of all earlier contacts that were negative (null when none)."),
    ("most_negative_compound", "sentiment", N, True, "", "Lowest tone score of any earlier contact, −1 to 1 (null when none)."),
    ("days_since_negative_contact", "sentiment", N, True, "", "Days since the latest negative contact (null when none)."),
    ("cancellation_intent_ever", "sentiment", B, True, "", "The customer has asked to cancel or switch at some point before the snapshot."),
    # Tier 3 — compound
    ("is_price_sensitive", "compound", B, True, "is_price_sensitive", "Latest contact was about prices or offers."),
    ("is_high_risk_lifecycle", "compound", B, True, "is_high_risk_lifecycle", "First-year customer whose renewal is expired or within 3 months."),
    ("is_competition_x_renewal", "compound", B, True, "is_competition_x_renewal", "Competitive province and within 3 months of renewal."),
    ("dual_fuel_x_renewal", "compound", B, True, "dual_fuel_x_renewal", "Dual-fuel customer within 3 months of renewal."),
    ("dual_fuel_x_competition", "compound", B, True, "dual_fuel_x_competition", "Dual-fuel customer in a competitive province."),
    ("dual_fuel_x_intent", "compound", B, True, "dual_fuel_x_intent", "Dual-fuel customer whose latest contact was a complaint or cancellation."),
    # Tier 1B — strings (linear models only)
    ("intent_x_renewal_bucket", "strings", S, True, "intent_x_renewal_bucket", "Latest intent × renewal window."),
    ("intent_x_tenure_bucket", "strings", S, True, "intent_x_tenure_bucket", "Latest intent × tenure band."),
    ("intent_x_sentiment", "strings", S, True, "intent_x_sentiment", "Latest intent × its tone."),
    ("sentiment_x_renewal_bucket", "strings", S, True, "sentiment_x_renewal_bucket", "Tone of the latest contact × renewal window."),
    ("tenure_x_renewal_bucket", "strings", S, True, "tenure_x_renewal_bucket", "Tenure band × renewal window."),
    ("sales_channel_x_renewal_bucket", "strings", S, True, "sales_channel_x_renewal_bucket", "Acquisition channel × renewal window."),
    ("has_interaction_x_renewal_bucket", "strings", S, True, "has_interaction_x_renewal_bucket", "Contacted us (0/1) × renewal window."),
    ("competition_x_intent", "strings", S, True, "competition_x_intent", "Competitive province (0/1) × latest intent."),
]
# fmt: on
_SENTIMENT_STRINGS = {"intent_x_sentiment", "sentiment_x_renewal_bucket"}

FEATURES: tuple[Feature, ...] = tuple(
    Feature(*row, uses_sentiment=row[1] == "sentiment" or row[0] in _SENTIMENT_STRINGS) for row in _ROWS
)
BY_NAME = {f.name: f for f in FEATURES}
GOLD_COLUMNS = tuple(f.name for f in FEATURES)

# predecessor features deliberately not reproduced (predecessor §11 item 6)
DROPPED = {
    "active_months_count": "always 12; kept only as the business column months_observed_12m",
    "gas_price_trend_12m": "always 0 or null (gas price constant within a customer)",
}

TIER_ORDER = ("lifecycle", "market_core", "market_risk", "behavioral", "sentiment", "compound", "strings")


def tier_features(tier: str) -> list[str]:
    """Model features of one tier, in catalogue order."""
    return [f.name for f in FEATURES if f.tier == tier and f.model_use]


def _cumulative(n_tiers: int) -> list[str]:
    return [name for tier in TIER_ORDER[:n_tiers] for name in tier_features(tier)]


EXPERIMENT_NAMES = {
    "E0": "E0_lifecycle",
    "E1": "E1_plus_market_core",
    "E2": "E2_plus_market_risk",
    "E3": "E3_plus_behavioral",
    "E4": "E4_plus_sentiment",
    "E5": "E5_plus_compound",
    "E6": "E6_plus_strings",
    "E7": "E7_full",
    "E8": "E8_ablation_no_sentiment",
}


def _experiments() -> dict[str, dict[str, list[str]]]:
    linear = {f"E{i}": _cumulative(i + 1) for i in range(7)}
    linear["E7"] = list(linear["E6"])  # the full feature set (identical to E6, as in the predecessor)
    linear["E8"] = [n for n in linear["E7"] if not BY_NAME[n].uses_sentiment]
    return {
        exp: {"linear": names, "tree": [n for n in names if BY_NAME[n].kind != S]}
        for exp, names in linear.items()
    }


# EXPERIMENTS["E5"]["tree"] -> the model features of experiment E5 for tree models (no string crosses)
EXPERIMENTS: dict[str, dict[str, list[str]]] = _experiments()


def experiment_features(experiment: str, variant: str) -> list[str]:
    """Feature list of an experiment ("E0"…"E8" or its long name) for "linear" or "tree" models."""
    key = experiment.split("_", 1)[0]
    return list(EXPERIMENTS[key][variant])


def render_markdown() -> str:
    """docs/features.md: the catalogue as a table, plus the experiment feature counts."""
    lines = [
        "# Gold features",
        "",
        f"Generated from `dataflow/gold/catalog.py`: `{REGENERATE}`.",
        "One row per gold column. Features use only data strictly before `as_of_date`; `12m` = the 12 complete",
        "months before it; months = days / 30.44. `model_use` = no marks business-only or key/label columns.",
        "Kinds: binary = Int8 0/1; categorical = text; string = a text cross stored as a Polars categorical.",
        "",
        "| column | tier | kind | model_use | predecessor | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for f in FEATURES:
        use = "yes" if f.model_use else "no"
        pred = f"`{f.predecessor}`" if f.predecessor else "(new)"
        lines.append(f"| `{f.name}` | {f.tier} | {f.kind} | {use} | {pred} | {f.meaning} |")
    lines += ["", "Predecessor features not reproduced:", ""]
    lines += [f"- `{name}`: {why}" for name, why in DROPPED.items()]
    lines += ["", "## Experiments", "", "| experiment | linear | tree |", "|---|---|---|"]
    for key, long_name in EXPERIMENT_NAMES.items():
        lines.append(f"| {long_name} | {len(EXPERIMENTS[key]['linear'])} | {len(EXPERIMENTS[key]['tree'])} |")
    lines += [
        "",
        "Cumulative by tier (E0 lifecycle … E6 strings); E7 = E6; tree variants drop the string crosses;",
        "E8 = E7 minus the sentiment tier and minus the string crosses built from sentiment.",
        "",
    ]
    return "\n".join(lines)
