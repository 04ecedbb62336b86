"""Whole-file problems stop the run with one message naming the file, the column, the rule and an example."""

from __future__ import annotations

import hashlib

import pytest
from bad_inputs import edit, make_raw_lake, path, run_raw, write

from dataflow.errors import ContractError
from dataflow.raw.inventory import raw_inventory


@pytest.fixture()
def lake(tmp_path):
    return make_raw_lake(tmp_path)


def contract_error(lake) -> ContractError:
    with pytest.raises(ContractError) as info:
        run_raw(lake)
    return info.value


def test_inventory_lists_and_fingerprints_every_raw_file(lake):
    inv = raw_inventory(str(lake))
    assert sorted(inv.files) == sorted(
        [
            "customer_attributes",
            "customer_contracts",
            "price_history",
            "costs_by_province_month",
            "customer_interactions",
            "churn_label",
        ]
    )
    prices = inv.files["price_history"]
    content = path(lake, "price_history.csv").read_bytes()
    assert (prices.key, prices.size, prices.format) == ("raw/price_history.csv", len(content), "csv")
    assert prices.sha256 == hashlib.sha256(content).hexdigest()
    assert [f.key for f in inv.consumption] == ["raw/consumption_hourly_2024.parquet"]
    assert inv.consumption[0].format == "parquet"


def test_missing_file_names_it_and_lists_what_is_there(lake):
    path(lake, "customer_contracts.csv").unlink()
    err = contract_error(lake)
    assert err.file == "raw/customer_contracts.csv" and err.column is None
    assert "file is missing" in err.rule and "activation" in err.rule
    assert "customer_attributes.csv" in err.rule and "consumption_hourly_2024.parquet" in err.rule


def test_no_consumption_file_stops_the_run(lake):
    path(lake, "consumption_hourly_2024.parquet").unlink()
    err = contract_error(lake)
    assert "no hourly consumption file" in err.rule and "churn_label.csv" in err.rule


def test_consumption_file_in_an_unsupported_format(lake):
    write(lake, "consumption_hourly_2025.xlsx", b"PK\x03\x04")
    err = contract_error(lake)
    assert err.file == "raw/consumption_hourly_2025.xlsx" and ".xlsx" in err.rule


def test_missing_column_names_it_and_shows_the_header(lake):
    write(
        lake,
        "customer_attributes.csv",
        path(lake, "customer_attributes.csv").read_text().replace(",is_urban,", ",urban,"),
    )
    err = contract_error(lake)
    assert (err.file, err.column) == ("raw/customer_attributes.csv", "is_urban")
    assert "required column(s) ['is_urban'] missing" in err.rule and "'urban'" in err.rule


def test_empty_file(lake):
    write(lake, "price_history.csv", b"")
    err = contract_error(lake)
    assert err.file == "raw/price_history.csv" and "empty" in err.rule


def test_header_only_file(lake):
    write(
        lake,
        "costs_by_province_month.csv",
        "month,province,elec_var_cost_eur_kwh,gas_var_cost_eur_m3,peaje_elec_eur_kwh\n",
    )
    err = contract_error(lake)
    assert err.file == "raw/costs_by_province_month.csv" and "no data rows" in err.rule


def test_wrong_separator(lake):
    write(lake, "customer_contracts.csv", path(lake, "customer_contracts.csv").read_text().replace(",", ";"))
    err = contract_error(lake)
    assert err.file == "raw/customer_contracts.csv" and "only one column" in err.rule and "';'" in err.rule
    assert err.example.startswith("customer_id;customer_first_activation_date")


def test_binary_garbage_instead_of_csv(lake):
    write(lake, "customer_contracts.csv", bytes(range(256)) * 4)
    err = contract_error(lake)
    assert err.file == "raw/customer_contracts.csv" and "UTF-8" in err.rule and err.example


def test_dates_in_another_format_stop_the_run(lake):
    lines = path(lake, "customer_contracts.csv").read_text().splitlines()
    for i in range(1, 5):  # 4 of 6 contract start dates written day/month/year
        parts = lines[i].split(",")
        y, m, d = parts[2].split("-")
        lines[i] = ",".join([*parts[:2], f"{d}/{m}/{y}", *parts[3:]])
    text = "\n".join(lines) + "\n"
    write(lake, "customer_contracts.csv", text)
    err = contract_error(lake)
    assert (err.file, err.column, err.example) == (
        "raw/customer_contracts.csv",
        "contract_start_date",
        "10/03/2024",
    )
    assert "4 of 6 rows break the rule 'must be a date in YYYY-MM-DD format'" in err.rule


def test_truncated_json(lake):
    text = path(lake, "customer_interactions.json").read_text()
    write(lake, "customer_interactions.json", text[: len(text) // 2])
    err = contract_error(lake)
    assert err.file == "raw/customer_interactions.json" and "not valid JSON" in err.rule
    assert "truncated" in err.rule and err.example.startswith("[")


def test_json_that_is_not_an_array(lake):
    write(lake, "customer_interactions.json", '{"customer_id": "C00001", "date": "2024-05-03"}')
    err = contract_error(lake)
    assert "must be one JSON array" in err.rule and "found a JSON dict" in err.rule


def test_json_lines_instead_of_one_array(lake):
    write(
        lake,
        "customer_interactions.json",
        '{"customer_id": "C00001", "date": "2024-05-03", "channel": '
        '"phone", "interaction_summary": "a"}\n{"customer_id": "C00002", "date": "2024-05-04", '
        '"channel": "chat", "interaction_summary": "b"}\n',
    )
    err = contract_error(lake)
    assert "JSON Lines" in err.rule


def test_json_key_renamed_in_every_record(lake):
    write(
        lake,
        "customer_interactions.json",
        path(lake, "customer_interactions.json").read_text().replace('"date"', '"interaction_date"'),
    )
    err = contract_error(lake)
    assert (err.file, err.column) == ("raw/customer_interactions.json", "date")
    assert "missing in 5 of 5 records" in err.rule and "interaction_date" in err.rule


def test_empty_json_array(lake):
    write(lake, "customer_interactions.json", "[]")
    err = contract_error(lake)
    assert "no records" in err.rule


def test_whole_raw_layer_reads_from_s3(s3_bucket, tmp_path):
    """The same nodes read an s3:// lake (moto server over HTTP): files are downloaded once, then screened."""
    import boto3

    local = make_raw_lake(tmp_path)
    s3 = boto3.client("s3")
    for f in (local / "raw").iterdir():
        s3.upload_file(str(f), s3_bucket, f"lake/raw/{f.name}")
    out = run_raw(f"s3://{s3_bucket}/lake", "raw_inventory", "raw_reconciliation")
    assert (
        out["raw_inventory"].files["price_history"].sha256
        == hashlib.sha256(path(local, "price_history.csv").read_bytes()).hexdigest()
    )
    assert out["raw_reconciliation"]["rows_quarantined"].sum() == 0


def test_a_changed_file_is_seen_even_with_the_hamilton_cache_on(tmp_path):
    """raw_inventory always recomputes its hashes, so a file edited under the same lake_uri is re-read."""
    import datetime

    from hamilton import driver

    from dataflow import raw

    lake = make_raw_lake(tmp_path / "lake")
    dr = driver.Builder().with_modules(*raw.MODULES).with_cache(path=str(tmp_path / "cache")).build()
    inputs = {
        "lake_uri": str(lake),
        "legacy_label_as_of": datetime.date(2024, 12, 31),
        "legacy_label_horizon_days": 90,
    }
    before = dr.execute(["raw_reconciliation"], inputs=inputs)["raw_reconciliation"]
    edit(lake, "customer_contracts.csv", "C00003,2022-01-15", "C00003,2022-13-15")
    after = dr.execute(["raw_reconciliation"], inputs=inputs)["raw_reconciliation"]
    # the bad contract row, and C00003's attribute row, 2 price rows and label row it leaves orphaned
    assert before["rows_quarantined"].sum() == 0 and after["rows_quarantined"].to_list() == [1, 1, 2, 0, 0, 1]
