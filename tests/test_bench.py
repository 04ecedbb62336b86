"""The benchmark's bookkeeping: peak memory per DAG layer from progress lines and RSS samples, and the curve plot."""

from __future__ import annotations

import pytest

from dataflow.bench import _book_sizes, main
from dataflow.bench_curve import plot
from dataflow.bench_measure import bytecode_env, layer_peaks, node_growth

MB = 2**20


def test_layer_peak_is_the_largest_sample_while_one_of_its_nodes_ran():
    lines = [
        (0.2, "run run-x: computing 3 outputs"),
        (2.0, "  [raw    ] price_history_screening                   1.00s ok"),  # ran 1.0 → 2.0
        (3.0, "  [bronze ] consumption_customer_month                0.40s ok"),  # ran 2.6 → 3.0
        (4.0, "  [raw    ] churn_label_screening                     0.50s ok"),  # ran 3.5 → 4.0
    ]
    samples = [(0.5, 100 * MB), (1.5, 300 * MB), (2.5, 900 * MB), (2.8, 200 * MB), (3.7, 250 * MB)]
    # 2.5 s is between two nodes (both layers miss it); the raw layer's two nodes peak at 300 and 250 MB
    assert layer_peaks(lines, samples) == {"raw": 300.0, "bronze": 200.0}


def test_node_growth_is_rss_at_its_end_minus_rss_at_its_start():
    lines = [
        (2.0, "  [raw    ] a                   1.00s ok"),  # 1.0 → 2.0: last samples 100 MB then 300 MB
        (3.0, "  [bronze ] b                   0.40s ok"),  # 2.6 → 3.0: 900 MB then 200 MB
    ]
    samples = [(0.5, 100 * MB), (1.5, 300 * MB), (2.5, 900 * MB), (2.8, 200 * MB)]
    assert node_growth(lines, samples) == {"a": 200.0, "b": -700.0}


def test_no_progress_lines_no_layers():
    assert layer_peaks([(1.0, "generated 20,000 customers")], [(0.5, 100 * MB)]) == {}


def test_bytecode_cached_under_the_scratch_root(monkeypatch, tmp_path):
    monkeypatch.setenv("SPANISHGAS_SCRATCH", str(tmp_path))
    env = bytecode_env({"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/bin"})
    assert env == {"PATH": "/bin", "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}


def test_curve_plot_is_written(tmp_path):
    point = {
        "run_cold_stage_seconds": {"raw": 2.0, "bronze": 5.0, "model": 8.0, "write": 0.5},
        "stages": {"run_cold": {"seconds": 20.0, "peak_rss_mb": 1500.0}, "generate": {"peak_rss_mb": 900.0}},
        "load_average_at_start": [0.4, 0.3, 0.2],
    }
    doc = {
        "machine": {"cpus": 2},
        "points": [{**point, "customers": 20_000}, {**point, "customers": 60_000}, {"customers": 200_000}],
    }
    plot(doc, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_bad_curve_is_a_usage_error_naming_the_value(capsys):
    assert _book_sizes("20000,60_000, 200000") == [20000, 60000, 200000]
    with pytest.raises(SystemExit) as stop:
        main(["--curve", "20k,60k"])
    assert stop.value.code == 2
    assert "expected customer counts like 20000,60000,200000, got '20k,60k'" in capsys.readouterr().err
