"""Create the lake bucket, the runs table and the alerts topic on an emulator (moto profile, tests).

``python -m dataflow.aws.bootstrap init`` reads the names from the app's own variables (the bucket from
``SPANISHGAS_LAKE``, the table from ``SPANISHGAS_RUNS_TABLE``, the topic from ``SPANISHGAS_ALERTS_TOPIC_ARN``);
``python -m dataflow.aws.bootstrap has-raw`` exits 0 when ``<lake>/raw/`` already holds files.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from dataflow.aws import client, region
from dataflow.aws.run_history import create_runs_table
from dataflow.config import ENV_ALERTS_TOPIC, ENV_LAKE, ENV_RUNS_TABLE, RAW_PREFIX, env
from dataflow.lake import Lake


class BootstrapError(RuntimeError):
    """The emulator is unreachable or holds resources that do not match the configuration."""


NEEDED_SERVICES = ("s3", "dynamodb", "sns")  # what the app uses on the emulator


def emulator_endpoint() -> str:
    """The emulator this bootstrap talks to, resolved by localstack-client: ``$AWS_ENDPOINT_URL`` when set (the
    app's one switch), else LocalStack at ``$LOCALSTACK_HOST`` (default localhost:4566). Never real AWS: this
    tool only prepares emulators; terraform/ creates the real resources."""
    from localstack_client.config import get_service_endpoint

    return get_service_endpoint("s3") or "http://localhost:4566"


def localstack_health(endpoint: str) -> dict[str, str] | None:
    """LocalStack's per-service states (``/_localstack/health``), or None when the endpoint is not LocalStack
    (moto answers 404 there)."""
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{endpoint.rstrip('/')}/_localstack/health", timeout=3) as resp:  # noqa: S310
            doc = json.load(resp)
    except (urllib.error.HTTPError, ValueError):
        return None
    return doc.get("services") if isinstance(doc, dict) and isinstance(doc.get("services"), dict) else None


def wait_for_endpoint(timeout_s: float = 60.0) -> None:
    """Block until the emulator serves what the app needs, or raise after ``timeout_s``: on LocalStack until
    S3, DynamoDB and SNS report available/running in its health endpoint, on moto until S3 answers."""
    deadline = time.monotonic() + timeout_s
    endpoint = emulator_endpoint()
    while True:
        try:
            states = localstack_health(endpoint)
            if states is not None:
                waiting = [s for s in NEEDED_SERVICES if states.get(s) not in ("available", "running")]
                if waiting:
                    raise BootstrapError(f"LocalStack services not ready yet: {', '.join(waiting)}")
            client("s3", timeout_s=3.0, attempts=1).list_buckets()
            return
        except Exception as exc:  # noqa: BLE001 - connection refused, DNS not yet up, 5xx while starting
            if time.monotonic() > deadline:
                raise BootstrapError(
                    f"the emulator at {endpoint} was not ready within {timeout_s:g}s: {exc}"
                ) from exc
            time.sleep(1.0)


def create_bucket(bucket: str) -> bool:
    """Create ``bucket`` in the current region if it does not exist (True if created)."""
    s3 = client("s3")
    kwargs = (
        {} if region() == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region()}}
    )
    try:
        s3.create_bucket(Bucket=bucket, **kwargs)
        return True
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        return False


def bootstrap(bucket: str, table: str, topic: str) -> dict:
    """Create (idempotently) the bucket, the runs table and the SNS topic; return their names and ARN."""
    created_bucket = create_bucket(bucket)
    created_table = create_runs_table(table)
    topic_arn = client("sns").create_topic(Name=topic)["TopicArn"]
    return {
        "bucket": bucket,
        "bucket_created": created_bucket,
        "table": table,
        "table_created": created_table,
        "topic_arn": topic_arn,
    }


def names_from_env() -> tuple[str, str, str, str | None]:
    """(bucket, table, topic name, topic ARN) from the app's variables; a clear error if one is missing."""
    lake, table, arn = env(ENV_LAKE), env(ENV_RUNS_TABLE), env(ENV_ALERTS_TOPIC)
    if not lake or not lake.startswith("s3://"):
        raise BootstrapError(f"{ENV_LAKE} must be an s3://bucket/prefix URI to bootstrap, got {lake!r}")
    if not table:
        raise BootstrapError(f"{ENV_RUNS_TABLE} is not set")
    if not arn or arn.count(":") != 5:
        raise BootstrapError(f"{ENV_ALERTS_TOPIC} must be an SNS topic ARN, got {arn!r}")
    return lake[len("s3://") :].split("/", 1)[0], table, arn.rsplit(":", 1)[1], arn


def has_raw(uri: str | None = None) -> bool:
    """Whether ``<lake>/raw/`` holds any file."""
    return bool(Lake.open(uri).list(RAW_PREFIX))


def main(argv: list[str] | None = None) -> int:
    """CLI: ``init`` (create the resources named by the environment) or ``has-raw``."""
    p = argparse.ArgumentParser(prog="python -m dataflow.aws.bootstrap", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    init = sub.add_parser("init", help="create bucket, runs table and alerts topic")
    init.add_argument(
        "--wait", type=float, default=60.0, help="seconds to wait for the endpoint (default 60)"
    )
    sub.add_parser("has-raw", help="exit 0 if <lake>/raw/ has files, 1 if it is empty")
    a = p.parse_args(argv)
    try:
        if a.cmd == "has-raw":
            return 0 if has_raw() else 1
        bucket, table, topic, arn = names_from_env()
        os.environ["AWS_ENDPOINT_URL"] = emulator_endpoint()  # every client below: the emulator, never AWS
        wait_for_endpoint(a.wait)
        out = bootstrap(bucket, table, topic)
        if out["topic_arn"] != arn:
            raise BootstrapError(
                f"the emulator created topic {out['topic_arn']} but the services use {arn}: "
                "set EMULATOR_ACCOUNT_ID to the emulator's account (moto: 123456789012, "
                "LocalStack: 000000000000); `just up moto` does this"
            )
        print(f"bootstrap: bucket {bucket}, table {table}, topic {out['topic_arn']} ready")
        return 0
    except Exception as exc:  # noqa: BLE001 - one clear line for the container log
        print(f"bootstrap: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
