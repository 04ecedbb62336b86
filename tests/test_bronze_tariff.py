"""2.0TD tariff periods, checked hour by hour through the real DuckDB aggregation on a tiny Parquet file.

Each probe is its own customer with a single 1 kWh reading, so the tier column that holds the 1 kWh is the
period DuckDB assigned to that hour. Expected periods are worked out by hand from the 2.0TD rules:
working days peak 10–14 h and 18–22 h, standard 8–10 h, 14–18 h and 22–24 h, off-peak 0–8 h;
Saturdays, Sundays and national holidays off-peak all day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dataflow.bronze import consumption
from dataflow.bronze.tariff import national_holidays, tariff_period
from dataflow.raw.inventory import RawFile, RawInventory
from tests.test_bronze_consumption import customer_month

TIER = {
    "peak": "elec_kwh_tier_1_peak",
    "standard": "elec_kwh_tier_2_standard",
    "offpeak": "elec_kwh_tier_3_offpeak",
}

# (timestamp, expected period, is a national holiday) — 2024-03-04 is a Monday.
PROBES = [
    (dt.datetime(2024, 3, 4, 10), "peak", False),  # working day, 10:00–10:59
    (dt.datetime(2024, 3, 4, 21), "peak", False),  # 21:00–21:59 is the last peak hour
    (dt.datetime(2024, 3, 4, 22), "standard", False),  # 22:00 leaves peak
    (dt.datetime(2024, 3, 4, 8), "standard", False),
    (dt.datetime(2024, 3, 4, 14), "standard", False),
    (dt.datetime(2024, 3, 4, 18), "peak", False),
    (dt.datetime(2024, 3, 4, 23), "standard", False),
    (dt.datetime(2024, 3, 4, 7), "offpeak", False),
    (dt.datetime(2024, 3, 4, 0), "offpeak", False),
    (dt.datetime(2024, 3, 2, 12), "offpeak", False),  # Saturday noon
    (dt.datetime(2024, 3, 3, 19), "offpeak", False),  # Sunday evening
    (dt.datetime(2024, 10, 12, 11), "offpeak", True),  # National Day, a Saturday anyway
    (dt.datetime(2024, 8, 15, 11), "offpeak", True),  # Assumption, a Thursday
    (dt.datetime(2024, 12, 25, 10), "offpeak", True),  # Christmas, a Wednesday
    (dt.datetime(2024, 12, 25, 19), "offpeak", True),
    (dt.datetime(2024, 3, 29, 12), "offpeak", True),  # Good Friday: national
    (dt.datetime(2024, 3, 28, 12), "peak", False),  # Holy Thursday: regional only, so a working day
    (dt.datetime(2024, 1, 1, 12), "offpeak", True),  # New Year's Day, a Monday
]


def inventory(*paths: Path) -> RawInventory:
    return RawInventory(
        files={},
        consumption=[
            RawFile(f"raw/{p.name}", p, p.stat().st_size, "0" * 64, p.suffix.lstrip(".")) for p in paths
        ],
    )


def test_holiday_calendar_is_national_2024():
    days = set(national_holidays([2024]))
    for d in (
        "2024-01-01",
        "2024-01-06",
        "2024-03-29",
        "2024-05-01",
        "2024-08-15",
        "2024-10-12",
        "2024-11-01",
        "2024-12-06",
        "2024-12-25",
    ):
        assert dt.date.fromisoformat(d) in days
    assert dt.date(2024, 3, 28) not in days  # Holy Thursday is regional
    assert len(days) == 9  # Dec 8 fell on a Sunday in 2024 and is not listed


def test_python_helper_matches_rules_including_2159():
    hol = national_holidays([2024])
    assert tariff_period(dt.datetime(2024, 3, 4, 21, 59), hol) == "peak"
    assert tariff_period(dt.datetime(2024, 3, 4, 22, 0), hol) == "standard"
    for ts, expected, _ in PROBES:
        assert tariff_period(ts, hol) == expected, ts


def test_periods_through_duckdb(tmp_path: Path):
    ids = [f"P{i:02d}" for i in range(len(PROBES))]
    path = tmp_path / "consumption_hourly_probe.parquet"
    pl.DataFrame(
        {
            "customer_id": ids,
            "timestamp": [p[0] for p in PROBES],
            "consumption_elec_kwh": [1.0] * len(PROBES),
            "consumption_gas_m3": [0.5] * len(PROBES),
        },
        schema_overrides={"timestamp": pl.Datetime("us")},
    ).write_parquet(path)
    out = customer_month(consumption.raw_consumption(inventory(path)))
    assert out.height == len(PROBES)
    for cid, (ts, expected, holiday) in zip(ids, PROBES, strict=True):
        row = out.filter(pl.col("customer_id") == cid).row(0, named=True)
        assert row["month"] == dt.date(ts.year, ts.month, 1)
        for period, col in TIER.items():
            assert row[col] == (1.0 if period == expected else 0.0), (ts, col)
        assert row[TIER[expected].replace("elec_kwh", "gas_m3")] == 0.5
        assert row["holiday_hours_in_month"] == (1 if holiday else 0), ts
        assert row["hours_with_reading"] == 1
        assert row["first_reading_at"] == ts and row["last_reading_at"] == ts


def test_full_working_day_and_weekend_day(tmp_path: Path):
    """A whole Monday: 8 peak, 8 standard, 8 off-peak hours; a whole Saturday: 24 off-peak hours."""
    monday = [dt.datetime(2024, 3, 4, h) for h in range(24)]
    saturday = [dt.datetime(2024, 3, 9, h) for h in range(24)]
    path = tmp_path / "consumption_hourly_days.parquet"
    pl.DataFrame(
        {
            "customer_id": ["MON"] * 24 + ["SAT"] * 24,
            "timestamp": monday + saturday,
            "consumption_elec_kwh": [1.0] * 48,
            "consumption_gas_m3": [0.0] * 48,
        }
    ).write_parquet(path)
    out = customer_month(consumption.raw_consumption(inventory(path)))
    mon = out.filter(pl.col("customer_id") == "MON").row(0, named=True)
    assert (mon["elec_kwh_tier_1_peak"], mon["elec_kwh_tier_2_standard"], mon["elec_kwh_tier_3_offpeak"]) == (
        8,
        8,
        8,
    )
    sat = out.filter(pl.col("customer_id") == "SAT").row(0, named=True)
    assert (sat["elec_kwh_tier_1_peak"], sat["elec_kwh_tier_2_standard"], sat["elec_kwh_tier_3_offpeak"]) == (
        0,
        0,
        24,
    )
    assert mon["monthly_elec_kwh"] == 24 and mon["hours_with_reading"] == 24


@pytest.mark.parametrize("year", [2023, 2025])
def test_calendar_follows_the_data_years(tmp_path: Path, year: int):
    """Good Friday moves: 2023-04-07 and 2025-04-18 are off-peak at noon; the calendar is built per year."""
    good_friday = {2023: dt.datetime(2023, 4, 7, 12), 2025: dt.datetime(2025, 4, 18, 12)}[year]
    path = tmp_path / "consumption_hourly_gf.parquet"
    pl.DataFrame(
        {
            "customer_id": ["G"],
            "timestamp": [good_friday],
            "consumption_elec_kwh": [2.0],
            "consumption_gas_m3": [0.0],
        }
    ).write_parquet(path)
    row = customer_month(consumption.raw_consumption(inventory(path))).row(0, named=True)
    assert row["elec_kwh_tier_3_offpeak"] == 2.0 and row["holiday_hours_in_month"] == 1
