"""Lakes for the dashboard and notebook tests: a real generated + published lake, and variants of it.

Imported by tests/test_app_*.py and tests/test_notebooks.py (not a pytest conftest, so it never changes
other engineers' fixtures). The lake is built once per process and reused by every test that asks for it.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP_CUSTOMERS = int(os.environ.get("SPANISHGAS_APP_TEST_CUSTOMERS", "1500"))


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "dataflow.cli", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=3600)


@functools.cache
def published_lake_dir() -> Path:
    """Generate a small lake and run the pipeline on it once per process; returns the lake folder.

    ``$SPANISHGAS_APP_TEST_LAKE`` names an already published lake to use instead (e.g. a full-scale one).
    """
    given = os.environ.get("SPANISHGAS_APP_TEST_LAKE")
    if given:
        if not (Path(given) / "CURRENT").is_file():
            raise RuntimeError(f"$SPANISHGAS_APP_TEST_LAKE={given} has no published run (no CURRENT)")
        return Path(given)
    base = Path(tempfile.mkdtemp(prefix="sg-app-lake-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    lake = base / "lake"
    env = {**os.environ, "SPANISHGAS_CACHE": str(base / "cache")}
    env.pop("SPANISHGAS_LAKE", None)
    for args in (
        ("generate", "--lake", str(lake), "--customers", str(APP_CUSTOMERS)),
        # a lake this small has too few test churners for the promotion gate's intervals; the dashboard tests
        # need a published run, so the gate's relative tests are relaxed explicitly for them
        (
            "run",
            "--lake",
            str(lake),
            "--model-setting",
            "gate_skill_multiple=0",
            "--model-setting",
            "gate_baseline=false",
        ),
    ):
        done = _cli(*args, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"spanishgas {args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    if not (lake / "CURRENT").is_file():
        raise RuntimeError(f"spanishgas run published nothing under {lake}")
    return lake


def run_again(lake: Path, dest: Path, *args: str) -> Path:
    """A copy of ``lake`` (raw files, runs and registry) at ``dest`` with one more `spanishgas run` on it."""
    shutil.copytree(lake, dest, ignore=shutil.ignore_patterns("truth"))
    env = {**os.environ}
    cache = lake.parent / "cache"
    if cache.is_dir():
        env["SPANISHGAS_CACHE"] = str(cache)
    env.pop("SPANISHGAS_LAKE", None)
    done = _cli("run", "--lake", str(dest), *args, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"spanishgas run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return dest


def current_run(lake: Path) -> str:
    """The run id CURRENT points at."""
    return json.loads((lake / "CURRENT").read_text())["run_id"]


def copy_without(lake: Path, dest: Path, *relative: str) -> Path:
    """A copy of ``lake`` at ``dest`` with the given paths (relative to the current run) removed."""
    shutil.copytree(lake, dest, ignore=shutil.ignore_patterns("truth"))
    run = dest / "runs" / current_run(dest)
    for rel in relative:
        target = run / rel
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    return dest


@pytest.fixture(scope="session")
def app_lake() -> Path:
    """The published test lake (generated and run once per session)."""
    return published_lake_dir()
