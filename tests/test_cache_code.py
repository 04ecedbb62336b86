"""The Hamilton cache never serves a value computed by older code.

A node's cache key must cover the project code it calls, not only its own function: changing a helper
constant (``DAYS_PER_MONTH`` in ``dataflow/gold/_common.py``) must recompute every gold node that uses
it, and the published feature must change with it. The pipeline runs in a subprocess from a temporary
copy of the package, so the edit never touches the working tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dataflow

PACKAGE = Path(dataflow.__file__).parent

# build the cached ETL driver from the copy, compute gold_features, report what ran and one feature
SCRIPT = """
import json, sys
import dataflow
from dataflow import driver as dag
dr = dag.build(dag.etl_modules())
out = dr.execute(["gold_features"], inputs=dag.inputs_for(sys.argv[1]))
print(json.dumps({
    "package": dataflow.__file__,
    "executed": dag.executed_nodes(dr),
    "months_to_renewal": out["gold_features"]["months_to_renewal"].sum(),
}))
"""


@pytest.fixture(scope="module")
def small_lake(tmp_path_factory) -> Path:
    from dataflow.generate import generate

    lake = tmp_path_factory.mktemp("stale") / "lake"
    generate(str(lake), customers=400, seed=5)
    return lake


def _run(copy: Path, lake: Path, cache: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(copy), "SPANISHGAS_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(lake)],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(report["package"]).is_relative_to(copy), "the subprocess did not import the copy"
    return report


def test_changing_a_helper_constant_recomputes_its_dependents(small_lake, tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(PACKAGE, copy / "dataflow", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"

    first = _run(copy, small_lake, cache)
    assert "gold_lifecycle" in first["executed"]
    again = _run(copy, small_lake, cache)
    # the raw inventory always runs (it hashes the files), and so does the hourly map's expand step (Hamilton
    # recomputes every Parallelizable node; it only lists the files); everything else comes from the cache
    assert again["executed"] == ["consumption_batch", "raw_inventory"]

    common = copy / "dataflow" / "gold" / "_common.py"
    text = common.read_text()
    assert "DAYS_PER_MONTH = 30.44" in text
    common.write_text(text.replace("DAYS_PER_MONTH = 30.44", "DAYS_PER_MONTH = 30.0"))

    changed = _run(copy, small_lake, cache)
    assert {"gold_lifecycle", "gold_features"} <= set(changed["executed"])
    # silver does not import the gold helpers: its cached results stay valid
    assert "silver_customer" not in changed["executed"]
    assert changed["months_to_renewal"] != pytest.approx(first["months_to_renewal"])
