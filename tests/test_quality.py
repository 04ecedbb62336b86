"""Data-quality checks on hand-made frames: each kind passes, fails with an example, or is skipped."""

from __future__ import annotations

import datetime

import polars as pl
import pytest
from bad_inputs import make_raw_lake, run_raw

from dataflow.errors import QualityGateError
from dataflow.monitor.checks import CHECKS_BY_LAYER, NO_PRODUCT_CHANGE, RAW_CHECKS
from dataflow.monitor.quality import Check, enforce_gates, gate_failures, run_checks

D = datetime.date
CUSTOMERS = pl.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C3"],
        "segment": ["Residential", None, "SME", "SME"],
        "power": [4.6, 3.45, 200.0, 10.0],
        "channel": ["oficina", "web_propia", "fax", None],
    }
)


def one(report: pl.DataFrame, check: str) -> dict:
    rows = report.filter(pl.col("check") == check).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_duplicate_key_fails_unique_key_with_the_example_value():
    report = run_checks(
        {"silver_customer": CUSTOMERS}, [Check("silver_customer", "id unique", "unique_key", ["customer_id"])]
    )
    row = one(report, "id unique")
    assert (row["layer"], row["status"], row["failing_rows"], row["example"]) == ("silver", "fail", 2, "C3")
    assert gate_failures(report) == [
        "Quality gate failed (silver layer, check id unique): silver_customer.customer_id: 2 rows share their "
        "key with another row (e.g. C3); each key must appear once"
    ]


def test_not_null_names_the_empty_column_and_the_row():
    report = run_checks(
        {"silver_customer": CUSTOMERS},
        [Check("silver_customer", "filled", "not_null", ["customer_id", "segment"])],
    )
    row = one(report, "filled")
    assert (row["status"], row["failing_rows"], row["example"]) == ("fail", 1, "customer_id=C2")
    assert "segment empty at customer_id=C2" in row["message"]


def test_null_rate_within_its_documented_exception_passes_and_reports_why():
    contracts = pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(10)],
            "last_product_change_date": [None, None, None] + [D(2024, 1, 1)] * 7,
        }
    )
    check = next(c for c in RAW_CHECKS if c.name == "last_product_change_date empty rate")
    row = one(run_checks({"raw_customer_contracts": contracts}, [check]), check.name)
    assert (row["status"], row["observed"], row["failing_rows"]) == ("pass", 0.3, 3)
    assert row["business_exception"] == NO_PRODUCT_CHANGE and NO_PRODUCT_CHANGE in row["message"]


def test_null_rate_above_limit_is_a_warning_not_a_gate():
    check = Check("silver_customer", "channel empty", "null_rate", ["channel"], {"max": 0.1}, severity="warn")
    report = run_checks({"silver_customer": CUSTOMERS}, [check])
    row = one(report, "channel empty")
    assert (row["status"], row["observed"], row["threshold"]) == ("fail", 0.25, "<= 10.0% empty")
    assert gate_failures(report) == []
    enforce_gates(report)  # warnings never stop the run


def test_accepted_values_range_and_relationship_show_a_failing_value():
    parent = pl.DataFrame({"customer_id": ["C1", "C2"]})
    checks = [
        Check(
            "silver_customer",
            "channel known",
            "accepted_values",
            ["channel"],
            {"values": ["oficina", "web_propia"]},
        ),
        Check("silver_customer", "power plausible", "range", ["power"], {"min": 1.0, "max": 150.0}),
        Check("silver_customer", "known", "relationship", ["customer_id"], {"to_table": "bronze_customer"}),
    ]
    report = run_checks({"silver_customer": CUSTOMERS, "bronze_customer": parent}, checks)
    assert [one(report, c.name)["example"] for c in checks] == ["fax", "200.0", "C3"]
    assert [one(report, c.name)["failing_rows"] for c in checks] == [1, 1, 2]
    assert len(gate_failures(report)) == 3
    with pytest.raises(QualityGateError, match="3 data-quality gate"):
        enforce_gates(report)


def test_absent_table_or_parent_is_skipped_and_missing_column_fails():
    checks = [
        Check("gold_features", "id unique", "unique_key", ["customer_id"]),
        Check("silver_customer", "known", "relationship", ["customer_id"], {"to_table": "bronze_customer"}),
        Check("silver_customer", "margin filled", "not_null", ["total_margin"]),
    ]
    report = run_checks({"silver_customer": CUSTOMERS}, checks)
    assert report["status"].to_list() == ["skipped", "skipped", "fail"]
    assert one(report, "margin filled")["example"] == "column total_margin missing"


def test_a_check_with_an_unknown_kind_or_missing_params_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        Check("raw_x", "bad", "unique", ["a"])
    with pytest.raises(ValueError, match="needs params"):
        Check("raw_x", "bad", "null_rate", ["a"])


def test_raw_checks_pass_on_the_valid_baseline(tmp_path):
    out = run_raw(make_raw_lake(tmp_path))
    report = run_checks(out, CHECKS_BY_LAYER["raw"])
    assert report.height == len(RAW_CHECKS) and set(report["layer"]) == {"raw"}
    failed = report.filter(pl.col("status") != "pass")
    # the baseline's two channel codes written in capitals are normalised, so nothing fails
    assert failed.is_empty(), failed.select("check", "status", "message").to_dicts()


def test_error_budget_tolerates_a_few_rows_and_fails_above_both_limits():
    from dataflow.monitor.quality import Budget, budget_warnings

    budget = Budget(max_share=0.01, max_rows=10)
    # 10 rows are always within; 11 fail unless they are at most 1% (1,100 rows or more)
    assert budget.allows(10, 300) and not budget.allows(11, 300)
    assert budget.allows(11, 1100) and not budget.allows(12, 1100)
    frame = pl.DataFrame({"customer_id": ["C1", "C2", "C3", "C3"] + [f"D{i}" for i in range(96)]})
    check = Check("silver_customer", "id unique", "unique_key", ["customer_id"], budget=Budget(0.01, 1))
    row = one(run_checks({"silver_customer": frame}, [check]), "id unique")
    # 2 of 100 rows share a key: more than 1 row and more than 1% → fails, saying share and budget
    assert row["status"] == "fail"
    assert row["message"].endswith(
        "— 2 of 100 rows affected (2.00%), above the error budget (check 'id unique' fails above 1.0% and 1 rows)"
    )
    lenient = Check("silver_customer", "id unique", "unique_key", ["customer_id"], budget=Budget(0.02, 1))
    report = run_checks({"silver_customer": frame}, [lenient])
    assert one(report, "id unique")["status"] == "within_budget"
    assert gate_failures(report) == []
    enforce_gates(report)  # within the budget: the run goes on …
    (warning,) = budget_warnings(report)  # … and says so
    assert warning.startswith(
        "Within error budget (silver layer, check id unique): silver_customer.customer_id"
    )
    assert "2 of 100 rows affected (2.00%), within the error budget" in warning


def test_a_whole_table_problem_fails_whatever_the_budget():
    from dataflow.monitor.quality import Budget

    check = Check("silver_customer", "margin filled", "not_null", ["total_margin"], budget=Budget(1.0, 10**9))
    assert one(run_checks({"silver_customer": CUSTOMERS}, [check]), "margin filled")["status"] == "fail"


def test_budgets_are_configured_per_check_and_unknown_names_are_refused():
    from dataflow.monitor.checks import CHECKS_BY_LAYER, DEFAULT_BUDGET
    from dataflow.monitor.quality import Budget, with_budgets

    checks = [c for layer in CHECKS_BY_LAYER.values() for c in layer]
    key = "quarantined_customers: customers set aside"
    changed = {c.key: c.budget for c in with_budgets(checks, {key: {"max_share": 0.05, "max_rows": 3}})}
    assert changed[key] == Budget(0.05, 3)
    assert changed["bronze_customer_month: customer_id in bronze_customer"] == DEFAULT_BUDGET
    strict = {c.key: c.budget for c in with_budgets(checks, {key: None})}
    assert strict[key] is None  # None = no tolerance
    with pytest.raises(ValueError, match="unknown check"):
        with_budgets(checks, {"customers set aside": {"max_share": 0.05}})
