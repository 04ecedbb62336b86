"""AWS mode end to end over real HTTP on a moto server: S3 lake, DynamoDB run history, SNS alerts, CloudWatch.

generate into S3 → run → the dashboard's loader reads the published run; the history and the alert messages
are there; a second trigger with the same inputs starts no new run; a failed run is retried and succeeds.
"""

from __future__ import annotations

import json

import boto3
import pytest

from dataflow.aws.bootstrap import bootstrap
from dataflow.aws.run_history import DynamoRunHistory
from dataflow.config import PipelineConfig
from dataflow.errors import UserError
from dataflow.generate import generate
from dataflow.lake import LakeError
from dataflow.pipeline import run_pipeline
from tests.faults import FaultyS3Proxy

SMALL = PipelineConfig(
    model_overrides={"gate_skill_multiple": 0.0, "gate_baseline": False}
)  # ~15 test churners: gate tested elsewhere


def _messages(sqs, queue_url: str) -> list[dict]:
    out = []
    for _ in range(5):
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        msgs = batch.get("Messages", [])
        if not msgs:
            break
        out += [json.loads(m["Body"]) for m in msgs]
    return out


@pytest.fixture()
def aws_stack(moto_endpoint, s3_bucket, monkeypatch, tmp_path):
    """Bucket, runs table and alerts topic made by our bootstrap; an SQS queue subscribed to the topic."""
    table, topic = f"{s3_bucket}-runs", f"{s3_bucket}-alerts"
    info = bootstrap(s3_bucket, table, topic)
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"{s3_bucket}-q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns").subscribe(TopicArn=info["topic_arn"], Protocol="sqs", Endpoint=queue_arn)
    uri = f"s3://{s3_bucket}/lake"
    for k, v in {
        "SPANISHGAS_LAKE": uri,
        "SPANISHGAS_RUNS_TABLE": table,
        "SPANISHGAS_ALERTS_TOPIC_ARN": info["topic_arn"],
        "SPANISHGAS_METRICS_NAMESPACE": "SpanishGasTest",
        "SPANISHGAS_CACHE": str(tmp_path / "cache"),
    }.items():
        monkeypatch.setenv(k, v)
    return {"uri": uri, "table": table, "sqs": sqs, "queue_url": queue_url}


def test_aws_mode_end_to_end(aws_stack, moto_endpoint, monkeypatch):
    uri, table = aws_stack["uri"], aws_stack["table"]
    generate(uri, customers=600, seed=5)
    first = run_pipeline(uri, SMALL, progress=None)
    assert first.status == "published"

    # the dashboard's loader follows CURRENT on S3 and reads the published tables through DuckDB
    from app import data

    run = data.current()
    assert run is not None and run.run_id == first.run_id
    scores = data.run_table(run, "scored/scores.parquet")
    assert int(data.sql(f"SELECT count(*) AS n FROM {data.source(scores)}")["n"][0]) == first.rows["scores"]

    # the run history lives in DynamoDB
    history = DynamoRunHistory(table)
    record = history.get(first.run_id)
    assert record["status"] == "succeeded" and record["published"] is True
    assert float(record["timings"]["total"]) > 0

    # CloudWatch got the run metrics
    cw = boto3.client("cloudwatch")
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="SpanishGasTest")["Metrics"]}
    assert {"RunDurationSeconds", "RowsProcessed", "RowsQuarantined"} <= names

    # a second trigger with the same inputs starts no new run
    again = run_pipeline(uri, SMALL, progress=None)
    assert again.status == "skipped" and again.run_id == first.run_id
    assert [r["run_id"] for r in history.list_runs()] == [first.run_id]

    # new inputs whose run fails on an S3 write: recorded as failed, alerted, CURRENT untouched
    s3 = boto3.client("s3")
    bucket, key = uri[5:].split("/", 1)[0], "lake/raw/churn_label.csv"
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(body[:-1]) + "\n").encode())
    with FaultyS3Proxy(moto_endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
        proxy.fail_at = 3  # the fourth object the run writes
        with pytest.raises((UserError, LakeError)):
            run_pipeline(uri, SMALL, progress=None)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    failed = [r for r in history.list_runs() if r["run_id"] != first.run_id]
    assert len(failed) == 1 and failed[0]["status"] == "failed"
    assert data.pointer.__wrapped__(uri)[0] == first.run_id  # CURRENT still on the complete run

    # the retry with the same inputs claims the failed run id again and succeeds
    retry = run_pipeline(uri, SMALL, progress=None)
    assert retry.status == "published" and retry.run_id == failed[0]["run_id"]
    rec = history.get(retry.run_id)
    assert rec["status"] == "succeeded" and int(rec["attempt"]) == 2

    # the failure reached SNS subscribers (through the queue)
    subjects = [m.get("Subject", "") for m in _messages(aws_stack["sqs"], aws_stack["queue_url"])]
    assert any("failed" in s and failed[0]["run_id"] in s for s in subjects), subjects
