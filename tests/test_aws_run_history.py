"""Run history: claims, retries, abandoned runs and races, on DynamoDB (moto over HTTP) and on the lake."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from dataflow.aws.run_history import (
    ALREADY_SUCCEEDED,
    CLAIMED,
    IN_PROGRESS,
    DynamoRunHistory,
    LakeRunHistory,
    RunHistoryError,
    StaleClaimError,
    create_runs_table,
    run_history_from_env,
)
from dataflow.lake import Lake

T0 = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)


@pytest.fixture()
def runs_table(moto_endpoint) -> str:
    name = f"runs-{uuid.uuid4().hex[:8]}"
    assert create_runs_table(name) is True
    return name


@pytest.fixture(params=["dynamo", "local-lake", "s3-lake"])
def make_history(request, tmp_path):
    """A factory of independent RunHistory objects (separate workers) over one shared store."""
    if request.param == "dynamo":
        table = request.getfixturevalue("runs_table")
        return lambda: DynamoRunHistory(table)
    if request.param == "local-lake":
        return lambda: LakeRunHistory(str(tmp_path / "lake"))
    bucket = request.getfixturevalue("s3_bucket")
    return lambda: LakeRunHistory(Lake.open(f"s3://{bucket}/lake"))


def test_claim_fail_retry_succeed_then_already_succeeded(make_history):
    worker, other = make_history(), make_history()
    assert worker.claim("run-a", "fp1", now=T0) == CLAIMED
    assert other.claim("run-a", "fp1", now=T0 + timedelta(minutes=5)) == IN_PROGRESS
    worker.mark_failed("run-a", error="bronze: price_history.csv missing", now=T0 + timedelta(minutes=6))
    failed = other.get("run-a")
    assert failed["status"] == "failed" and "price_history" in failed["error"] and failed["attempt"] == 1

    assert other.claim("run-a", "fp1", now=T0 + timedelta(minutes=10)) == CLAIMED  # the retry
    other.mark_succeeded(
        "run-a",
        timings={"bronze": 1.25, "gold": 3.5},
        rows={"customers": 20000},
        published=True,
        now=T0 + timedelta(minutes=20),
    )
    rec = worker.get("run-a")
    assert rec["status"] == "succeeded" and rec["attempt"] == 2 and rec["published"] is True
    assert rec["timings"] == {"bronze": 1.25, "gold": 3.5} and rec["rows"] == {"customers": 20000}
    assert rec["duration_s"] == pytest.approx(600.0) and "error" not in rec
    assert worker.claim("run-a", "fp1", now=T0 + timedelta(days=30)) == ALREADY_SUCCEEDED


def test_abandoned_run_is_reclaimed_and_the_stale_worker_cannot_overwrite(make_history):
    crashed, rescuer = make_history(), make_history()
    assert crashed.claim("run-b", "fp", now=T0) == CLAIMED
    assert rescuer.claim("run-b", "fp", now=T0 + timedelta(hours=1, minutes=59)) == IN_PROGRESS
    assert rescuer.claim("run-b", "fp", now=T0 + timedelta(hours=2, seconds=1)) == CLAIMED
    with pytest.raises(StaleClaimError, match="taken over"):
        crashed.mark_failed("run-b", error="late failure from the dead worker")
    rec = rescuer.get("run-b")
    assert rec["status"] == "running" and rec["attempt"] == 2
    rescuer.mark_succeeded("run-b", timings={}, rows={}, published=False)
    assert rescuer.get("run-b")["status"] == "succeeded"


def test_abandon_timeout_is_configurable(runs_table):
    quick = DynamoRunHistory(runs_table, abandon_after=timedelta(minutes=10))
    assert quick.claim("run-c", "fp", now=T0) == CLAIMED
    assert (
        DynamoRunHistory(runs_table, abandon_after=timedelta(minutes=10)).claim(
            "run-c", "fp", now=T0 + timedelta(minutes=11)
        )
        == CLAIMED
    )
    assert DynamoRunHistory(runs_table).claim("run-c", "fp", now=T0 + timedelta(minutes=20)) == IN_PROGRESS


def test_marking_without_a_claim_and_bad_run_ids_are_refused(make_history):
    h = make_history()
    with pytest.raises(StaleClaimError, match="not claimed by this worker"):
        h.mark_succeeded("never-claimed", timings={}, rows={}, published=True)
    for bad in ("", "../etc/passwd", "a/b", "x" * 200):
        with pytest.raises(RunHistoryError, match="bad run id"):
            h.claim(bad, "fp")


def test_list_runs_newest_first_with_limit(make_history):
    h = make_history()
    for i in range(5):
        assert h.claim(f"run-{i}", f"fp{i}", now=T0 + timedelta(days=i)) == CLAIMED
    h.mark_failed("run-3", error="x")
    runs = h.list_runs(limit=3)
    assert [r["run_id"] for r in runs] == ["run-4", "run-3", "run-2"]
    assert runs[1]["status"] == "failed" and runs[0]["inputs_fingerprint"] == "fp4"
    assert len(h.list_runs()) == 5


@pytest.fixture(scope="module")
def serial_moto_endpoint(moto_endpoint):
    """A second, single-threaded moto endpoint over the same in-process backend.

    moto's threaded server evaluates a conditional write in several steps that threads can interleave;
    real DynamoDB (and this serial endpoint) apply each write atomically, which is what the claim relies on.
    """
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    server = make_server(
        "127.0.0.1",
        0,
        DomainDispatcherApplication(create_backend_app),
        threaded=False,
        request_handler=MotoRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(5)


def _race(make_worker, run_id: str, n: int = 6) -> list[str]:
    barrier, results = threading.Barrier(n), []
    workers = [make_worker() for _ in range(n)]

    def go(w):
        barrier.wait()
        results.append(w.claim(run_id, "fp"))

    threads = [threading.Thread(target=go, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_racing_claims_on_dynamodb_exactly_one_wins(runs_table, serial_moto_endpoint):
    def worker():
        ddb = boto3.client("dynamodb", endpoint_url=serial_moto_endpoint, region_name="eu-west-1")
        return DynamoRunHistory(runs_table, ddb=ddb)

    for i in range(10):
        results = _race(worker, f"race-{i}")
        assert sorted(results) == [CLAIMED] + [IN_PROGRESS] * 5, results


def test_racing_claims_on_a_local_lake_exactly_one_wins(tmp_path):
    for i in range(5):
        results = _race(lambda: LakeRunHistory(str(tmp_path)), f"race-{i}")
        assert sorted(results) == [CLAIMED] + [IN_PROGRESS] * 5, results


def test_create_runs_table_is_idempotent_and_checks_the_schema(moto_endpoint, runs_table):
    assert create_runs_table(runs_table) is False
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="wrong-schema",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "file_key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "file_key", "KeyType": "HASH"}],
    )
    with pytest.raises(RunHistoryError, match="expected hash key 'run_id'"):
        create_runs_table("wrong-schema")


def test_run_history_from_env_picks_dynamo_only_when_the_table_is_set(monkeypatch, tmp_path, runs_table):
    monkeypatch.delenv("SPANISHGAS_RUNS_TABLE", raising=False)
    assert isinstance(run_history_from_env(str(tmp_path)), LakeRunHistory)
    monkeypatch.setenv("SPANISHGAS_RUNS_TABLE", runs_table)
    h = run_history_from_env(str(tmp_path))
    assert isinstance(h, DynamoRunHistory) and h.table == runs_table
    assert h.claim("env-run", "fp") == CLAIMED


def test_unreachable_table_gives_a_clear_error(moto_endpoint):
    with pytest.raises(RunHistoryError, match="DynamoDB get on table no-such-table failed"):
        DynamoRunHistory("no-such-table").get("run-x")
