"""Alerts: log always, SNS and CloudWatch when configured (moto over HTTP), never crash on a failing channel."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config

from dataflow.aws.alerts import SUBJECT_MAX, Alerter, alerter_from_env, sns_subject

LAKE = "s3://spanishgas-test/lake"


@pytest.fixture()
def topic_and_queue(moto_endpoint):
    """An SNS topic with an SQS queue subscribed to it; returns (topic ARN, queue URL)."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    name = f"alerts-{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue


def _messages(queue: str) -> list[dict]:
    resp = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"]) for m in resp.get("Messages", [])]


def test_alert_is_logged_and_published_to_sns(topic_and_queue, caplog):
    topic, queue = topic_and_queue
    alerter = Alerter(topic_arn=topic, lake=LAKE)
    details = {
        "run_id": "r-42",
        "pr_auc": 0.61,
        "gate": 0.70,
        "psi": float("nan"),
        "when": datetime(2025, 1, 1),
    }
    with caplog.at_level(logging.ERROR, logger="spanishgas.alerts"):
        alerter.alert(
            "Promotion gate failed", "PR-AUC 0.61 < 0.70; champion kept", severity="error", details=details
        )
    assert "Promotion gate failed" in caplog.text and "r-42" in caplog.text
    (envelope,) = _messages(queue)
    assert envelope["Subject"] == "[ERROR] Promotion gate failed"
    body = json.loads(envelope["Message"])
    assert body["severity"] == "error" and body["lake"] == LAKE and body["message"].startswith("PR-AUC 0.61")
    assert body["details"] == {
        "run_id": "r-42",
        "pr_auc": 0.61,
        "gate": 0.70,
        "psi": None,
        "when": "2025-01-01 00:00:00",
    }
    assert envelope["MessageAttributes"]["severity"]["Value"] == "error"
    assert alerter.sent["sns"] == 1 and not alerter.failures


def test_long_non_ascii_multiline_subject_is_made_sns_safe(topic_and_queue):
    topic, queue = topic_and_queue
    subject = "Deriva en características\nde entrada: " + "precio " * 30
    Alerter(topic_arn=topic).alert(subject, "¿ñ? ok", severity="critical")
    (envelope,) = _messages(queue)
    assert envelope["Subject"] == sns_subject(subject, "critical")
    assert len(envelope["Subject"]) <= SUBJECT_MAX and envelope["Subject"].isascii()
    assert "\n" not in envelope["Subject"] and envelope["Subject"].endswith("...")
    assert json.loads(envelope["Message"])["message"] == "¿ñ? ok"


def test_metrics_are_put_to_cloudwatch_with_the_lake_dimension(moto_endpoint):
    namespace = f"SpanishGas/test-{uuid.uuid4().hex[:6]}"
    alerter = Alerter(namespace=namespace, lake=LAKE)
    alerter.metrics(
        {
            "RunDurationSeconds": 812.5,
            "RowsProcessed": 176_000,
            "RowsQuarantined": 12,
            "FeaturesDrifted": 2,
            "RunFailed": 0,
            "GateFailed": 1,
            "Ignored": float("inf"),
        }
    )
    cw = boto3.client("cloudwatch")
    metrics = cw.list_metrics(Namespace=namespace)["Metrics"]
    assert {m["MetricName"] for m in metrics} == {
        "RunDurationSeconds",
        "RowsProcessed",
        "RowsQuarantined",
        "FeaturesDrifted",
        "RunFailed",
        "GateFailed",
    }
    assert all(m["Dimensions"] == [{"Name": "Lake", "Value": LAKE}] for m in metrics)
    now = datetime.now(UTC)
    stats = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName="RunDurationSeconds",
        Dimensions=[{"Name": "Lake", "Value": LAKE}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )
    (point,) = stats["Datapoints"]
    assert point["Maximum"] == 812.5 and point["Unit"] == "Seconds"
    assert alerter.sent["cloudwatch"] == 1


def test_alerter_from_env_uses_the_app_variables(topic_and_queue, monkeypatch):
    topic, queue = topic_and_queue
    namespace = f"SpanishGas/env-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("SPANISHGAS_ALERTS_TOPIC_ARN", topic)
    monkeypatch.setenv("SPANISHGAS_METRICS_NAMESPACE", namespace)
    monkeypatch.setenv("SPANISHGAS_LAKE", LAKE)
    alerter = alerter_from_env()
    assert (alerter.topic_arn, alerter.namespace, alerter.lake) == (topic, namespace, LAKE)
    alerter.alert("Run failed", "bronze step raised", severity="error")
    alerter.metrics({"RunFailed": 1})
    assert json.loads(_messages(queue)[0]["Message"])["subject"] == "Run failed"
    assert (
        boto3.client("cloudwatch").list_metrics(Namespace=namespace)["Metrics"][0]["MetricName"]
        == "RunFailed"
    )


def test_without_topic_or_namespace_it_only_logs(caplog, monkeypatch):
    for name in ("SPANISHGAS_ALERTS_TOPIC_ARN", "SPANISHGAS_METRICS_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    alerter = alerter_from_env()
    with caplog.at_level(logging.INFO, logger="spanishgas.alerts"):
        alerter.alert("Drift", "3 features drifted", severity="warning")
        alerter.metrics({"FeaturesDrifted": 3, "bad": "n/a"})
    assert (
        "3 features drifted" in caplog.text
        and "FeaturesDrifted" in caplog.text
        and "not a number" in caplog.text
    )
    assert alerter._sns is None and alerter._cw is None and not alerter.sent and not alerter.failures


def test_failing_channels_are_logged_and_counted_not_raised(moto_endpoint, caplog):
    dead = {
        "endpoint_url": "http://127.0.0.1:9",
        "region_name": "eu-west-1",
        "config": Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}),
    }
    alerter = Alerter(
        topic_arn="arn:aws:sns:eu-west-1:123456789012:missing",
        namespace="SpanishGas/x",
        lake=LAKE,
        cloudwatch=boto3.client("cloudwatch", **dead),
    )
    with caplog.at_level(logging.ERROR, logger="spanishgas.alerts"):
        alerter.alert("Run failed", "boom", severity="error")  # topic does not exist on moto
        alerter.metrics({"RunFailed": 1})  # nothing listens on port 9
    assert alerter.failures == {"sns": 1, "cloudwatch": 1}
    assert "could not send to sns" in caplog.text and "could not send to cloudwatch" in caplog.text


def test_unknown_severity_is_a_programming_error():
    with pytest.raises(ValueError, match="severity must be one of"):
        Alerter().alert("x", "y", severity="panic")
