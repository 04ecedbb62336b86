"""AWS parity: run history (DynamoDB or lake), alerts (SNS + CloudWatch), the raw/ watcher and bootstrap.

Every client is built by :func:`client`, so the endpoint (LocalStack, moto, AWS) and the region come from
the standard ``AWS_ENDPOINT_URL`` / ``AWS_REGION`` variables, exactly like :class:`dataflow.lake.S3Lake`.
"""

from __future__ import annotations

import os

DEFAULT_REGION = "eu-west-1"


def region() -> str:
    """The AWS region in use: ``$AWS_REGION``, else ``$AWS_DEFAULT_REGION``, else eu-west-1."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def client(service: str, *, timeout_s: float = 10.0, attempts: int = 3):
    """A boto3 client for ``service`` honouring ``AWS_ENDPOINT_URL``, with bounded timeouts and retries."""
    import boto3
    from botocore.config import Config

    cfg = Config(
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        retries={"max_attempts": attempts, "mode": "standard"},
    )
    return boto3.client(
        service,
        region_name=region(),
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        config=cfg,
    )
