"""Bad rows are quarantined one by one, with a reason a person can act on, and row counts always reconcile."""

from __future__ import annotations

import datetime

import polars as pl
import pytest
from bad_inputs import DATASETS, append, edit, make_raw_lake, run_raw, write


@pytest.fixture()
def lake(tmp_path):
    return make_raw_lake(tmp_path)


def reconciled(out: dict) -> pl.DataFrame:
    """Every dataset: rows read = kept + quarantined, and the counts match the frames handed on."""
    rec = out["raw_reconciliation"]
    assert rec["dataset"].to_list() == list(DATASETS)
    assert (rec["rows_in"] == rec["rows_kept"] + rec["rows_quarantined"]).all()
    for d, kept, quarantined in rec.select("dataset", "rows_kept", "rows_quarantined").iter_rows():
        assert out[f"raw_{d}"].height == kept and out[f"quarantine_{d}"].height == quarantined
    return rec


def quarantined(out: dict, dataset: str) -> dict[int, str]:
    q = out[f"quarantine_{dataset}"]
    return dict(zip(q["_row_number"].to_list(), q["_reason"].to_list(), strict=True))


def counts(out: dict, dataset: str) -> tuple[int, int, int]:
    row = reconciled(out).filter(pl.col("dataset") == dataset).row(0)
    return row[1], row[2], row[3]


def test_valid_baseline_keeps_every_row_with_contract_types(lake):
    out = run_raw(lake)
    assert reconciled(out)["rows_quarantined"].sum() == 0
    attrs = out["raw_customer_attributes"]
    assert attrs.schema["is_industrial"] == pl.Int8 and attrs.schema["province_code"] == pl.Int16
    assert attrs["sales_channel"].to_list()[:2] == ["presencial_comercial", "comparador"]
    assert "unknown" in attrs["sales_channel"].to_list() and "desconocido" in attrs["sales_channel"].to_list()
    assert out["raw_costs_by_province_month"]["month"].dt.day().unique().to_list() == [1]
    assert out["raw_churn_label"].schema["horizon_days"] == pl.Int32
    notes = out["raw_column_notes"]
    channel = notes.filter(pl.col("column") == "sales_channel")
    assert channel["rows"].to_list() == [2]  # ' Comparador' and 'TELEMARKETING'
    zero = notes.filter(pl.col("column") == "variable_price_tier3_eur_kwh")
    assert zero["rows"].to_list() == [1] and "missing" in zero["note"][0]
    prices = out["raw_price_history"].filter(pl.col("customer_id") == "C00004")
    assert prices["variable_price_tier3_eur_kwh"].to_list() == [0.08, None]


def test_bad_date_quarantines_only_that_row(lake):
    edit(lake, "customer_contracts.csv", "C00003,2022-01-15", "C00003,2022-13-15")
    out = run_raw(lake)
    assert quarantined(out, "customer_contracts") == {
        3: "customer_first_activation_date is not a date in YYYY-MM-DD format, found '2022-13-15'"
    }
    assert counts(out, "customer_contracts") == (6, 5, 1)
    assert out["quarantine_customer_contracts"]["_source_file"][0] == "raw/customer_contracts.csv"


def test_conflicting_duplicate_key_quarantines_every_row_of_that_key(lake):
    append(lake, "customer_attributes.csv", "C00003,15,1,0,41,Andalucía,0,1,oficina")
    out = run_raw(lake)
    reasons = quarantined(out, "customer_attributes")
    assert set(reasons) == {3, 7}
    assert (
        reasons[3]
        == reasons[7]
        == (
            "customer_id 'C00003' appears on rows 3, 7 with different "
            "contracted_power_kw; we cannot tell which is right"
        )
    )
    assert counts(out, "customer_attributes") == (7, 5, 2)
    # the customer is gone, so its contract is now an orphan: quarantined too, never silently dropped
    assert quarantined(out, "customer_contracts") == {
        3: "customer quarantined in customer_attributes: customer_id 'C00003' appears on rows 3, 7 with "
        "different contracted_power_kw; we cannot tell which is right"
    }


def test_same_values_written_differently_keep_the_first_row(lake):
    append(lake, "customer_attributes.csv", "C00003,10.0,1,0,41,Andalucía,0,1, OFICINA")
    out = run_raw(lake)
    assert quarantined(out, "customer_attributes") == {
        7: "same values as row 3 (duplicate written differently)"
    }


def test_exact_duplicate_row_keeps_the_first(lake):
    append(lake, "price_history.csv", "C00002,2024-01-01,0.1450,0.1150,0.0850,4.80,3.00,0.95,60.0,40.0")
    out = run_raw(lake)
    assert quarantined(out, "price_history") == {13: "exact duplicate of row 3"}
    assert counts(out, "price_history") == (13, 12, 1)


def test_unknown_province_is_quarantined(lake):
    edit(lake, "customer_attributes.csv", "C00005,6.9,0,0,41", "C00005,6.9,0,0,99")
    out = run_raw(lake)
    assert quarantined(out, "customer_attributes") == {
        5: "province_code '99' is not in costs_by_province_month.csv (no costs for that province)"
    }


def test_non_positive_contracted_power_is_quarantined(lake):
    edit(lake, "customer_attributes.csv", "C00002,3.45", "C00002,-3.45")
    edit(lake, "customer_attributes.csv", "C00004,5.75", "C00004,0")
    out = run_raw(lake)
    assert quarantined(out, "customer_attributes") == {
        2: "contracted_power_kw must be greater than 0, found '-3.45'",
        4: "contracted_power_kw must be greater than 0, found '0'",
    }


def test_text_in_a_numeric_column_is_quarantined(lake):
    edit(lake, "price_history.csv", "C00005,2024-02-01,0.1620", "C00005,2024-02-01,n/a")
    edit(lake, "price_history.csv", "C00006,2024-01-01,0.1280,0.0980", "C00006,2024-01-01,0.1280,0,098")
    out = run_raw(lake)
    reasons = quarantined(out, "price_history")
    assert reasons[10] == (
        "variable_price_tier1_eur_kwh is not a number (with '.' as decimal point), found 'n/a'"
    )
    assert reasons[11].startswith("row has 11 values but the header has 10 columns")
    assert counts(out, "price_history") == (12, 10, 2)


def test_row_with_too_few_values_is_quarantined_with_its_text(lake):
    append(lake, "customer_attributes.csv", "C00007,4.6,0")
    out = run_raw(lake)
    assert quarantined(out, "customer_attributes") == {
        7: "row has 3 values but the header has 9 columns (a stray comma or quote?): 'C00007,4.6,0'"
    }
    assert counts(out, "customer_attributes") == (7, 6, 1)


def test_flag_value_two_is_quarantined(lake):
    edit(lake, "customer_attributes.csv", "C00006,15,1,0,8,Cataluña,1,1", "C00006,15,2,0,8,Cataluña,1,1")
    out = run_raw(lake)
    assert quarantined(out, "customer_attributes") == {6: "is_industrial is not 0 or 1, found '2'"}


def test_empty_customer_id_in_prices_is_quarantined(lake):
    append(lake, "price_history.csv", ",2024-02-01,0.1500,0.1200,0.0900,5.00,3.00,,,")
    out = run_raw(lake)
    assert quarantined(out, "price_history") == {13: "customer_id is empty"}
    assert out["quarantine_price_history"]["pricing_date"][0] == "2024-02-01"  # original text kept


def test_negative_price_and_cost_are_quarantined(lake):
    edit(
        lake,
        "price_history.csv",
        "C00003,2024-02-01,0.1340,0.1040,0.0740,12.50",
        "C00003,2024-02-01,0.1340,0.1040,0.0740,-12.50",
    )
    edit(lake, "costs_by_province_month.csv", "2024-03,41,0.0800", "2024-03,41,-0.0800")
    out = run_raw(lake)
    assert quarantined(out, "price_history") == {
        6: "elec_fixed_fee_eur_month must not be negative, found '-12.50'"
    }
    assert quarantined(out, "costs_by_province_month") == {
        9: "elec_var_cost_eur_kwh must not be negative, found '-0.0800'"
    }


def test_label_inconsistencies_are_quarantined(lake):
    edit(lake, "churn_label.csv", "C00002,2024-10-01,90,1,2024-11-15", "C00002,2024-10-01,90,1,2025-02-01")
    edit(lake, "churn_label.csv", "C00003,2024-10-01,90,0,", "C00003,2024-10-01,90,0,2024-10-20")
    edit(lake, "churn_label.csv", "C00004,2024-10-01,90,0,", "C00004,2024-10-01,90,1,")
    out = run_raw(lake)
    assert quarantined(out, "churn_label") == {
        2: "churned_within_horizon is 1 but churn_effective_date '2025-02-01' is outside the label window "
        "[2024-10-01, 2024-12-30)",
        3: "churn_effective_date is set ('2024-10-20') but churned_within_horizon is 0",
        4: "churned_within_horizon is 1 but churn_effective_date is empty",
    }
    assert counts(out, "churn_label") == (7, 4, 3)


def test_orphan_customers_are_quarantined_in_every_dependent_file(lake):
    append(lake, "customer_contracts.csv", "C99999,2020-01-01,2024-01-01,,2025-01-01")
    append(lake, "churn_label.csv", "C99999,2024-10-01,90,0,")
    out = run_raw(lake)
    assert quarantined(out, "customer_contracts") == {
        7: "customer_id 'C99999' is not in customer_attributes.csv"
    }
    assert quarantined(out, "churn_label") == {8: "customer_id 'C99999' is not in customer_attributes.csv"}


def test_bad_interaction_records_are_quarantined_by_array_index(lake):
    write(
        lake,
        "customer_interactions.json",
        """[
      {"customer_id": "C00001", "date": "2024-05-03", "channel": "phone", "interaction_summary": "ok"},
      {"customer_id": "C00002", "channel": "email", "interaction_summary": "no date key"},
      ["C00003", "2024-06-01", "chat", "an array, not an object"],
      {"customer_id": "C00005", "date": "2024-07-20", "channel": "Office ", "interaction_summary": "x"},
      {"customer_id": "C00005", "date": "2024-07-20", "channel": "Office ", "interaction_summary": "x"}
    ]""",
    )
    out = run_raw(lake)
    reasons = quarantined(out, "customer_interactions")
    assert reasons[1] == "record at array index 1 has no 'date' key"
    assert reasons[2].startswith("record at array index 2 is a JSON list, not an object")
    assert reasons[4] == "exact duplicate of row 3"
    assert set(reasons) == {1, 2, 4}
    assert out["raw_customer_interactions"]["channel"].to_list() == ["phone", "office"]


def test_legacy_label_form_is_converted_with_configured_as_of_and_horizon(lake):
    write(lake, "churn_label.csv", "customer_id,churn\nC00001,0\nC00002,1\nC00003,0\nC00004,3\nC00005,0\n")
    out = run_raw(lake, as_of=datetime.date(2024, 12, 31), horizon=120)
    labels = out["raw_churn_label"]
    assert labels.columns == [
        "customer_id",
        "label_date",
        "horizon_days",
        "churned_within_horizon",
        "churn_effective_date",
    ]
    assert labels["label_date"].unique().to_list() == [datetime.date(2024, 12, 31)]
    assert labels["horizon_days"].unique().to_list() == [120]
    assert labels.filter(pl.col("churned_within_horizon") == 1)["customer_id"].to_list() == ["C00002"]
    assert labels["churn_effective_date"].null_count() == labels.height == 4
    assert quarantined(out, "churn_label") == {4: "churn is not 0 or 1, found '3'"}
    assert "legacy" in out["raw_column_notes"].filter(pl.col("dataset") == "churn_label")["note"][0]
