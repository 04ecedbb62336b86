"""The marimo notebooks: `marimo check` is clean, and each runs headless as a script on the published test
lake, through the same Hamilton driver as `spanishgas run` (their results match the published run)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest_app import ROOT, current_run, published_lake_dir

NOTEBOOKS = ROOT / "notebooks"


def _run_notebook(name: str) -> str:
    lake = published_lake_dir()
    env = {**os.environ, "SPANISHGAS_LAKE": str(lake)}
    cache = (
        lake.parent / "cache"
    )  # the Hamilton cache the test lake was built with: unchanged nodes are reused
    if cache.is_dir():
        env["SPANISHGAS_CACHE"] = str(cache)
    done = subprocess.run(
        [sys.executable, str(NOTEBOOKS / name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done.stdout


def test_marimo_check_is_clean():
    done = subprocess.run(
        [sys.executable, "-m", "marimo", "check", "--strict", str(NOTEBOOKS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.mark.slow
def test_data_layers_notebook_matches_the_published_run():
    out = _run_notebook("01_data_layers.py")
    run_id = current_run(published_lake_dir())
    assert f"parity with {run_id}: True" in out, out[-3000:]
    assert "gold_features" in out and "renewal_bucket" in out


@pytest.mark.slow
def test_modeling_notebook_matches_the_published_scores():
    out = _run_notebook("02_modeling.py")
    assert re.search(r"promotion: (promoted|rejected)", out), out[-3000:]
    found = re.search(r"'max_probability_gap': ([0-9.e-]+|None)", out)
    assert found and found.group(1) != "None", out[-3000:]
    assert float(found.group(1)) <= 1e-6, (
        f"notebook scores differ from the published ones by {found.group(1)}"
    )
