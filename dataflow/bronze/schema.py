"""Pandera schemas of the bronze tables, declared on their nodes (``@check_output_custom``)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

_ID = pa.Column(pl.Utf8, pa.Check.str_length(min_value=1), nullable=False)
_KWH = pa.Column(pl.Float64, pa.Check.ge(0), nullable=False)
_COUNT = pa.Column(pl.Int64, pa.Check.ge(0), nullable=False)
_TIERS = [f"{c}_tier_{t}" for c in ("elec_kwh", "gas_m3") for t in ("1_peak", "2_standard", "3_offpeak")]

BRONZE_CUSTOMER_MONTH_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _ID,
        "month": pa.Column(
            pl.Date,
            pa.Check(lambda d: d.lazyframe.select(pl.col(d.key).dt.day() == 1), name="first_of_month"),
            nullable=False,
        ),
        "monthly_elec_kwh": _KWH,
        "monthly_gas_m3": _KWH,
        "monthly_gas_kwh": _KWH,
        **{c: _KWH for c in _TIERS},
        "hours_with_reading": pa.Column(pl.Int64, pa.Check.in_range(1, 744), nullable=False),
        "holiday_hours_in_month": _COUNT,
        "negative_elec_readings": _COUNT,
        "negative_gas_readings": _COUNT,
        "first_reading_at": pa.Column(pl.Datetime("us"), nullable=False),
        "last_reading_at": pa.Column(pl.Datetime("us"), nullable=False),
    },
    unique=["customer_id", "month"],
    strict=True,
    ordered=True,
    name="bronze_customer_month",
)
