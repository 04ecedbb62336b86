"""Hourly files → customer × month: unions of CSV and Parquet, clamping, gas kWh, quarantine with exact counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dataflow.bronze import consumption
from dataflow.errors import ContractError
from dataflow.raw.inventory import RawFile, RawInventory

NO_PARENTS = pl.DataFrame(schema={"customer_id": pl.Utf8, "reason": pl.Utf8})
HEADER = "customer_id,timestamp,consumption_elec_kwh,consumption_gas_m3\n"


def inventory(*paths: Path) -> RawInventory:
    return RawInventory(
        files={},
        consumption=[
            RawFile(f"raw/{p.name}", p, p.stat().st_size, "0" * 64, p.suffix.lstrip(".")) for p in paths
        ],
    )


def customer_month(src, task_rows: int = 1) -> pl.DataFrame:
    """The map (batches of at most ``task_rows`` readings; 1 = one file per task, as on Dask) and the collect,
    as Hamilton runs them (the files are local: no lake)."""
    return consumption.consumption_customer_month(
        [consumption.consumption_batch_sums(b, "") for b in consumption.consumption_batch(src, task_rows)],
        src,
    )


def run(*paths: Path, task_rows: int = 1) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    src = consumption.raw_consumption(inventory(*paths))
    month = customer_month(src, task_rows)  # every id is a known customer here
    quarantine = consumption.quarantine_consumption(src, month, month, NO_PARENTS)
    return month, quarantine, consumption.consumption_reconciliation(src, quarantine, month)


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_negatives_clamped_counted_and_gas_kwh(tmp_path: Path):
    # Monday 2024-03-04: 10h peak, 11h peak, 08h standard, 03h off-peak.
    path = write_csv(
        tmp_path / "consumption_hourly_a.csv",
        [
            "C1,2024-03-04 10:00:00,1.5,0.5",
            "C1,2024-03-04 11:00:00,-0.2,-0.1",  # both negative: clamped to 0, counted once each
            "C1,2024-03-04 08:00:00,2.0,0.25",
            "C1,2024-03-04 03:00:00,0.75,-0.05",  # gas negative only
        ],
    )
    month, quarantine, recon = run(path)
    row = month.row(0, named=True)
    assert row["monthly_elec_kwh"] == pytest.approx(1.5 + 0 + 2.0 + 0.75)  # 4.25
    assert row["elec_kwh_tier_1_peak"] == pytest.approx(1.5)
    assert row["elec_kwh_tier_2_standard"] == pytest.approx(2.0)
    assert row["elec_kwh_tier_3_offpeak"] == pytest.approx(0.75)
    assert row["monthly_gas_m3"] == pytest.approx(0.5 + 0.25)  # 0.75; negatives count as 0
    assert row["monthly_gas_kwh"] == pytest.approx(0.75 * 11.0)  # 8.25 kWh at 11 kWh/m³
    assert (row["gas_m3_tier_1_peak"], row["gas_m3_tier_2_standard"], row["gas_m3_tier_3_offpeak"]) == (
        0.5,
        0.25,
        0,
    )
    assert row["negative_elec_readings"] == 1 and row["negative_gas_readings"] == 2
    assert row["hours_with_reading"] == 4
    assert row["first_reading_at"] == dt.datetime(2024, 3, 4, 3)
    assert row["last_reading_at"] == dt.datetime(2024, 3, 4, 11)
    assert quarantine.height == 0 and recon.row(0) == ("consumption", 4, 4, 0, 0)


def test_csv_and_parquet_files_are_one_relation(tmp_path: Path):
    csv = write_csv(
        tmp_path / "consumption_hourly_2024_01.csv",
        ["C1,2024-01-15 10:00:00,1.0,0", "C2,2024-01-15 10:00:00,2.0,0.5"],
    )
    pq = tmp_path / "consumption_hourly_2024_02.parquet"
    pl.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2"],
            "timestamp": [
                dt.datetime(2024, 2, 5, 12),
                dt.datetime(2024, 2, 5, 13),
                dt.datetime(2024, 1, 15, 11),
            ],
            "consumption_elec_kwh": [3.0, 4.0, 5.0],
            "consumption_gas_m3": [0.0, 0.0, 1.0],
        }
    ).write_parquet(pq)
    month, quarantine, recon = run(csv, pq)
    got = {
        (r["customer_id"], r["month"]): (r["monthly_elec_kwh"], r["monthly_gas_m3"], r["hours_with_reading"])
        for r in month.iter_rows(named=True)
    }
    assert got == {
        ("C1", dt.date(2024, 1, 1)): (1.0, 0.0, 1),
        ("C1", dt.date(2024, 2, 1)): (7.0, 0.0, 2),
        ("C2", dt.date(2024, 1, 1)): (7.0, 1.5, 2),
    }  # C2's January is split over both files
    assert recon.row(0) == ("consumption", 5, 5, 0, 0) and quarantine.height == 0


def test_bad_rows_quarantined_with_exact_counts(tmp_path: Path):
    csv = write_csv(
        tmp_path / "consumption_hourly_dirty.csv",
        [
            "C1,2024-01-01 00:00:00,1.0,0.1",  # 1 good
            "C1,2024-01-01 01:00:00,1.0,0.1",  # 2 good
            ",2024-01-01 02:00:00,1.0,0.1",  # 3 empty id → quarantined
            "   ,2024-01-01 02:00:00,1.0,0.1",  # 4 blank id → quarantined
            "C1,yesterday,1.0,0.1",  # 5 unparseable timestamp → quarantined
            "C1,2024-01-01 03:30:00,1.0,0.1",  # 6 off the hour → quarantined
            "C1,2024-01-01 04:00:00,abc,0.1",  # 7 text in a number → quarantined
            "C1,2024-01-01 05:00:00,1.0,",  # 8 empty gas → quarantined
            "C1,2024-01-01 06:00:00,nan,0.1",  # 9 not finite → quarantined
            "C2,2024-01-01 00:00:00,2.0,0",  # 10 good
            "C2,2024-01-01 00:00:00,2.0,0",  # 11 exact copy of 10 → one copy quarantined
            "C3,2024-01-01 00:00:00,1.0,0",  # 12 conflicts with 13 → both quarantined
            "C3,2024-01-01 00:00:00,9.0,0",  # 13
            "C3,2024-01-01 01:00:00,4.0,0",  # 14 good
            " C4 ,2024-01-01 00:00:00,1.0,0",  # 15 padded id → kept as C4
            "C4,2024-01-01 01:00:00,2.0,0",  # 16 good
        ],
    )
    month, quarantine, recon = run(csv)
    assert recon.row(0) == ("consumption", 16, 6, 10, 0)  # kept: rows 1, 2, 10, 14, 15, 16
    reasons = dict(zip(quarantine["_row_number"], quarantine["_reason"], strict=True))
    assert reasons[3] == reasons[4] == "customer_id is empty"
    assert reasons[5].startswith("timestamp is not a date-time")
    assert reasons[6] == "timestamp is not on the hour"
    assert reasons[7] == "consumption_elec_kwh is not a number"
    assert reasons[8] == "consumption_gas_m3 is empty"
    assert reasons[9] == "consumption_elec_kwh is not a finite number"
    assert reasons[11].startswith("exact duplicate") and 10 not in reasons
    assert (
        reasons[12].startswith("duplicate (customer_id, timestamp) with different")
        and reasons[13] == reasons[12]
    )
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 11, 12, 13]
    assert quarantine["_source_file"].unique().to_list() == ["raw/consumption_hourly_dirty.csv"]
    assert quarantine.filter(pl.col("_row_number") == 7)["consumption_elec_kwh"].item() == "abc"  # as written
    kept = {
        r["customer_id"]: (r["monthly_elec_kwh"], r["hours_with_reading"])
        for r in month.iter_rows(named=True)
    }
    assert kept == {"C1": (2.0, 2), "C2": (2.0, 1), "C3": (4.0, 1), "C4": (3.0, 2)}


@pytest.mark.parametrize("task_rows", [1, 10**9], ids=["one file per task", "one task"])
def test_an_hour_given_in_two_files_is_a_duplicate_across_the_map(tmp_path: Path, task_rows: int):
    """Each file is summed on its own (the map) or both in one pass; the collect unites the hours read, so an
    hour delivered in two files is caught like one given twice in the same file."""
    csv = write_csv(
        tmp_path / "consumption_hourly_a.csv",
        [
            "C5,2024-01-01 00:00:00,1.0,0",  # a1: kept
            "C5,2024-01-01 01:00:00,2.0,0",  # a2: kept
            "C6,2024-01-01 05:00:00,3.0,0",  # a3: conflicts with b2 → both quarantined
        ],
    )
    pq = tmp_path / "consumption_hourly_b.parquet"
    pl.DataFrame(
        {
            "customer_id": ["C5", "C6", "C6"],
            "timestamp": [dt.datetime(2024, 1, 1, 0), dt.datetime(2024, 1, 1, 5), dt.datetime(2024, 1, 1, 6)],
            "consumption_elec_kwh": [1.0, 4.0, 0.5],  # b1 = a1 (exact copy), b2 ≠ a3, b3 kept
            "consumption_gas_m3": [0.0, 0.0, 0.0],
        }
    ).write_parquet(pq)
    month, quarantine, recon = run(csv, pq, task_rows=task_rows)
    assert recon.row(0) == ("consumption", 6, 3, 3, 0)
    got = {
        (r["customer_id"]): (r["monthly_elec_kwh"], r["hours_with_reading"])
        for r in month.iter_rows(named=True)
    }
    assert got == {"C5": (3.0, 2), "C6": (0.5, 1)}
    a, b = "raw/consumption_hourly_a.csv", "raw/consumption_hourly_b.parquet"
    rows = {(r["_source_file"], r["_row_number"]): r["_reason"] for r in quarantine.iter_rows(named=True)}
    assert set(rows) == {(a, 3), (b, 1), (b, 2)}  # the later copy of the exact duplicate goes
    assert rows[(b, 1)] == "exact duplicate of another row for the same customer and hour; one copy kept"
    assert rows[(a, 3)] == rows[(b, 2)]
    assert rows[(a, 3)].startswith("duplicate (customer_id, timestamp) with different readings")


@pytest.mark.parametrize("task_rows", [1, 10**9], ids=["one file per task", "one task"])
def test_interleaved_files_without_duplicates_lose_nothing(tmp_path: Path, task_rows: int):
    """Two files whose hours interleave (spans overlap, hours do not): the customer is recomputed from its rows
    (a repeat cannot be ruled out from the sums alone) and every reading is kept once."""
    a = write_csv(
        tmp_path / "consumption_hourly_a.csv",
        ["C7,2024-01-01 00:00:00,1.0,0", "C7,2024-01-01 02:00:00,2.0,0"],
    )
    b = write_csv(tmp_path / "consumption_hourly_b.csv", ["C7,2024-01-01 01:00:00,4.0,0.5"])
    month, quarantine, recon = run(a, b, task_rows=task_rows)
    assert recon.row(0) == ("consumption", 3, 3, 0, 0) and quarantine.height == 0
    row = month.row(0, named=True)
    assert (row["monthly_elec_kwh"], row["monthly_gas_m3"], row["hours_with_reading"]) == (7.0, 0.5, 3)
    assert row["holiday_hours_in_month"] == 3  # New Year's Day
    assert row["first_reading_at"] == dt.datetime(2024, 1, 1, 0) and row["last_reading_at"] == dt.datetime(
        2024, 1, 1, 2
    )


def test_batches_hold_files_up_to_the_row_budget(tmp_path: Path):
    """Files of 3, 2, 2 and 5 readings with a budget of 4: [3], [2, 2], [5] (a file over the budget alone);
    in order, every file once."""
    paths = [
        write_csv(
            tmp_path / f"consumption_hourly_{i}.csv", [f"C1,2024-01-01 {h:02d}:00:00,1.0,0" for h in range(n)]
        )
        for i, n in enumerate([3, 2, 2, 5])
    ]
    src = consumption.raw_consumption(inventory(*paths))
    sizes = [[f.rows for f in b.files] for b in consumption.consumption_batch(src, 4)]
    assert sizes == [[3], [2, 2], [5]]
    assert [[f.rows for f in b.files] for b in consumption.consumption_batch(src, 1)] == [[3], [2], [2], [5]]
    assert [len(b.files) for b in consumption.consumption_batch(src, 10**9)] == [4]


def test_missing_column_names_file_and_column(tmp_path: Path):
    path = tmp_path / "consumption_hourly_x.csv"
    path.write_text("customer_id,timestamp,consumption_elec_kwh\nC1,2024-01-01 00:00:00,1\n")
    with pytest.raises(ContractError) as err:
        consumption.raw_consumption(inventory(path))
    assert err.value.file == "raw/consumption_hourly_x.csv" and err.value.column == "consumption_gas_m3"


def test_unreadable_parquet_is_a_contract_error(tmp_path: Path):
    path = tmp_path / "consumption_hourly_bad.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(ContractError, match="cannot be read as Parquet") as err:
        consumption.raw_consumption(inventory(path))
    assert err.value.file == "raw/consumption_hourly_bad.parquet"


def test_time_zone_timestamps_are_refused(tmp_path: Path):
    path = tmp_path / "consumption_hourly_tz.parquet"
    pl.DataFrame(
        {
            "customer_id": ["C1"],
            "timestamp": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)],
            "consumption_elec_kwh": [1.0],
            "consumption_gas_m3": [0.0],
        }
    ).write_parquet(path)
    with pytest.raises(ContractError, match="local clock time") as err:
        consumption.raw_consumption(inventory(path))
    assert err.value.column == "timestamp"


def test_wrong_date_format_everywhere_stops_the_run(tmp_path: Path):
    path = write_csv(
        tmp_path / "consumption_hourly_dmy.csv",
        ["C1,04/03/2024 10:00,1.0,0", "C1,04/03/2024 11:00,1.0,0", "C1,2024-03-04 12:00:00,1.0,0"],
    )
    src = consumption.raw_consumption(inventory(path))
    month = customer_month(src)
    with pytest.raises(ContractError, match="2 of 3 rows") as err:
        consumption.quarantine_consumption(src, month, month, NO_PARENTS)
    assert err.value.column == "timestamp" and err.value.example == "04/03/2024 10:00"


def test_nanosecond_parquet_and_integer_readings_are_typed(tmp_path: Path):
    path = tmp_path / "consumption_hourly_ns.parquet"
    pl.DataFrame(
        {
            "customer_id": ["C1", "C1"],
            "timestamp": [dt.datetime(2024, 5, 6, 10), dt.datetime(2024, 5, 6, 11)],
            "consumption_elec_kwh": [1, 2],
            "consumption_gas_m3": [0, 3],
        },
        schema_overrides={"timestamp": pl.Datetime("ns")},
    ).write_parquet(path)
    month, _, recon = run(path)
    assert month["monthly_elec_kwh"].item() == 3.0 and month["monthly_gas_m3"].item() == 3.0
    assert recon.row(0) == ("consumption", 2, 2, 0, 0)


def test_parquet_proven_clean_by_statistics_still_catches_nan_and_empty_ids(tmp_path: Path):
    """Statistics show no NULL and no ±inf, so the pass skips the row check; NaN and '' are caught per month."""
    path = tmp_path / "consumption_hourly_stats.parquet"
    hours = [dt.datetime(2024, 4, 1, h) for h in range(4)]
    pl.DataFrame(
        {
            "customer_id": ["A", "A", "B", ""],
            "timestamp": hours,
            "consumption_elec_kwh": [1.0, float("nan"), 2.0, 3.0],
            "consumption_gas_m3": [0.0, 0.0, 0.5, 0.0],
        }
    ).write_parquet(path)
    src = consumption.raw_consumption(inventory(path))
    assert src.files[0].screened
    month, quarantine, recon = run(path)
    assert recon.row(0) == ("consumption", 4, 2, 2, 0)
    assert dict(zip(quarantine["_row_number"], quarantine["_reason"], strict=True)) == {
        2: "consumption_elec_kwh is not a finite number",
        4: "customer_id is empty",
    }
    assert {r["customer_id"]: r["monthly_elec_kwh"] for r in month.iter_rows(named=True)} == {
        "A": 1.0,
        "B": 2.0,
    }


def test_parquet_with_nulls_is_checked_row_by_row(tmp_path: Path):
    path = tmp_path / "consumption_hourly_nulls.parquet"
    pl.DataFrame(
        {
            "customer_id": ["A", None],
            "timestamp": [dt.datetime(2024, 4, 1, 0), dt.datetime(2024, 4, 1, 1)],
            "consumption_elec_kwh": [1.0, 2.0],
            "consumption_gas_m3": [0.0, 0.0],
        }
    ).write_parquet(path)
    assert not consumption.raw_consumption(inventory(path)).files[0].screened
    month, quarantine, recon = run(path)
    assert recon.row(0) == ("consumption", 2, 1, 1, 0) and quarantine["_reason"].to_list() == [
        "customer_id is empty"
    ]
