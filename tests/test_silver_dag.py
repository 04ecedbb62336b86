"""Bronze and silver wired by Hamilton, as the driver does: node names compose and every schema check passes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from dataflow import bronze, silver
from dataflow import driver as dag
from dataflow.bronze.consumption import LOCAL_TASK_ROWS
from dataflow.raw.inventory import RawFile, RawInventory
from dataflow.silver.prices import NEEDED_BY

NODES = [
    "consumption_reconciliation",
    "quarantine_consumption",
    "bronze_customer",
    "latest_reading_date",
    "silver_customer",
    "silver_interactions",
    "silver_customer_month",
]


def test_bronze_and_silver_run_in_hamilton(tmp_path: Path):
    hours = [dt.datetime(2024, 1, 31, 20) + dt.timedelta(hours=h) for h in range(6)]  # crosses into February
    pq = tmp_path / "consumption_hourly_2024.parquet"
    pl.DataFrame(
        {
            "customer_id": ["C1"] * 6 + ["C2"] * 6,
            "timestamp": hours * 2,
            "consumption_elec_kwh": [1.0] * 12,
            "consumption_gas_m3": [0.0] * 6 + [0.5] * 6,
        }
    ).write_parquet(pq)
    inventory = RawInventory(
        files={}, consumption=[RawFile("raw/" + pq.name, pq, pq.stat().st_size, "0" * 64, "parquet")]
    )
    attrs = pl.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "contracted_power_kw": [4.6, 10.0],
            "is_industrial": [0, 1],
            "is_second_residence": [0, 0],
            "province_code": [28, 8],
            "region": ["Madrid", "Cataluña"],
            "is_high_competition_province": [1, 0],
            "is_urban": [1, 1],
            "sales_channel": ["web_propia", "oficina"],
        },
        schema_overrides={
            "is_industrial": pl.Int8,
            "is_second_residence": pl.Int8,
            "province_code": pl.Int16,
            "is_high_competition_province": pl.Int8,
            "is_urban": pl.Int8,
        },
    )
    d = dt.date(2021, 3, 1)
    contracts = pl.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "customer_first_activation_date": [d, d],
            "contract_start_date": [d, d],
            "last_product_change_date": [None, d],
            "next_renewal_date": [dt.date(2025, 3, 1)] * 2,
        },
        schema_overrides={"last_product_change_date": pl.Date},
    )
    months = [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]
    prices = pl.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2", "C2"],
            "pricing_date": months * 2,
            "month": months * 2,
            **{c: [0.2, None, 0.3, 0.3] for c in NEEDED_BY},
        }
    )
    costs = pl.DataFrame(
        {
            "month": months * 2,
            "province": [28, 28, 8, 8],
            "elec_var_cost_eur_kwh": [0.08] * 4,
            "gas_var_cost_eur_m3": [0.7] * 4,
            "peaje_elec_eur_kwh": [0.01] * 4,
        },
        schema_overrides={"province": pl.Int16},
    )
    interactions = pl.DataFrame(
        {
            "customer_id": ["C2"],
            "date": [dt.date(2024, 1, 15)],
            "channel": ["phone"],
            "interaction_summary": ["Cust inq re: plan options. No price hike. Adv."],
        }
    )
    dr = dag.build([*bronze.MODULES, *silver.MODULES], cache=False)  # the hourly map needs dynamic execution
    out = dr.execute(
        NODES,
        inputs={
            "lake_uri": str(tmp_path),
            "hourly_task_rows": LOCAL_TASK_ROWS,
            "raw_inventory": inventory,
            "raw_customer_attributes": attrs,
            "raw_customer_contracts": contracts,
            "raw_price_history": prices,
            "raw_costs_by_province_month": costs,
            "raw_customer_interactions": interactions,
            "quarantined_customers": pl.DataFrame(schema={"customer_id": pl.Utf8, "reason": pl.Utf8}),
            "sentiment_backend": "vader",
        },
    )
    assert out["consumption_reconciliation"].row(0) == ("consumption", 12, 12, 0, 0)
    assert out["latest_reading_date"] == dt.date(2024, 2, 1)
    assert out["silver_customer"]["segment"].to_list() == ["Residential", "SME"]
    scm = out["silver_customer_month"]
    assert scm.height == 4 and scm["hours_with_reading"].to_list() == [4, 2, 4, 2]
    c1_feb = scm.filter((pl.col("customer_id") == "C1") & (pl.col("month") == months[1])).row(0, named=True)
    assert c1_feb["variable_price_tier3_eur_kwh_source"] == "customer_fill"  # Feb 1 00–01 h is off-peak
    assert c1_feb["gas_margin"] == 0.0  # electricity-only
    assert out["silver_interactions"]["customer_intent"].item() != ""
