"""The data-quality checks of every layer, in one place. Add a layer's checks to its list (gold: GOLD_CHECKS).

Severity: ``gate`` stops publication, ``warn`` is reported only. Null-rate limits carry a business
exception whenever nulls are expected, so the report says why they are normal.

Error budgets (docs/raw_contract.md): every row-counting gate gets :data:`DEFAULT_BUDGET` — it fails only when
more than 1% of the table's rows *and* more than 10 rows are affected; below that the run publishes and the
problem is reported as a warning. The quarantine checks apply the same budget to each raw file: customers set
aside in the master data (attributes or contracts, whatever the fault) and, in every other file, rows set
aside for a fault of their own (orphans of a set-aside customer are charged to the customer, not again).
Override per check with ``PipelineConfig.quality_budgets``.
"""

from __future__ import annotations

from dataclasses import replace

from dataflow.contract import INTERACTION_CHANNELS, PROVINCE_CODES, SALES_CHANNELS
from dataflow.monitor.quality import Budget, Check

NO_PRODUCT_CHANGE = (
    "about 30% of customers never changed product, so last_product_change_date is empty for them"
)
ELECTRICITY_ONLY = "electricity-only customers (about 80%) have no gas prices or fees"
SENTIMENT_LABELS = ("negative", "neutral", "positive")
DEFAULT_BUDGET = Budget(max_share=0.01, max_rows=10)


def _key(table: str, *cols: str) -> Check:
    return Check(table, f"{'+'.join(cols)} unique", "unique_key", cols)


def _filled(table: str, *cols: str, severity: str = "gate") -> Check:
    return Check(table, f"{', '.join(cols)} filled", "not_null", cols, severity=severity)


def _known_customer(table: str, parent: str) -> Check:
    return Check(table, f"customer_id in {parent}", "relationship", ("customer_id",), {"to_table": parent})


A, C, P, K, IX, L = (
    "raw_customer_attributes",
    "raw_customer_contracts",
    "raw_price_history",
    "raw_costs_by_province_month",
    "raw_customer_interactions",
    "raw_churn_label",
)
# customers set aside, for a bad attribute row or a bad or missing contract row (exact duplicate rows do not count)
RAW_QUARANTINE_CHECKS: list[Check] = [
    Check(
        "quarantined_customers",
        "customers set aside",
        "quarantined",
        ("customer_id",),
        {"dataset": "customer_attributes", "kept": "raw_customer_attributes"},
        budget=DEFAULT_BUDGET,
    ),
    *(
        Check(
            "raw_reconciliation",
            f"{d} rows set aside",
            "quarantined",
            ("rows_quarantined",),
            {"dataset": d, "own_faults": True},
            budget=DEFAULT_BUDGET,
        )
        for d in (  # a contract row's fault costs its customer: charged to "customers set aside"
            "price_history",
            "costs_by_province_month",
            "customer_interactions",
            "churn_label",
        )
    ),
]
RAW_CHECKS: list[Check] = [
    *RAW_QUARANTINE_CHECKS,
    _key(A, "customer_id"),
    _filled(
        A,
        "customer_id",
        "contracted_power_kw",
        "province_code",
        "is_industrial",
        "is_second_residence",
        "is_high_competition_province",
        "is_urban",
    ),
    Check(
        A,
        "province_code has costs",
        "relationship",
        ("province_code",),
        {"to_table": K, "to_column": "province"},
    ),
    Check(
        A,
        "sales_channel is a known code",
        "accepted_values",
        ("sales_channel",),
        {"values": SALES_CHANNELS},
        severity="warn",
        business_exception="new channel codes are kept as written; silver maps them",
    ),
    Check(
        A,
        "contracted_power_kw plausible",
        "range",
        ("contracted_power_kw",),
        {"min": 1.0, "max": 1000.0},
        severity="warn",
    ),
    Check(A, "sales_channel empty rate", "null_rate", ("sales_channel",), {"max": 0.05}, severity="warn"),
    _key(C, "customer_id"),
    _filled(C, "customer_id", "customer_first_activation_date", "contract_start_date", "next_renewal_date"),
    _known_customer(C, A),
    Check(
        C,
        "last_product_change_date empty rate",
        "null_rate",
        ("last_product_change_date",),
        {"max": 0.45},
        severity="warn",
        business_exception=NO_PRODUCT_CHANGE,
    ),
    _key(P, "customer_id", "month"),
    _filled(P, "customer_id", "pricing_date", "month"),
    _known_customer(P, A),
    Check(
        P,
        "tier-1 price empty rate",
        "null_rate",
        ("variable_price_tier1_eur_kwh",),
        {"max": 0.10},
        severity="warn",
        business_exception="a zero price in the extract means missing; silver imputes it",
    ),
    Check(
        P,
        "tier-1 price plausible",
        "range",
        ("variable_price_tier1_eur_kwh",),
        {"min": 0.0, "max": 1.0},
        severity="warn",
    ),
    Check(
        P,
        "gas price empty rate",
        "null_rate",
        ("gas_variable_price_eur_m3",),
        {"max": 0.95},
        severity="warn",
        business_exception=ELECTRICITY_ONLY,
    ),
    _key(K, "province", "month"),
    _filled(K, "month", "province", "elec_var_cost_eur_kwh", "gas_var_cost_eur_m3", "peaje_elec_eur_kwh"),
    Check(
        K,
        "province is an INE code",
        "range",
        ("province",),
        {"min": PROVINCE_CODES[0], "max": PROVINCE_CODES[1]},
    ),
    Check(
        K,
        "electricity cost plausible",
        "range",
        ("elec_var_cost_eur_kwh",),
        {"min": 0.0, "max": 1.0},
        severity="warn",
    ),
    _filled(IX, "customer_id", "date"),
    _known_customer(IX, A),
    Check(
        IX,
        "channel is a known contact channel",
        "accepted_values",
        ("channel",),
        {"values": INTERACTION_CHANNELS},
        severity="warn",
    ),
    Check(IX, "summary empty rate", "null_rate", ("interaction_summary",), {"max": 0.05}, severity="warn"),
    _key(L, "customer_id", "label_date", "horizon_days"),
    _filled(L, "customer_id", "label_date", "horizon_days", "churned_within_horizon"),
    _known_customer(L, A),
    Check(
        L, "churned_within_horizon is 0/1", "accepted_values", ("churned_within_horizon",), {"values": [0, 1]}
    ),
    Check(L, "horizon_days plausible", "range", ("horizon_days",), {"min": 1, "max": 730}, severity="warn"),
]

BCM, BC = "bronze_customer_month", "bronze_customer"
BRONZE_CHECKS: list[Check] = [
    Check(
        "consumption_reconciliation",
        "consumption rows set aside",
        "quarantined",
        ("rows_quarantined",),
        {"dataset": "consumption", "own_faults": True},
        budget=DEFAULT_BUDGET,
    ),
    _key(BCM, "customer_id", "month"),
    _filled(BCM, "customer_id", "month", "monthly_elec_kwh", "monthly_gas_m3"),
    Check(
        BCM,
        "electricity not negative",
        "range",
        ("monthly_elec_kwh",),
        {"min": 0.0},
        business_exception="negative meter readings are set to 0 (and counted) before aggregation",
    ),
    Check(BCM, "gas not negative", "range", ("monthly_gas_m3",), {"min": 0.0}),
    _known_customer(BCM, BC),
    _key(BC, "customer_id"),
    _filled(
        BC,
        "customer_id",
        "contracted_power_kw",
        "province_code",
        "customer_first_activation_date",
        "next_renewal_date",
    ),
    Check(
        BC,
        "last_product_change_date empty rate",
        "null_rate",
        ("last_product_change_date",),
        {"max": 0.45},
        severity="warn",
        business_exception=NO_PRODUCT_CHANGE,
    ),
]

SC, SCM, SI = "silver_customer", "silver_customer_month", "silver_interactions"
SILVER_CHECKS: list[Check] = [
    _key(SC, "customer_id"),
    _filled(SC, "customer_id", "segment", "sales_channel"),
    _key(SCM, "customer_id", "month"),
    _filled(SCM, "customer_id", "month"),
    _known_customer(SCM, SC),
    Check(
        SCM,
        "total_margin empty rate",
        "null_rate",
        ("total_margin",),
        {"max": 0.01},
        business_exception="prices are imputed in silver, so a margin can be missing only by exception",
    ),
    _filled(SI, "customer_id", "date"),
    _known_customer(SI, SC),
    Check(
        SI,
        "sentiment_label is lowercase negative/neutral/positive",
        "accepted_values",
        ("sentiment_label",),
        {"values": SENTIMENT_LABELS},
    ),
    _filled(SI, "customer_intent", "sentiment_label", severity="warn"),
]

GOLD_CHECKS: list[Check] = []  # the gold owners add theirs here (e.g. null sentiment when no interaction)


def _budgeted(checks: list[Check]) -> list[Check]:
    """Every row-counting gate without a budget of its own gets the default one (null rates are shares already)."""
    return [
        replace(c, budget=DEFAULT_BUDGET)
        if c.severity == "gate" and c.budget is None and c.kind != "null_rate"
        else c
        for c in checks
    ]


RAW_CHECKS, BRONZE_CHECKS, SILVER_CHECKS = map(_budgeted, (RAW_CHECKS, BRONZE_CHECKS, SILVER_CHECKS))

CHECKS_BY_LAYER: dict[str, list[Check]] = {
    "raw": RAW_CHECKS,
    "bronze": BRONZE_CHECKS,
    "silver": SILVER_CHECKS,
    "gold": GOLD_CHECKS,
}
