"""The same DAG on Dask: `--executor dask` publishes the same tables as `local`, even when a worker dies mid-map.

One small generated lake is run three times, each from its own copy with its own Hamilton cache (so every map
task really runs): in this process, on a local Dask cluster the pipeline starts itself (2 workers), and on an
existing cluster reached by its scheduler address, one of whose workers kills itself as the first map task starts.
"""

from __future__ import annotations

import os
import shutil
import sys
import types
from pathlib import Path

import polars as pl
import pytest
from distributed import Client, LocalCluster, WorkerPlugin
from polars.testing import assert_frame_equal

from dataflow import driver as dag
from dataflow.cli import main
from dataflow.config import PipelineConfig
from dataflow.pipeline import run_pipeline

CUSTOMERS = 300
FILES = 12  # the generator writes one consumption file per month of 2024: one map task each on Dask
# ~10 churners in the test snapshot make PR-AUC too noisy for the promotion gate's relative tests (test_pipeline.py)
CONFIG = PipelineConfig(model_overrides={"gate_skill_multiple": 0.0, "gate_baseline": False})


@pytest.fixture(scope="module", autouse=True)
def plain_main_module():
    """Dask's Nanny starts workers with multiprocessing's spawn, which re-runs the parent's ``__main__`` file
    in every worker; Streamlit's AppTest (an earlier test module) leaves its script installed as ``__main__``.
    A plain ``__main__``, as under ``spanishgas run``, keeps the workers from running the dashboard."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
        yield


@pytest.fixture(scope="module")
def raw_lake(tmp_path_factory) -> Path:
    from dataflow.generate import generate

    lake = tmp_path_factory.mktemp("dask") / "lake"
    generate(str(lake), customers=CUSTOMERS, seed=3)
    return lake


def _run(raw_lake: Path, where: Path, monkeypatch, **executor) -> tuple[Path, str, list[str]]:
    """Run the pipeline on a fresh copy of the lake with a cache of its own; returns lake, run id, progress."""
    monkeypatch.setenv("SPANISHGAS_CACHE", str(where / "cache"))
    lake = where / "lake"
    shutil.copytree(raw_lake / "raw", lake / "raw")
    lines: list[str] = []
    result = run_pipeline(str(lake), CONFIG, progress=lines.append, **executor)
    assert result.status == "published", result.message
    return lake, result.run_id, lines


@pytest.fixture(scope="module")
def local_run(raw_lake, tmp_path_factory) -> tuple[Path, str]:
    with pytest.MonkeyPatch.context() as mp:
        lake, run_id, lines = _run(raw_lake, tmp_path_factory.mktemp("local"), mp, executor="local")
    # in this process the whole small book is one batch (one task); on Dask, one task per file
    assert sum("consumption_batch_sums[" in line and "(Dask worker)" not in line for line in lines) == 1
    return lake, run_id


def _published(lake: Path, run_id: str) -> dict[str, pl.DataFrame]:
    """Every table the run published: runs/<id>/**.parquet and quarantine/<id>/*.parquet."""
    files = [*(lake / "runs" / run_id).rglob("*.parquet"), *(lake / "quarantine" / run_id).glob("*.parquet")]
    return {str(p.relative_to(lake)): pl.read_parquet(p) for p in sorted(files)}


def _assert_same_tables(local: tuple[Path, str], lake: Path, run_id: str) -> None:
    assert run_id == local[1]  # same inputs, code and config: the executor is not part of the run
    expected, got = _published(*local), _published(lake, run_id)
    assert set(got) == set(expected)
    names = {Path(name).stem for name in got}
    assert {"bronze_customer_month", "gold_features", "scores", "recommendations", "price_history"} <= names
    for name, frame in expected.items():
        assert_frame_equal(got[name], frame, check_exact=False, rel_tol=1e-9, abs_tol=1e-12), name


def _map_lines_from_workers(lines: list[str]) -> int:
    return sum("consumption_batch_sums[" in line and "(Dask worker)" in line for line in lines)


def test_dask_on_a_local_cluster_publishes_the_same_tables(raw_lake, local_run, tmp_path, monkeypatch):
    lake, run_id, lines = _run(raw_lake, tmp_path, monkeypatch, executor="dask", workers=2)
    assert _map_lines_from_workers(lines) == FILES  # every file was summed on a worker, none in this process
    _assert_same_tables(local_run, lake, run_id)


class _DieOnFirstMapTask(WorkerPlugin):
    """Kills its worker process the first time any worker of the cluster starts a task (only map tasks run on
    workers); the marker file, created atomically, makes it happen once and records who died."""

    def __init__(self, marker: str):
        self.marker = marker

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing":
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, f"{os.getpid()} {key}".encode())
        os.close(fd)
        os._exit(1)


def test_a_worker_killed_during_the_map_is_replaced_and_the_tables_are_the_same(
    raw_lake, local_run, tmp_path, monkeypatch
):
    marker = tmp_path / "killed"
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            local_directory=str(tmp_path / "dask"),
        ) as cluster,
        Client(cluster) as client,
    ):
        before = set(client.run(os.getpid).values())
        client.register_plugin(_DieOnFirstMapTask(str(marker)))
        lake, run_id, lines = _run(raw_lake, tmp_path, monkeypatch, dask_scheduler=cluster.scheduler_address)
        client.wait_for_workers(2)
        after = set(client.run(os.getpid).values())
    dead_pid, task = marker.read_text().split(" ", 1)
    assert (
        int(dead_pid) in before and int(dead_pid) not in after
    )  # that worker died and the nanny replaced it
    assert len(after) == 2 and len(before & after) == 1
    # it died running a Hamilton task (the DaskExecutor's key; only map tasks go to workers), run again elsewhere
    assert task.startswith("base_execute_task-")
    assert _map_lines_from_workers(lines) == FILES
    _assert_same_tables(local_run, lake, run_id)


def test_a_wrong_scheduler_address_is_one_clear_line(raw_lake, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dag, "DASK_CONNECT_TIMEOUT_S", 2)
    monkeypatch.setenv("SPANISHGAS_CACHE", str(tmp_path / "cache"))
    shutil.copytree(raw_lake / "raw", tmp_path / "lake" / "raw")
    code = main(["run", "--lake", str(tmp_path / "lake"), "--dask-scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "Traceback" not in err
    # the run is recorded as failed and alerted (one log line), then the message: one line
    last = err.splitlines()[-1]
    assert last.startswith("spanishgas run: --dask-scheduler tcp://127.0.0.1:9: no Dask scheduler answered")
    assert "expected the address of a running scheduler" in last
