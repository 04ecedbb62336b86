"""Customers in business terms: segment (Residential / SME / Corporate), residence type, English sales channel."""

from __future__ import annotations

import polars as pl
from hamilton.function_modifiers import check_output_custom, tag

from dataflow.silver.schema import SILVER_CUSTOMER_SCHEMA
from dataflow.validation import PanderaPolarsValidator

SME_MAX_POWER_KW = 10.0  # industrial supplies up to and including 10 kW are SMEs, above are Corporate
CHANNEL_NAMES = {
    "presencial_comercial": "In-Person Commercial",
    "comparador": "Comparison Website",
    "oficina": "Office",
    "telemarketing": "Telemarketing",
    "web_propia": "Own Website",
    "desconocido": "Unknown",
    "unknown": "Unknown",
}


def _segment() -> pl.Expr:
    """Residential for households; industrial SME up to 10 kW contracted power, Corporate above."""
    industrial, power = pl.col("is_industrial") == 1, pl.col("contracted_power_kw")
    return (
        pl.when(pl.col("is_industrial") == 0)
        .then(pl.lit("Residential"))
        .when(industrial & (power <= SME_MAX_POWER_KW))
        .then(pl.lit("SME"))
        .when(industrial & (power > SME_MAX_POWER_KW))
        .then(pl.lit("Corporate"))
        .otherwise(None)
    )


def _sales_channel(code: pl.Expr) -> pl.Expr:
    """English channel name; an empty code is Unknown and an unmapped one stays visible as 'Other (<code>)'."""
    english = code.replace_strict(CHANNEL_NAMES, default=None, return_dtype=pl.Utf8)
    return (
        pl.when(code.is_null() | (code == ""))
        .then(pl.lit("Unknown"))
        .when(english.is_not_null())
        .then(english)
        .otherwise(pl.lit("Other (") + code + pl.lit(")"))
    )


@tag(layer="silver", target_=...)
@tag(publish="silver")
@check_output_custom(PanderaPolarsValidator(SILVER_CUSTOMER_SCHEMA))
def silver_customer(bronze_customer: pl.DataFrame) -> pl.DataFrame:
    """One row per customer with segment, residential type and the sales channel in English (code kept)."""
    code = pl.col("sales_channel").str.strip_chars().str.to_lowercase()
    segment = _segment()
    residence = (
        pl.when(segment != "Residential")
        .then(None)
        .when(pl.col("is_second_residence") == 1)
        .then(pl.lit("Second_Residence"))
        .when(pl.col("is_second_residence") == 0)
        .then(pl.lit("Primary_Residence"))
    )
    return bronze_customer.with_columns(
        _sales_channel(code).alias("sales_channel"),
        code.alias("sales_channel_code"),
        segment.alias("segment"),
        residence.alias("residential_type"),
    )
