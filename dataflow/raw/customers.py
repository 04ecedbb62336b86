"""Customer master data: attributes (power, flags, province, channel) and contract dates, one row per customer."""

from __future__ import annotations

import polars as pl
from hamilton.function_modifiers import check_output_custom, extract_fields, tag

from dataflow.contract import (
    CUSTOMER_ATTRIBUTES,
    CUSTOMER_ATTRIBUTES_SCHEMA,
    CUSTOMER_CONTRACTS,
    CUSTOMER_CONTRACTS_SCHEMA,
)
from dataflow.raw.inventory import RawInventory
from dataflow.validation import PanderaPolarsValidator, output_fields, screen_csv


@tag(layer="raw", target_=...)
@tag(publish="quarantine", dataset="customer_attributes", target_="quarantine_customer_attributes")
@check_output_custom(PanderaPolarsValidator(CUSTOMER_ATTRIBUTES_SCHEMA), target_="raw_customer_attributes")
@extract_fields(output_fields("customer_attributes"))
def customer_attributes_screening(
    raw_inventory: RawInventory, raw_costs_by_province_month: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """Customers with usable attributes; rows with a bad flag, power or an unknown province set aside."""
    raw = raw_inventory.files["customer_attributes"]
    screen = screen_csv(raw.local_path, raw.key, CUSTOMER_ATTRIBUTES)
    provinces = raw_costs_by_province_month["province"].unique()
    screen.require_known(
        "province_code", provinces, "costs_by_province_month.csv (no costs for that province)"
    )
    return screen.finish().fields("customer_attributes")


@tag(layer="raw", target_=...)
@tag(publish="quarantine", dataset="customer_contracts", target_="quarantine_customer_contracts")
@check_output_custom(PanderaPolarsValidator(CUSTOMER_CONTRACTS_SCHEMA), target_="raw_customer_contracts")
@extract_fields(output_fields("customer_contracts"))
def customer_contracts_screening(
    raw_inventory: RawInventory, raw_customer_attributes: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """Contract dates per known customer; bad dates, orphans and conflicting duplicates set aside."""
    raw = raw_inventory.files["customer_contracts"]
    screen = screen_csv(raw.local_path, raw.key, CUSTOMER_CONTRACTS)
    screen.require_known("customer_id", raw_customer_attributes["customer_id"], "customer_attributes.csv")
    return screen.finish().fields("customer_contracts")
