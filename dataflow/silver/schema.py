"""Pandera schemas of the silver tables, declared on their nodes (``@check_output_custom``)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dataflow.nlp import INTENTS
from dataflow.silver.prices import NEEDED_BY, SOURCES

MARGIN_COLUMNS = (
    "elec_revenue_variable",
    "elec_revenue_fixed",
    "elec_cost_variable",
    "elec_cost_fixed",
    "elec_margin",
    "gas_revenue_variable",
    "gas_revenue_fixed",
    "gas_cost_variable",
    "gas_cost_fixed",
    "gas_margin",
    "total_revenue",
    "total_cost",
    "total_margin",
)
_ID = pa.Column(pl.Utf8, pa.Check.str_length(min_value=1), nullable=False)
_MONEY = pa.Column(pl.Float64, nullable=True)  # margins can be negative; null = a needed price is missing
_SHARE = pa.Column(pl.Float64, pa.Check.in_range(0, 1), nullable=True)

SILVER_CUSTOMER_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _ID,
        "segment": pa.Column(pl.Utf8, pa.Check.isin(["Residential", "SME", "Corporate"]), nullable=True),
        "residential_type": pa.Column(
            pl.Utf8, pa.Check.isin(["Primary_Residence", "Second_Residence"]), nullable=True
        ),
        "sales_channel": pa.Column(pl.Utf8, nullable=False),
        "sales_channel_code": pa.Column(pl.Utf8, nullable=True),
    },
    unique=["customer_id"],
    strict=False,
    name="silver_customer",
)

SILVER_INTERACTIONS_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _ID,
        "customer_intent": pa.Column(pl.Utf8, pa.Check.isin(list(INTENTS)), nullable=False),
        "sentiment_neg": _SHARE,
        "sentiment_neu": _SHARE,
        "sentiment_pos": _SHARE,
        "sentiment_compound": pa.Column(pl.Float64, pa.Check.in_range(-1, 1), nullable=True),
        "sentiment_label": pa.Column(
            pl.Utf8, pa.Check.isin(["negative", "neutral", "positive"]), nullable=True
        ),
    },
    strict=False,
    name="silver_interactions",
)

SILVER_CUSTOMER_MONTH_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _ID,
        "month": pa.Column(pl.Date, nullable=False),
        **{
            f"{c}_source": pa.Column(pl.Utf8, pa.Check.isin(list(SOURCES)), nullable=False) for c in NEEDED_BY
        },
        "province_cost_source": pa.Column(
            pl.Utf8, pa.Check.isin(["observed", "national_month_median", "missing"]), nullable=False
        ),
        **{c: _MONEY for c in MARGIN_COLUMNS},
    },
    unique=["customer_id", "month"],
    strict=False,
    name="silver_customer_month",
)
