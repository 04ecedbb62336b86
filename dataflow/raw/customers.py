"""Customer master data: attributes (power, flags, province, channel) and contract dates, one row per customer.

A customer is usable only with both a valid attribute row and a valid contract row (the model needs the
renewal date as much as the power). Each file is screened on its own first; then a customer valid in one file
but set aside in the other is quarantined in both, with the other file's reason, so every later file can
cite the root cause of an orphan (:func:`quarantined_customers`).
"""

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
from dataflow.validation import (
    PARENT_QUARANTINED,
    REASON,
    PanderaPolarsValidator,
    Screen,
    is_orphan,
    output_fields,
    read_contract_csv,
    screen_csv,
)

_PARENTS = {"customer_id": pl.Utf8, "reason": pl.Utf8}


def _set_aside(quarantine: pl.DataFrame, kept_ids: pl.Series, file: str) -> pl.DataFrame:
    """Customer ids of ``quarantine`` with no kept row, each with one reason to cite (root cause first)."""
    if quarantine.is_empty():
        return pl.DataFrame(schema=_PARENTS)
    reason = pl.col(REASON)
    return (
        quarantine.select(pl.col("customer_id").str.strip_chars(), reason)
        .filter(pl.col("customer_id").is_not_null() & (pl.col("customer_id") != ""))
        .filter(~pl.col("customer_id").is_in(kept_ids.implode()))
        .with_columns(
            pl.when(is_orphan(reason) & reason.str.starts_with("customer quarantined in "))
            .then(reason)  # already names the root cause (e.g. the contract row)
            .otherwise(pl.format(PARENT_QUARANTINED.format(file=file, reason="{}"), reason))
            .alias("reason")
        )
        .group_by("customer_id", maintain_order=True)
        .agg(pl.col("reason").first())
    )


@tag(layer="raw")
def customer_contracts_text(raw_inventory: RawInventory) -> pl.DataFrame:
    """The contracts file as written (every column as text, with row numbers), read once for its two screenings."""
    raw = raw_inventory.files["customer_contracts"]
    return read_contract_csv(raw.local_path, raw.key, CUSTOMER_CONTRACTS)


@tag(layer="raw")
def contracted_customers(raw_inventory: RawInventory, customer_contracts_text: pl.DataFrame) -> pl.DataFrame:
    """Customer ids with a usable contract row (``reason`` empty) or with only rejected ones (``reason`` why).

    The contracts file screened on its own, before it is matched with the attributes file.
    """
    raw = raw_inventory.files["customer_contracts"]
    alone = Screen(customer_contracts_text, raw.key, CUSTOMER_CONTRACTS).finish()
    valid = alone.kept.select("customer_id", pl.lit(None, dtype=pl.Utf8).alias("reason"))
    return pl.concat([valid, _set_aside(alone.quarantine, valid["customer_id"], "customer_contracts")])


@tag(layer="raw", target_=...)
@tag(publish="quarantine", dataset="customer_attributes", target_="quarantine_customer_attributes")
@check_output_custom(PanderaPolarsValidator(CUSTOMER_ATTRIBUTES_SCHEMA), target_="raw_customer_attributes")
@extract_fields(output_fields("customer_attributes"))
def customer_attributes_screening(
    raw_inventory: RawInventory, raw_costs_by_province_month: pl.DataFrame, contracted_customers: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """Customers with usable attributes and a usable contract; bad flags, power, provinces set aside."""
    raw = raw_inventory.files["customer_attributes"]
    screen = screen_csv(raw.local_path, raw.key, CUSTOMER_ATTRIBUTES)
    provinces = raw_costs_by_province_month["province"].unique()
    screen.require_known(
        "province_code", provinces, "costs_by_province_month.csv (no costs for that province)"
    )
    screen.require_known(
        "customer_id",
        contracted_customers.filter(pl.col("reason").is_null())["customer_id"],
        "customer_contracts.csv",
        parents=contracted_customers.filter(pl.col("reason").is_not_null()),
        skip_rejected=True,
        unknown=pl.format(
            "customer_id '{}' has no row in customer_contracts.csv", screen.typed("customer_id")
        ),
    )
    return screen.finish().fields("customer_attributes")


@tag(layer="raw")
def quarantined_customers(
    quarantine_customer_attributes: pl.DataFrame, raw_customer_attributes: pl.DataFrame
) -> pl.DataFrame:
    """Customers set aside in the master data, each with the reason their other rows will cite.

    E.g. ``customer quarantined in customer_attributes: contracted_power_kw must be greater than 0, found
    '-5.75'``; a customer set aside for its contract row keeps that root cause.
    """
    return _set_aside(
        quarantine_customer_attributes, raw_customer_attributes["customer_id"], "customer_attributes"
    )


@tag(layer="raw", target_=...)
@tag(publish="quarantine", dataset="customer_contracts", target_="quarantine_customer_contracts")
@check_output_custom(PanderaPolarsValidator(CUSTOMER_CONTRACTS_SCHEMA), target_="raw_customer_contracts")
@extract_fields(output_fields("customer_contracts"))
def customer_contracts_screening(
    raw_inventory: RawInventory,
    customer_contracts_text: pl.DataFrame,
    raw_customer_attributes: pl.DataFrame,
    quarantined_customers: pl.DataFrame,
) -> dict[str, pl.DataFrame]:
    """Contract dates per usable customer; bad dates, orphans and conflicting duplicates set aside."""
    raw = raw_inventory.files["customer_contracts"]
    screen = Screen(customer_contracts_text, raw.key, CUSTOMER_CONTRACTS)
    screen.require_customer(raw_customer_attributes, quarantined_customers)
    return screen.finish().fields("customer_contracts")
