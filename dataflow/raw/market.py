"""Market data: each customer's monthly prices and each province's monthly costs."""

from __future__ import annotations

import polars as pl
from hamilton.function_modifiers import check_output_custom, extract_fields, tag

from dataflow.contract import (
    COSTS_BY_PROVINCE_MONTH,
    COSTS_BY_PROVINCE_MONTH_SCHEMA,
    PRICE_HISTORY,
    PRICE_HISTORY_SCHEMA,
)
from dataflow.raw.inventory import RawInventory
from dataflow.validation import PanderaPolarsValidator, output_fields, screen_csv


@tag(layer="raw", target_=...)
@tag(publish="quarantine", dataset="costs_by_province_month", target_="quarantine_costs_by_province_month")
@check_output_custom(
    PanderaPolarsValidator(COSTS_BY_PROVINCE_MONTH_SCHEMA), target_="raw_costs_by_province_month"
)
@extract_fields(output_fields("costs_by_province_month"))
def costs_by_province_month_screening(raw_inventory: RawInventory) -> dict[str, pl.DataFrame]:
    """Energy costs and network tolls per province and month; negative costs and bad codes set aside."""
    raw = raw_inventory.files["costs_by_province_month"]
    return (
        screen_csv(raw.local_path, raw.key, COSTS_BY_PROVINCE_MONTH)
        .finish()
        .fields("costs_by_province_month")
    )


@tag(layer="raw", target_=...)
@tag(publish="quarantine", dataset="price_history", target_="quarantine_price_history")
@check_output_custom(PanderaPolarsValidator(PRICE_HISTORY_SCHEMA), target_="raw_price_history")
@extract_fields(output_fields("price_history"))
def price_history_screening(
    raw_inventory: RawInventory,
    raw_customer_attributes: pl.DataFrame,
    quarantined_customers: pl.DataFrame,
) -> dict[str, pl.DataFrame]:
    """Monthly prices per known customer; a zero price means missing (null, counted); empty ids set aside."""
    raw = raw_inventory.files["price_history"]
    screen = screen_csv(raw.local_path, raw.key, PRICE_HISTORY)
    screen.derive("month", screen.typed("pricing_date").dt.truncate("1mo"))
    screen.require_customer(raw_customer_attributes, quarantined_customers)
    return screen.finish().fields("price_history")
