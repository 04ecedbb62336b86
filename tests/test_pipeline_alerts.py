"""Alert ordering over a moto server (real HTTP): the drift alert goes out only after the run passed its gates
and was published, once per run id — a failed run sends its failure alert and no drift alert, and a forced
re-run of a published run id sends no second drift alert."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import boto3
import pytest

from dataflow.config import ENV_ALERTS_TOPIC, PipelineConfig
from dataflow.errors import UserError
from dataflow.pipeline import run_pipeline

# a 600-customer lake has ~15 test churners: the relative gate is relaxed explicitly (it has its own tests),
# and every drift statistic alarms so that a drift alert is due whenever the run gets that far
ALARMING = {
    "gate_skill_multiple": 0.0,
    "gate_baseline": False,
    "drift_psi_threshold": 0.0,
    "drift_ks_threshold": 0.0,
    "drift_history_factor": 0.0,
}


@pytest.fixture(scope="module")
def raw_lake(tmp_path_factory) -> Path:
    from dataflow.generate import generate

    lake = tmp_path_factory.mktemp("gen-alerts") / "lake"
    generate(str(lake), customers=600, seed=11)
    return lake


@pytest.fixture()
def topic_and_queue(moto_endpoint, monkeypatch):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    name = f"run-alerts-{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    monkeypatch.setenv(ENV_ALERTS_TOPIC, topic)
    return topic, queue


def _subjects(queue: str) -> list[dict]:
    sqs, out = boto3.client("sqs"), []
    while True:
        resp = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        msgs = resp.get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            out.append(json.loads(json.loads(m["Body"])["Message"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])


def test_drift_alert_only_after_publish_and_once_per_run_id(raw_lake, tmp_path, monkeypatch, topic_and_queue):
    from dataflow.monitor import checks
    from dataflow.monitor.quality import Check

    _, queue = topic_and_queue
    monkeypatch.setenv("SPANISHGAS_CACHE", str(tmp_path / "cache"))
    lake = tmp_path / "lake"
    shutil.copytree(raw_lake / "raw", lake / "raw")
    config = PipelineConfig(model_overrides=ALARMING)

    # 1. the DAG computes everything (drift alarms on every column) but a quality gate fails: not published
    strict = Check(
        "silver_customer",
        "contracted power below 5 kW",
        "range",
        ("contracted_power_kw",),
        {"min": 0.0, "max": 5.0},
    )
    with monkeypatch.context() as m:
        m.setitem(checks.CHECKS_BY_LAYER, "silver", [*checks.SILVER_CHECKS, strict])
        with pytest.raises(UserError, match="contracted power below 5 kW"):
            run_pipeline(str(lake), config, progress=None)
    sent = _subjects(queue)
    assert [s["severity"] for s in sent] == ["error"] and "failed a quality gate" in sent[0]["subject"]
    assert not any("drift" in s["subject"] for s in sent)

    # 2. the same inputs and config pass and publish: exactly one drift alert, naming the published run
    published = run_pipeline(str(lake), config, progress=None)
    assert published.status == "published"
    drift = [s for s in _subjects(queue) if "drift" in s["subject"]]
    assert len(drift) == 1 and drift[0]["details"]["run_id"] == published.run_id
    assert drift[0]["details"]["drifted_features"]

    # 3. a forced re-run of the same run id publishes again but sends no second drift alert
    forced = run_pipeline(str(lake), config, force=True, progress=None)
    assert forced.status == "published" and forced.run_id == published.run_id
    assert not [s for s in _subjects(queue) if "drift" in s["subject"]]
