"""The generator: the raw contract's exact formats, keys, label/reading consistency, determinism, S3."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataflow.cli import main
from dataflow.generate import generate
from dataflow.generate.calibrate import figures
from dataflow.lake import Lake

N = 1500
COLUMNS = {
    "customer_attributes.csv": "customer_id,contracted_power_kw,is_industrial,is_second_residence,province_code,"
    "region,is_high_competition_province,is_urban,sales_channel",
    "customer_contracts.csv": "customer_id,customer_first_activation_date,contract_start_date,"
    "last_product_change_date,next_renewal_date",
    "price_history.csv": "customer_id,pricing_date,variable_price_tier1_eur_kwh,variable_price_tier2_eur_kwh,"
    "variable_price_tier3_eur_kwh,elec_fixed_fee_eur_month,elec_fixed_cost_eur_month,"
    "gas_variable_price_eur_m3,gas_fixed_revenue_eur_year,gas_fixed_cost_eur_year",
    "costs_by_province_month.csv": "month,province,elec_var_cost_eur_kwh,gas_var_cost_eur_m3,peaje_elec_eur_kwh",
    "churn_label.csv": "customer_id,label_date,horizon_days,churned_within_horizon,churn_effective_date",
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    generate(str(root), customers=N, seed=42)
    return root


def _csv(lake: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(lake / "raw" / name, infer_schema_length=0)


def _readings(lake: Path) -> tuple[duckdb.DuckDBPyConnection, str]:
    con = duckdb.connect()
    return con, f"read_parquet('{lake}/raw/consumption_hourly_*.parquet')"


def test_raw_files_columns_and_types(lake):
    names = sorted(p.name for p in (lake / "raw").iterdir())
    assert names == sorted(
        [
            *COLUMNS,
            "customer_interactions.json",
            *[f"consumption_hourly_2024-{m:02d}.parquet" for m in range(1, 13)],
            "_READY",  # the upload-complete marker, written last
        ]
    )
    ready = json.loads((lake / "raw" / "_READY").read_text(encoding="utf-8"))
    assert set(ready["files"]) == set(names) - {"_READY"}
    assert all(ready["files"][n] == (lake / "raw" / n).stat().st_size for n in ready["files"])
    for name, header in COLUMNS.items():
        assert (lake / "raw" / name).read_text(encoding="utf-8").splitlines()[0] == header
    for p in (lake / "raw").glob("consumption_hourly_*.parquet"):
        assert pq.read_schema(p) == pa.schema(
            [
                ("customer_id", pa.string()),
                ("timestamp", pa.timestamp("us")),
                ("consumption_elec_kwh", pa.float64()),
                ("consumption_gas_m3", pa.float64()),
            ]
        )
    recs = json.loads((lake / "raw" / "customer_interactions.json").read_text(encoding="utf-8"))
    assert isinstance(recs, list) and recs
    assert all(set(r) == {"customer_id", "date", "channel", "interaction_summary"} for r in recs)
    assert all(isinstance(v, str) for r in recs for v in r.values())
    a = _csv(lake, "customer_attributes.csv")
    assert a["customer_id"].str.contains(r"^C\d{5}$").all()
    assert set(a["is_industrial"].unique()) <= {"0", "1"}
    assert a["province_code"].cast(pl.Int64).is_between(1, 52).all()
    c = _csv(lake, "customer_contracts.csv")
    for col in c.columns[1:]:
        assert c[col].drop_nulls().str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    lab = _csv(lake, "churn_label.csv")
    assert set(lab["churned_within_horizon"].unique()) == {"0", "1"} and set(lab["horizon_days"]) == {"90"}


def test_keys_are_unique_apart_from_deliberate_dirt(lake):
    for name in ("customer_attributes.csv", "customer_contracts.csv"):
        df = _csv(lake, name)
        dedup = df.unique()
        assert 0 < len(df) - len(dedup) < 10  # a few exact duplicates…
        assert dedup["customer_id"].is_unique().all()  # …and nothing else
    ph = _csv(lake, "price_history.csv")
    blank = ph.filter(pl.col("customer_id").is_null())
    assert 0 < len(blank) < 0.03 * N
    named = ph.filter(pl.col("customer_id").is_not_null())
    assert 0 < len(named) - len(named.unique()) < 10
    assert not named.unique().select("customer_id", "pricing_date").is_duplicated().any()
    recs = pl.DataFrame(json.loads((lake / "raw" / "customer_interactions.json").read_text()))
    assert not recs.select("customer_id", "date").is_duplicated().any()
    assert not _csv(lake, "churn_label.csv").select("customer_id", "label_date").is_duplicated().any()
    con, src = _readings(lake)
    n, k = con.sql(f"SELECT count(*), count(DISTINCT (customer_id, timestamp)) FROM {src}").fetchall()[0]
    assert n == k


def test_labels_are_consistent_with_contracts_and_readings(lake):
    lab = _csv(lake, "churn_label.csv").with_columns(
        pl.col("label_date").str.to_date(), pl.col("churn_effective_date").str.to_date()
    )
    churned = lab["churned_within_horizon"] == "1"
    eff, d = lab["churn_effective_date"], lab["label_date"]
    inside = eff.is_not_null() & (eff >= d) & ((eff - d).dt.total_days() < 90)
    assert (churned == inside).all() and (eff.is_not_null() == churned).all()
    con, src = _readings(lake)
    last = con.sql(
        f"SELECT customer_id, min(timestamp) AS t0, max(timestamp) AS t1 FROM {src} GROUP BY 1"
    ).pl()
    c = (
        _csv(lake, "customer_contracts.csv")
        .unique()
        .with_columns(pl.col("customer_first_activation_date").str.to_date())
    )
    j = lab.join(c, on="customer_id").join(last, on="customer_id")
    assert len(j) == len(lab)
    assert (j["customer_first_activation_date"] < j["label_date"]).all()  # activated before the as-of date
    one = pl.duration(days=1)
    assert j.select((pl.col("t1").dt.date() >= pl.col("label_date") - one).all()).item()  # not churned before
    left = j.filter(
        pl.col("churned_within_horizon") == "1", pl.col("churn_effective_date") < pl.date(2025, 1, 1)
    )
    assert left.select((pl.col("t1").dt.date() == pl.col("churn_effective_date") - one).all()).item()


def test_readings_only_in_active_period(lake):
    con, src = _readings(lake)
    per = con.sql(
        f"SELECT customer_id, min(timestamp) AS t0, max(timestamp) AS t1, count(*) AS n FROM {src} GROUP BY 1"
    ).pl()
    c = (
        _csv(lake, "customer_contracts.csv")
        .unique()
        .with_columns(pl.col("customer_first_activation_date").str.to_date())
    )
    truth = pl.read_parquet(lake / "truth" / "customers.parquet")
    j = per.join(c, on="customer_id").join(truth.select("customer_id", "churn_date"), on="customer_id")
    start = pl.max_horizontal(pl.col("customer_first_activation_date"), pl.date(2024, 1, 1))
    assert j.select((pl.col("t0").dt.date() == start).all()).item()
    assert (
        j.filter(pl.col("churn_date").is_not_null())
        .select((pl.col("t1").dt.date() < pl.col("churn_date")).all())
        .item()
    )
    assert j.select((pl.col("n") == (pl.col("t1") - pl.col("t0")).dt.total_hours() + 1).all()).item()


def test_truth_never_under_raw(lake):
    assert (lake / "truth" / "scoring_snapshot.csv").exists()
    for p in (lake / "raw").iterdir():
        assert not any(w in p.name for w in ("truth", "proba", "snapshot", "generator"))
        if p.suffix == ".json":  # field names only: free-text summaries may legitimately say "dissatisfied"
            head = sorted({k for r in json.loads(p.read_text(encoding="utf-8")) for k in r})
        else:
            head = pq.read_schema(p).names if p.suffix == ".parquet" else p.read_text(encoding="utf-8")[:2000]
        assert not any(w in str(head) for w in ("true_proba", "dissatisf", "eta_20", "p_leave"))
    snap = pl.read_csv(lake / "truth" / "scoring_snapshot.csv")
    assert len(snap) == N and snap["true_proba"].is_between(0, 1).all()


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_arguments_same_bytes(tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate(str(tmp_path / name), customers=300, seed=seed)
    a, b, c = (_digests(tmp_path / x) for x in "abc")
    assert a == b and len(a) == 12 + 6 + 4 + 1  # + raw/_READY
    assert sum(a[k] != c[k] for k in a) == len(a)  # another seed changes every file


def test_world_presets_are_deterministic_and_differ(tmp_path):
    """A preset world gives the same bytes for the same arguments, other texts and other churn constants
    than the default world, and leaves the calibration module as it found it."""
    from dataflow.generate import calibration as C
    from dataflow.generate.worlds import WORLDS, applied

    before = (C.RENEW_K0, C.TEXT_STYLE, dict(C.CONTACT_P_LOW))
    for name, world in (("a", "faint"), ("b", "faint"), ("c", "default")):
        generate(str(tmp_path / name), customers=300, seed=7, world=world)
    a, b, c = (_digests(tmp_path / x) for x in "abc")
    assert a == b
    assert a["raw/customer_interactions.json"] != c["raw/customer_interactions.json"]
    assert (C.RENEW_K0, C.TEXT_STYLE, dict(C.CONTACT_P_LOW)) == before
    doc = json.loads((tmp_path / "a" / "truth" / "generator.json").read_text())
    assert doc["world"] == "faint" and doc["calibration"]["TEXT_STYLE"] == "mixed"
    texts = [
        r["interaction_summary"]
        for r in json.loads((tmp_path / "a/raw/customer_interactions.json").read_text())
    ]
    assert any(" x " in t or "renov" in t for t in texts)  # Spanish/English shorthand
    assert set(WORLDS) >= {"default", "faint", "sharp", "quiet"}
    assert all(w.customers >= 12_000 for w in WORLDS.values())
    with pytest.raises(Exception, match="unknown world"), applied("nowhere"):
        pass


def test_csv_consumption_format(tmp_path):
    generate(str(tmp_path), customers=60, seed=3, consumption_format="csv")
    lines = (tmp_path / "raw" / "consumption_hourly_2024.csv").read_text().splitlines()
    assert lines[0] == "customer_id,timestamp,consumption_elec_kwh,consumption_gas_m3"
    assert lines[1].startswith("C00001,2024-") and lines[1].split(",")[1][10:] in (" 00:00:00",)
    assert not list((tmp_path / "raw").glob("*.parquet"))


def test_generate_to_s3_and_profile_back(s3_bucket):
    from dataflow.profile import profile

    uri = f"s3://{s3_bucket}/lake"
    summary = generate(uri, customers=300, seed=5)
    keys = Lake.open(uri).list("raw/")
    assert "raw/churn_label.csv" in keys and len([k for k in keys if "consumption_hourly_" in k]) == 12
    assert "generated s3://" in summary.describe()
    report = profile(uri)
    assert len(report.rows) > 80
    structural = [r for r in report.rows if r.tolerance == "exact"]
    assert structural and all(r.status == "PASS" for r in structural)


def test_cli_exit_codes(tmp_path, capsys):
    assert main(["generate", "--lake", str(tmp_path / "l"), "--customers", "100", "--seed", "1"]) == 0
    assert "generated" in capsys.readouterr().out
    assert main(["profile", "--lake", str(tmp_path / "empty")]) == 1
    assert "missing" in capsys.readouterr().err


def test_calibration_helper_runs():
    f = figures(customers=2000, seed=1)
    assert 0.05 < f["annual_churn_2024_cohort"] < 0.16
    assert f["in_window_rate"] > 5 * f["outside_rate"]


def test_ceiling_is_the_truth_where_nothing_is_latent(tmp_path):
    """Outside the renewal window nothing latent matters: the ceiling equals the true probability there; inside
    it the ceiling integrates the unseen episode, so it is never more extreme in total than the truth allows."""
    from dataflow.generate import calibration as C
    from dataflow.generate import ceiling, interactions, labels, population, rng

    book = population.draw_book(3000, 5)
    sched = interactions.schedule(rng.stream(5, rng.INTERACTIONS), book)
    idx = labels.active_on(book, C.SCORING_DAY)
    from dataflow.generate.churn import true_proba

    q = true_proba(book, idx, np.full(len(idx), C.SCORING_DAY), 90)
    c, check = ceiling.ceiling_proba(book, sched, idx, C.SCORING_DAY, 90, 5)
    win = ceiling.in_window(book, idx, C.SCORING_DAY, 90) & ~book["expired"][idx]
    assert np.allclose(c[~win], q[~win]) and win.sum() == check["in_window"] > 200
    assert abs(c.sum() - q.sum()) / q.sum() < 0.05  # calibrated in the large, like the truth
    assert check["posterior_brier"] < check["prior_only_brier"] / 5  # contacts reveal most episodes
    assert check["aux_customers"] == 30_000 and ceiling.aux_size(12_000) == 120_000 == ceiling.aux_size(
        20_099
    )
    # E[p | episode] integrates D's Beta law: between the renewal odds at D's 1st and 99th percentile
    lo, hi = (ceiling.expected_renewal_p(np.array([0.0]), ep)[0] for ep in (False, True))
    assert 0 < lo < 0.05 < 0.3 < hi < 1
