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
