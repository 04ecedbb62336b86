"""The `spanishgas` command: DAG image, lineage answers and one-paragraph errors (no tracebacks)."""

from __future__ import annotations

import shutil

import pytest

from dataflow.cli import main
from dataflow.errors import UserError
from dataflow.lineage import lineage


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_dag_renders_a_png(tmp_path, capsys):
    out = tmp_path / "dag.png"
    assert main(["dag", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert str(out) in capsys.readouterr().out


def test_lineage_of_a_raw_file_follows_the_dag():
    lin = lineage("price_history.csv")
    assert lin.node == "raw_price_history"
    assert "raw_inventory" in lin.upstream
    # prices feed the imputed margins, the gold market tiers and everything scored from them
    for downstream in (
        "silver_customer_month",
        "gold_market_risk",
        "gold_features",
        "scores",
        "recommendations",
    ):
        assert downstream in lin.downstream
    # ...but not the hourly aggregation
    assert "bronze_customer_month" not in lin.downstream


def test_lineage_of_a_node_lists_its_inputs():
    lin = lineage("silver_customer_month")
    assert {"bronze_customer_month", "raw_price_history", "raw_costs_by_province_month"} <= set(lin.upstream)
    assert "gold_features" in lin.downstream
    assert "depends on" in lin.describe() and "feeds" in lin.describe()


def test_unknown_lineage_name_suggests_close_ones():
    with pytest.raises(UserError, match="Did you mean.*gold_features"):
        lineage("gold_feature")


def test_errors_are_one_paragraph_without_traceback(tmp_path, capsys):
    assert main(["run", "--lake", str(tmp_path / "empty")]) == 1
    err = capsys.readouterr().err
    assert "customer_attributes.csv" in err and "missing" in err
    assert "Traceback" not in err
    assert main(["run", "--lake", str(tmp_path), "--scoring-date", "tomorrow"]) == 1
    assert "--scoring-date expects a date like 2025-01-01, got 'tomorrow'" in capsys.readouterr().err
    assert main(["run", "--lake", str(tmp_path), "--model-setting", "nonsense"]) == 1
    assert "KEY=VALUE" in capsys.readouterr().err


def test_lineage_command_prints(capsys):
    assert main(["lineage", "customer_interactions.json"]) == 0
    out = capsys.readouterr().out
    assert "raw_customer_interactions" in out and "silver_interactions" in out
