"""The profiler: the generator's default output passes every row; broken data fails (exit code 1)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from dataflow.cli import main
from dataflow.generate import generate
from dataflow.profile import profile


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    generate(str(root), customers=1500, seed=42)
    return root


def test_generated_data_passes_every_row(lake):
    report = profile(str(lake))
    failed = [r for r in report.rows if r.status == "FAIL"]
    assert report.passed, report.table()
    assert not failed and report.customers == 1500 and len(report.rows) > 80
    sections = {r.section for r in report.rows}
    assert sections == {"customers", "contracts", "readings", "prices", "costs", "interactions", "labels"}
    table = report.table()
    assert table.splitlines()[0].split("|")[0].strip() == "section" and "PASS" in table


def test_cli_profile_exit_zero(lake, capsys):
    assert main(["profile", "--lake", str(lake)]) == 0
    assert "all within tolerance" in capsys.readouterr().out


def test_broken_data_fails(lake, tmp_path, capsys):
    bad = tmp_path / "bad"
    shutil.copytree(lake, bad)
    lab = pl.read_csv(bad / "raw" / "churn_label.csv", infer_schema_length=0)
    lab = lab.with_columns(pl.lit("1").alias("churned_within_horizon"))  # labels contradict the dates
    lab.write_csv(bad / "raw" / "churn_label.csv")
    a = pl.read_csv(bad / "raw" / "customer_attributes.csv", infer_schema_length=0)
    a.with_columns(pl.lit("1").alias("is_industrial")).write_csv(bad / "raw" / "customer_attributes.csv")
    report = profile(str(bad))
    failed = {r.metric for r in report.rows if r.status == "FAIL"}
    assert "industrial share" in failed
    assert "label = 1 exactly when churn date in [as-of, as-of + horizon)" in failed
    assert main(["profile", "--lake", str(bad)]) == 1
    assert "FAILED" in capsys.readouterr().out
