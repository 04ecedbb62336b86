"""The raw/ watcher: a completed upload (raw/_READY written last) starts exactly one run, after raw/ settles."""

from __future__ import annotations

import os
import threading
import time

import boto3
import pytest

from dataflow.aws.watch import Watcher, raw_listing, watch
from dataflow.lake import Lake

RAW = [
    "customer_attributes.csv",
    "customer_contracts.csv",
    "price_history.csv",
    "costs_by_province_month.csv",
    "customer_interactions.json",
    "churn_label.csv",
    "consumption_hourly_2024.parquet",
]


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Recorder:
    """A stand-in for run_pipeline that records its calls and returns a result-like object."""

    def __init__(self, fail: bool = False):
        self.calls: list[str] = []
        self.fail = fail

    def __call__(self, uri: str):
        self.calls.append(uri)
        if self.fail:
            raise RuntimeError("pipeline exploded")
        return type("Result", (), {"run_id": f"run-{len(self.calls)}", "status": "published"})()


@pytest.fixture()
def s3_lake(s3_bucket):
    return f"s3://{s3_bucket}/lake"


def _upload(uri: str, name: str, body: bytes = b"a,b\n1,2\n") -> None:
    Lake.open(uri).write_bytes(f"raw/{name}", body)


def test_burst_of_seven_uploads_starts_one_run_after_the_debounce(s3_lake):
    clock, run, messages = Clock(), Recorder(), []
    w = Watcher(s3_lake, debounce_s=60, run=run, progress=messages.append, clock=clock)
    assert w.poll() is False  # empty raw/: nothing to do
    for name in RAW[:3]:
        _upload(s3_lake, name)
    assert w.poll() is False
    clock.t += 3600
    assert w.poll() is False and run.calls == []  # still, but no raw/_READY: not a complete upload
    for name in RAW[3:]:
        _upload(s3_lake, name)
    _upload(s3_lake, "_READY", b"{}")  # the uploader's last object
    assert w.poll() is False  # changed again: the debounce restarts
    clock.t += 59
    assert w.poll() is False and run.calls == []
    clock.t += 1
    assert w.poll() is True and run.calls == [s3_lake]
    clock.t += 3600
    assert w.poll() is False and run.calls == [s3_lake]  # unchanged listing: no new run
    assert any("starting a run" in m for m in messages) and any(
        "run-1 ended: published" in m for m in messages
    )


def test_a_changed_file_starts_a_new_run_and_unchanged_polls_do_not(s3_lake):
    for name in [*RAW, "_READY"]:
        _upload(s3_lake, name)
    clock, run = Clock(), Recorder()
    w = Watcher(s3_lake, debounce_s=10, run=run, progress=lambda m: None, clock=clock)
    w.poll()
    clock.t += 10
    assert w.poll() is True  # files already there at start-up: one run (the pipeline dedups by run id)
    _upload(s3_lake, "churn_label.csv", b"a,b\n9,9\n")  # same size, new ETag
    assert w.poll() is False
    clock.t += 10
    assert w.poll() is False and len(run.calls) == 1  # a file changed but no new marker: no run
    _upload(s3_lake, "_READY", b'{"again": 1}')  # the uploader marks the new batch complete
    assert w.poll() is False
    clock.t += 10
    assert w.poll() is True and len(run.calls) == 2
    clock.t += 10
    assert w.poll() is False and len(run.calls) == 2


def test_real_time_loop_with_a_concurrent_burst(s3_lake):
    run, stop = Recorder(), threading.Event()
    out: list = []
    loop = threading.Thread(
        target=lambda: out.extend(
            watch(s3_lake, interval_s=0.05, debounce_s=0.6, run=run, progress=lambda m: None, stop=stop)
        )
    )
    loop.start()
    for name in [*RAW, "_READY"]:
        _upload(s3_lake, name)
        time.sleep(0.08)  # uploads land across several polls
    deadline = time.monotonic() + 15
    while not run.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # several more polls over the unchanged listing
    stop.set()
    loop.join(10)
    assert run.calls == [s3_lake] and len(out) == 1 and out[0].status == "published"


def test_once_returns_after_the_first_run(tmp_path):
    lake = str(tmp_path / "lake")
    for name in [*RAW, "_READY"]:
        _upload(lake, name)
    run = Recorder()
    results = watch(
        lake, interval_s=0.01, debounce_s=0.05, once=True, run=run, progress=lambda m: None, max_polls=1000
    )
    assert len(run.calls) == 1 and [r.run_id for r in results] == ["run-1"]


def test_local_listing_sees_rewrites_with_the_same_size(tmp_path):
    lake = Lake.open(str(tmp_path))
    _upload(lake.uri, "price_history.csv", b"x,y\n1,2\n")
    before = raw_listing(lake)
    path = tmp_path / "raw" / "price_history.csv"
    path.write_bytes(b"x,y\n3,4\n")
    os.utime(path, ns=(before["raw/price_history.csv"][1] + 10**9,) * 2)
    after = raw_listing(lake)
    assert set(after) == {"raw/price_history.csv"} and after != before


def test_a_failing_run_is_reported_and_the_watcher_keeps_going(tmp_path):
    lake = str(tmp_path)
    _upload(lake, RAW[0])
    _upload(lake, "_READY")
    clock, run, messages = Clock(), Recorder(fail=True), []
    w = Watcher(lake, debounce_s=1, run=run, progress=messages.append, clock=clock)
    w.poll()
    clock.t += 1
    assert w.poll() is True and isinstance(w.results[0], RuntimeError)
    assert any("run failed: RuntimeError: pipeline exploded" in m for m in messages)
    clock.t += 5
    assert w.poll() is False and len(run.calls) == 1  # not retried in a hot loop on the same inputs


def test_unreachable_bucket_is_reported_not_raised(moto_endpoint):
    messages: list[str] = []
    w = Watcher("s3://no-such-bucket-here/lake", debounce_s=1, run=Recorder(), progress=messages.append)
    assert w.poll() is False
    assert "cannot list s3://no-such-bucket-here/lake/raw/" in messages[0]
    boto3.client("s3").list_buckets()  # the endpoint itself is fine: only the bucket is missing


def test_wait_until_settled_waits_for_the_last_upload(s3_lake):
    from dataflow.aws.watch import wait_until_settled

    clock = Clock()
    pending = list(RAW)
    _upload(s3_lake, pending.pop(0))

    def sleep(seconds):  # the utility keeps uploading while the task waits
        clock.t += seconds
        if pending:
            _upload(s3_lake, pending.pop(0))

    listing = wait_until_settled(
        s3_lake, quiet_s=30, timeout_s=600, poll_s=10, progress=lambda m: None, clock=clock, sleep=sleep
    )
    assert len(listing) == 7 and clock.t >= 1000 + 6 * 10 + 30


def test_wait_until_settled_gives_up_on_an_empty_raw_folder(tmp_path):
    from dataflow.aws.watch import wait_until_settled
    from dataflow.lake import LakeError

    clock = Clock()
    with pytest.raises(LakeError, match="did not settle within 60s"):
        wait_until_settled(
            str(tmp_path),
            quiet_s=5,
            timeout_s=60,
            poll_s=10,
            progress=lambda m: None,
            clock=clock,
            sleep=lambda s: setattr(clock, "t", clock.t + s),
        )
