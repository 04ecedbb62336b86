"""The runtime footprint: one scratch root, DuckDB sized by the container's limits, logging, the time budget,
and failure texts without customer values."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from dataflow import runtime
from dataflow.aws.alerts import safe_error_text
from dataflow.errors import ContractError, QualityGateError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in (
        "SPANISHGAS_SCRATCH",
        "SPANISHGAS_CACHE",
        "SPANISHGAS_DUCKDB_THREADS",
        "SPANISHGAS_DUCKDB_MEMORY",
        "SPANISHGAS_LOG_FORMAT",
        "SPANISHGAS_LOG_LEVEL",
        "SPANISHGAS_RUN_TIMEOUT_MINUTES",
        "ECS_CONTAINER_METADATA_URI_V4",
        "ECS_CONTAINER_METADATA_URI",
    ):
        monkeypatch.delenv(name, raising=False)


def test_every_local_write_goes_under_the_scratch_root(monkeypatch, tmp_path):
    from dataflow.driver import cache_dir

    assert runtime.scratch_dir() == Path(tempfile.gettempdir()) / "spanishgas"  # the default: system temp dir
    monkeypatch.setenv("SPANISHGAS_SCRATCH", str(tmp_path / "scratch"))
    assert cache_dir() == tmp_path / "scratch" / "cache" / "hamilton"
    assert runtime.duckdb_temp_dir() == tmp_path / "scratch" / "duckdb"
    monkeypatch.setenv("SPANISHGAS_CACHE", str(tmp_path / "elsewhere"))  # the documented override
    assert cache_dir() == tmp_path / "elsewhere" / "hamilton"


def test_s3_downloads_are_cached_under_the_scratch_root(s3_bucket, monkeypatch, tmp_path):
    from dataflow.lake import Lake

    monkeypatch.setenv("SPANISHGAS_SCRATCH", str(tmp_path / "scratch"))
    lake = Lake.open(f"s3://{s3_bucket}/lake")
    lake.write_bytes("raw/x.csv", b"a\n1\n")
    path = lake.local_path("raw/x.csv")
    assert path.is_file() and path.is_relative_to(tmp_path / "scratch" / "cache" / "s3")


def _cgroup(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + "\n")
    return root


def test_cpu_and_memory_limits_come_from_cgroup_v2_and_v1(tmp_path):
    machine_cpus = len(os.sched_getaffinity(0))
    v2 = _cgroup(tmp_path / "v2", {"cpu.max": "100000 100000", "memory.max": str(3 << 30)})
    assert runtime.cpu_limit(v2) == 1
    assert runtime.memory_limit_bytes(v2) == min(
        3 << 30, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    )
    unlimited = _cgroup(tmp_path / "v2max", {"cpu.max": "max 100000", "memory.max": "max"})
    assert runtime.cpu_limit(unlimited) == machine_cpus
    v1 = _cgroup(
        tmp_path / "v1",
        {
            "cpu/cpu.cfs_quota_us": "150000",
            "cpu/cpu.cfs_period_us": "100000",
            "memory/memory.limit_in_bytes": str(1 << 30),
        },
    )
    assert runtime.cpu_limit(v1) == min(2, machine_cpus)  # 1.5 CPUs round up
    assert runtime.memory_limit_bytes(v1) == 1 << 30
    no_limit = _cgroup(
        tmp_path / "v1none", {"cpu/cpu.cfs_quota_us": "-1", "memory/memory.limit_in_bytes": str(1 << 62)}
    )
    assert runtime.cpu_limit(no_limit) == machine_cpus and runtime.memory_limit_bytes(no_limit) > 1 << 28


def test_duckdb_follows_the_limits_with_overrides_and_spills_under_scratch(monkeypatch, tmp_path):
    monkeypatch.setenv("SPANISHGAS_SCRATCH", str(tmp_path / "scratch"))
    con = runtime.configure_duckdb(duckdb.connect())
    assert int(_setting(con, "threads")) == runtime.cpu_limit()
    assert Path(_setting(con, "temp_directory")) == tmp_path / "scratch" / "duckdb"
    expected_mb = int(runtime.memory_limit_bytes() * runtime.DUCKDB_MEMORY_SHARE) >> 20
    assert (
        abs(_mib(_setting(con, "memory_limit")) - expected_mb) <= 0.01 * expected_mb + 52
    )  # shown as x.y GiB
    monkeypatch.setenv("SPANISHGAS_DUCKDB_THREADS", "3")
    monkeypatch.setenv("SPANISHGAS_DUCKDB_MEMORY", "512MB")
    con = runtime.configure_duckdb(duckdb.connect())
    assert int(_setting(con, "threads")) == 3
    assert abs(_mib(_setting(con, "memory_limit")) - 512 * 1000**2 / 2**20) < 2


def _setting(con, name: str):
    return con.sql(f"SELECT current_setting('{name}')").fetchall()[0][0]


def _mib(text: str) -> float:
    number, unit = text.split()
    factor = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "KB": 1000, "MB": 1000**2, "GB": 1000**3}[unit]
    return float(number) * factor / 2**20


def test_bronze_connections_spill_under_the_scratch_root(monkeypatch, tmp_path):
    from dataflow.bronze.source import connect

    monkeypatch.setenv("SPANISHGAS_SCRATCH", str(tmp_path / "scratch"))
    monkeypatch.setenv("SPANISHGAS_DUCKDB_MEMORY", "64MB")
    monkeypatch.setenv("SPANISHGAS_DUCKDB_THREADS", "1")
    con = connect()
    # more than 64 MB to sort: DuckDB must spill, and only under the scratch root
    con.sql("SELECT range AS i, md5(range::VARCHAR) AS h FROM range(3000000) ORDER BY h").limit(1).fetchall()
    assert _setting(con, "temp_directory") == str(tmp_path / "scratch" / "duckdb")
    assert not Path(".tmp").exists() or not any(Path(".tmp").iterdir())


def test_logging_level_and_json_lines_on_fargate(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setenv("SPANISHGAS_LOG_LEVEL", "warning")
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", "http://169.254.170.2/v4/none")  # what Fargate sets
    try:
        runtime.configure_logging(buf)
        logging.getLogger("spanishgas.test").info("not shown")
        logging.getLogger("spanishgas.test").warning("shown %d", 1)
        lines = [json.loads(line) for line in buf.getvalue().splitlines()]
        assert [(d["level"], d["logger"], d["message"]) for d in lines] == [
            ("WARNING", "spanishgas.test", "shown 1")
        ]
        monkeypatch.setenv("SPANISHGAS_LOG_FORMAT", "text")
        buf2 = io.StringIO()
        runtime.configure_logging(buf2)
        logging.getLogger("spanishgas.test").error("plain")
        assert "ERROR spanishgas.test: plain" in buf2.getvalue() and buf.getvalue().count("\n") == 1
        monkeypatch.setenv("SPANISHGAS_LOG_LEVEL", "LOUD")
        with pytest.raises(ValueError, match="SPANISHGAS_LOG_LEVEL"):
            runtime.configure_logging(io.StringIO())
    finally:
        monkeypatch.delenv("SPANISHGAS_LOG_LEVEL")
        monkeypatch.delenv("SPANISHGAS_LOG_FORMAT", raising=False)
        root = logging.getLogger()
        for h in [h for h in root.handlers if getattr(h, "_spanishgas", False)]:
            root.removeHandler(h)
        root.setLevel(logging.WARNING)


def test_claims_expire_with_the_run_timeout(monkeypatch):
    from dataflow.aws.run_history import run_history_from_env

    assert runtime.run_timeout() == timedelta(minutes=120)
    monkeypatch.setenv("SPANISHGAS_RUN_TIMEOUT_MINUTES", "30")
    assert runtime.claim_expiry() == timedelta(minutes=30) + runtime.CLAIM_GRACE
    assert run_history_from_env("/nonexistent-lake").abandon_after == timedelta(minutes=40)


def test_time_budget_and_sigterm_stop_the_run_with_an_error():
    with pytest.raises(runtime.RunStopped, match="time budget"):
        with runtime.time_budget(timedelta(seconds=0.2)):
            time.sleep(5)
    with pytest.raises(runtime.RunStopped, match="SIGTERM"):
        with runtime.time_budget(timedelta(minutes=5)):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(signal.getsignal(signal.SIGTERM))
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_failure_texts_carry_files_columns_rules_never_values():
    contract = ContractError(
        "raw/customer_attributes.csv", "province", "not a Spanish province", "Jane Doe, 28001"
    )
    text = safe_error_text(contract)
    assert "raw/customer_attributes.csv" in text and "province" in text and "not a Spanish province" in text
    assert "Jane Doe" not in text and "28001" not in text and "withheld" in text
    wrapped = RuntimeError("boom")
    wrapped.__cause__ = contract
    assert "Jane Doe" not in safe_error_text(wrapped) and "province" in safe_error_text(wrapped)
    gate = QualityGateError("quality gate failed, run not published: silver_customer.unique_id (3 rows)")
    assert safe_error_text(gate).endswith("silver_customer.unique_id (3 rows)")

    class ForeignError(Exception):  # e.g. a pandera or Polars error quoting rows
        __module__ = "pandera.errors"

    foreign = safe_error_text(ForeignError("failure cases: ['ES0021000000000001XX', 'Jane Doe']"))
    assert "Jane Doe" not in foreign and "ForeignError" in foreign
