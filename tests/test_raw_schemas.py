"""The pandera schemas of kept tables, attached to Hamilton nodes through the Polars validator."""

from __future__ import annotations

import datetime

import pandas as pd
import polars as pl
import pytest
from hamilton import ad_hoc_utils, driver
from hamilton.data_quality.base import DataValidationError
from hamilton.function_modifiers import check_output_custom

from dataflow.contract import CHURN_LABEL_SCHEMA, CUSTOMER_ATTRIBUTES_SCHEMA
from dataflow.validation import PanderaPolarsValidator

D = datetime.date


def attributes(**overrides) -> pl.DataFrame:
    base = {
        "customer_id": ["C00001", "C00002"],
        "contracted_power_kw": [4.6, 3.45],
        "is_industrial": [0, 0],
        "is_second_residence": [0, 1],
        "province_code": [28, 8],
        "region": ["Madrid", "Cataluña"],
        "is_high_competition_province": [1, 1],
        "is_urban": [1, 0],
        "sales_channel": ["oficina", "unknown"],
    }
    base.update(overrides)
    flags = ["is_industrial", "is_second_residence", "is_high_competition_province", "is_urban"]
    return pl.DataFrame(base).with_columns(
        pl.col(flags).cast(pl.Int8), pl.col("province_code").cast(pl.Int16)
    )


def test_validator_accepts_polars_frames_only():
    v = PanderaPolarsValidator(CUSTOMER_ATTRIBUTES_SCHEMA)
    assert v.applies_to(pl.DataFrame) and not v.applies_to(pd.DataFrame)
    assert v.importance.value == "fail"


def test_validator_passes_a_valid_table_and_explains_a_broken_one():
    v = PanderaPolarsValidator(CUSTOMER_ATTRIBUTES_SCHEMA)
    assert v.validate(attributes()).passes
    result = v.validate(attributes(customer_id=["C00001", "C00001"], contracted_power_kw=[4.6, -1.0]))
    assert not result.passes
    assert "contracted_power_kw: greater_than(0)" in result.message and "-1.0" in result.message
    assert "customer_id" in result.message and result.diagnostics["failure_cases"]


def labels(effective: list[datetime.date | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "label_date": [D(2024, 10, 1)] * 2,
            "horizon_days": [90, 90],
            "churned_within_horizon": [1, 0],
            "churn_effective_date": effective,
        }
    ).with_columns(pl.col("horizon_days").cast(pl.Int32), pl.col("churned_within_horizon").cast(pl.Int8))


def test_label_schema_requires_the_effective_date_inside_the_window():
    v = PanderaPolarsValidator(CHURN_LABEL_SCHEMA)
    assert v.validate(labels([D(2024, 12, 1), None])).passes
    assert not v.validate(labels([D(2025, 3, 1), None])).passes  # after label_date + 90 days
    assert not v.validate(labels([D(2024, 12, 1), D(2024, 12, 1)])).passes  # date on a non-churner


def test_a_schema_failure_stops_the_hamilton_node():
    @check_output_custom(PanderaPolarsValidator(CUSTOMER_ATTRIBUTES_SCHEMA))
    def broken_attributes() -> pl.DataFrame:
        return attributes(is_urban=[1, 2])

    module = ad_hoc_utils.create_temporary_module(broken_attributes, module_name="broken_raw")
    dr = driver.Builder().with_modules(module).build()
    with pytest.raises(DataValidationError, match="is_urban"):
        dr.execute(["broken_attributes"])
