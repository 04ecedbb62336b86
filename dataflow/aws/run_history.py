"""Run history: who runs which run id, with claims that are safe against bursts, crashes and retries.

A run id can be claimed when it has no record, when its last attempt failed, or when it is "running" but
older than the abandon timeout (the worker died). DynamoDB does this as ONE conditional write; the lake
implementation (``runs/_history/<run_id>.json``) is the best-effort local equivalent under a file lock.
The table's key schema below is the one ``terraform/dynamodb.tf`` and ``localstack/init`` create.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from dataflow.config import ENV_RUNS_TABLE, env

CLAIMED, ALREADY_SUCCEEDED, IN_PROGRESS = "claimed", "already_succeeded", "in_progress"
RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
DEFAULT_ABANDON_AFTER = timedelta(hours=2)

# ---- the table's schema (shared with terraform/dynamodb.tf and localstack/init/ready.d) ---------------
HASH_KEY = "run_id"
LIST_INDEX = "by_started"  # GSI: every run in partition kind="run", sorted by started_at (few runs a week)
LIST_INDEX_HASH = "kind"
LIST_INDEX_RANGE = "started_at"
KIND = "run"
HISTORY_PREFIX = "runs/_history/"

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class RunHistoryError(RuntimeError):
    """The run history could not be read or written (unreachable table, bad run id, wrong schema)."""


class StaleClaimError(RunHistoryError):
    """This worker no longer holds the claim on a run (it was reclaimed after the abandon timeout)."""


def _utc(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="microseconds")  # fixed width: sorts lexicographically in the GSI


def _check_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise RunHistoryError(f"bad run id {run_id!r}: expected 1-128 characters of [A-Za-z0-9._-]")
    return run_id


def claim_decision(record: dict | None, now: datetime, abandon_after: timedelta) -> str:
    """The claim rule in plain Python (what the DynamoDB condition expression says)."""
    if record is None or record.get("status") == FAILED:
        return CLAIMED
    if record.get("status") == SUCCEEDED:
        return ALREADY_SUCCEEDED
    if float(record.get("claimed_epoch", 0)) < now.timestamp() - abandon_after.total_seconds():
        return CLAIMED
    return IN_PROGRESS


class RunHistory(ABC):
    """The interface the pipeline uses: claim a run id, then mark it succeeded or failed."""

    def __init__(self, abandon_after: timedelta = DEFAULT_ABANDON_AFTER):
        self.abandon_after = abandon_after
        self._claims: dict[str, tuple[str, float]] = {}  # run_id -> (claim token, claimed epoch)

    @abstractmethod
    def claim(self, run_id: str, inputs_fingerprint: str, *, now: datetime | None = None) -> str:
        """Try to claim ``run_id``: "claimed", "already_succeeded" or "in_progress"."""

    @abstractmethod
    def _finish(self, run_id: str, token: str, fields: dict) -> None:
        """Write the final fields if ``token`` still holds the claim, else raise StaleClaimError."""

    @abstractmethod
    def get(self, run_id: str) -> dict | None:
        """The run's record, or None."""

    @abstractmethod
    def list_runs(self, limit: int = 50) -> list[dict]:
        """The latest runs, newest first."""

    def mark_succeeded(
        self, run_id: str, *, timings: dict, rows: dict, published: bool, now: datetime | None = None
    ) -> None:
        """Record success (timings in seconds, row counts, whether the run was published)."""
        self._mark(run_id, SUCCEEDED, now, timings=dict(timings), rows=dict(rows), published=bool(published))

    def mark_failed(self, run_id: str, *, error: str, now: datetime | None = None) -> None:
        """Record failure; the run id becomes claimable again (a retry)."""
        self._mark(run_id, FAILED, now, error=str(error)[:4000])

    def _mark(self, run_id: str, status: str, now: datetime | None, **fields: Any) -> None:
        _check_id(run_id)
        if run_id not in self._claims:
            raise StaleClaimError(
                f"run {run_id} was not claimed by this worker; refusing to mark it {status}"
            )
        token, claimed_epoch = self._claims[run_id]
        t = _utc(now)
        fields.update(status=status, finished_at=_iso(t), duration_s=round(t.timestamp() - claimed_epoch, 3))
        try:
            self._finish(run_id, token, fields)
        finally:
            self._claims.pop(run_id, None)

    def _new_claim(self, run_id: str, inputs_fingerprint: str, now: datetime, attempt: int) -> dict:
        token = uuid.uuid4().hex
        return {
            HASH_KEY: run_id,
            LIST_INDEX_HASH: KIND,
            "status": RUNNING,
            "inputs_fingerprint": inputs_fingerprint,
            "claim_token": token,
            LIST_INDEX_RANGE: _iso(now),
            "claimed_epoch": now.timestamp(),
            "attempt": attempt,
        }


# ---- DynamoDB --------------------------------------------------------------------------------------------
def _to_ddb(value: Any) -> Any:
    """Plain JSON-able data with floats as Decimal (what boto3's serializer accepts)."""
    return json.loads(json.dumps(value, default=str), parse_float=Decimal)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_plain(v) for v in value]
    return value


class DynamoRunHistory(RunHistory):
    """Run history in a DynamoDB table (endpoint and region from the AWS environment)."""

    def __init__(self, table_name: str, *, abandon_after: timedelta = DEFAULT_ABANDON_AFTER, ddb=None):
        super().__init__(abandon_after)
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        from dataflow.aws import client

        self.table = table_name
        self._ddb = ddb or client("dynamodb")
        self._ser, self._de = TypeSerializer(), TypeDeserializer()

    def _av(self, value: Any) -> dict:
        return self._ser.serialize(_to_ddb(value))

    def _item(self, raw: dict) -> dict:
        return _plain({k: self._de.deserialize(v) for k, v in raw.items()})

    def _call(self, what: str, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(TableName=self.table, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise
            raise RunHistoryError(f"DynamoDB {what} on table {self.table} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise RunHistoryError(f"DynamoDB {what} on table {self.table} failed: {exc}") from exc

    def claim(self, run_id: str, inputs_fingerprint: str, *, now: datetime | None = None) -> str:
        from botocore.exceptions import ClientError

        _check_id(run_id)
        t = _utc(now)
        rec = self._new_claim(run_id, inputs_fingerprint, t, 0)
        names = {
            "#s": "status",
            "#k": LIST_INDEX_HASH,
            "#st": LIST_INDEX_RANGE,
            "#e": "error",
            "#r": "rows",
            "#t": "timings",
            "#p": "published",
            "#f": "finished_at",
            "#d": "duration_s",
        }
        values = {
            ":running": RUNNING,
            ":failed": FAILED,
            ":kind": KIND,
            ":fp": inputs_fingerprint,
            ":tok": rec["claim_token"],
            ":iso": rec[LIST_INDEX_RANGE],
            ":epoch": rec["claimed_epoch"],
            ":cutoff": t.timestamp() - self.abandon_after.total_seconds(),
            ":zero": 0,
            ":one": 1,
        }
        try:
            self._call(
                "claim",
                self._ddb.update_item,
                Key={HASH_KEY: {"S": run_id}},
                UpdateExpression=(
                    "SET #s = :running, #k = :kind, inputs_fingerprint = :fp, claim_token = :tok, #st = :iso, "
                    "claimed_epoch = :epoch, attempt = if_not_exists(attempt, :zero) + :one "
                    "REMOVE #e, #r, #t, #p, #f, #d"
                ),
                ConditionExpression=(
                    f"attribute_not_exists({HASH_KEY}) OR #s = :failed "
                    "OR (#s = :running AND claimed_epoch < :cutoff)"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={k: self._av(v) for k, v in values.items()},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            old = exc.response.get("Item")
            status = self._item(old).get("status") if old else (self.get(run_id) or {}).get("status")
            return ALREADY_SUCCEEDED if status == SUCCEEDED else IN_PROGRESS
        self._claims[run_id] = (rec["claim_token"], rec["claimed_epoch"])
        return CLAIMED

    def _finish(self, run_id: str, token: str, fields: dict) -> None:
        from botocore.exceptions import ClientError

        names = {f"#a{i}": k for i, k in enumerate(fields)}
        sets = ", ".join(f"#a{i} = :a{i}" for i in range(len(fields)))
        values = {f":a{i}": self._av(v) for i, v in enumerate(fields.values())}
        values.update({":tok": self._av(token), ":running": self._av(RUNNING)})
        names["#s0"] = "status"
        try:
            self._call(
                "update",
                self._ddb.update_item,
                Key={HASH_KEY: {"S": run_id}},
                UpdateExpression=f"SET {sets}",
                ConditionExpression="#s0 = :running AND claim_token = :tok",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            raise StaleClaimError(
                f"run {run_id}: this worker's claim was taken over (abandoned and reclaimed); "
                f"not overwriting the newer attempt with status {fields['status']}"
            ) from exc

    def get(self, run_id: str) -> dict | None:
        resp = self._call(
            "get", self._ddb.get_item, Key={HASH_KEY: {"S": _check_id(run_id)}}, ConsistentRead=True
        )
        return self._item(resp["Item"]) if "Item" in resp else None

    def list_runs(self, limit: int = 50) -> list[dict]:
        out: list[dict] = []
        kwargs: dict = {
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": "#k = :kind",
            "ExpressionAttributeNames": {"#k": LIST_INDEX_HASH},
            "ExpressionAttributeValues": {":kind": {"S": KIND}},
            "ScanIndexForward": False,
        }
        while len(out) < limit:
            resp = self._call("query", self._ddb.query, Limit=limit - len(out), **kwargs)
            out += [self._item(i) for i in resp.get("Items", [])]
            if "LastEvaluatedKey" not in resp:
                break
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return out[:limit]


def table_spec(table_name: str) -> dict:
    """CreateTable arguments for the runs table (same schema as terraform/dynamodb.tf)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": "S"} for n in (HASH_KEY, LIST_INDEX_HASH, LIST_INDEX_RANGE)
        ],
        "KeySchema": [{"AttributeName": HASH_KEY, "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": LIST_INDEX,
                "KeySchema": [
                    {"AttributeName": LIST_INDEX_HASH, "KeyType": "HASH"},
                    {"AttributeName": LIST_INDEX_RANGE, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def create_runs_table(table_name: str, *, ddb=None) -> bool:
    """Create the runs table if missing (True if created); fail clearly if one exists with another key."""
    from dataflow.aws import client

    ddb = ddb or client("dynamodb")
    try:
        ddb.create_table(**table_spec(table_name))
        ddb.get_waiter("table_exists").wait(
            TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        return True
    except ddb.exceptions.ResourceInUseException:
        pass
    desc = ddb.describe_table(TableName=table_name)["Table"]
    keys = [(k["AttributeName"], k["KeyType"]) for k in desc["KeySchema"]]
    indexes = {i["IndexName"] for i in desc.get("GlobalSecondaryIndexes", [])}
    if keys != [(HASH_KEY, "HASH")] or LIST_INDEX not in indexes:
        raise RunHistoryError(
            f"table {table_name} exists with key {keys} and indexes {sorted(indexes)}; "
            f"expected hash key {HASH_KEY!r} and index {LIST_INDEX!r}"
        )
    return False


# ---- the lake (local default) ----------------------------------------------------------------------------
_LOCKS: dict[str, threading.Lock] = {}


class LakeRunHistory(RunHistory):
    """Run history as JSON files under ``runs/_history/`` in the lake (file-locked on a local folder)."""

    def __init__(self, lake, *, abandon_after: timedelta = DEFAULT_ABANDON_AFTER):
        super().__init__(abandon_after)
        from dataflow.lake import Lake

        self.lake = Lake.open(lake) if isinstance(lake, str) else lake
        self._thread_lock = _LOCKS.setdefault(self.lake.uri, threading.Lock())

    @contextlib.contextmanager
    def _locked(self):
        with self._thread_lock:
            root = getattr(self.lake, "root", None)  # a local folder: also lock against other processes
            if root is None:
                yield
                return
            import fcntl

            lock_path = root / HISTORY_PREFIX / ".lock"
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            with open(lock_path, "a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)

    def _key(self, run_id: str) -> str:
        return f"{HISTORY_PREFIX}{_check_id(run_id)}.json"

    def claim(self, run_id: str, inputs_fingerprint: str, *, now: datetime | None = None) -> str:
        t = _utc(now)
        with self._locked():
            old = self.get(run_id)
            decision = claim_decision(old, t, self.abandon_after)
            if decision != CLAIMED:
                return decision
            rec = self._new_claim(run_id, inputs_fingerprint, t, int((old or {}).get("attempt", 0)) + 1)
            self.lake.write_json(self._key(run_id), rec)
        self._claims[run_id] = (rec["claim_token"], rec["claimed_epoch"])
        return CLAIMED

    def _finish(self, run_id: str, token: str, fields: dict) -> None:
        with self._locked():
            rec = self.get(run_id)
            if not rec or rec.get("status") != RUNNING or rec.get("claim_token") != token:
                raise StaleClaimError(
                    f"run {run_id}: this worker's claim was taken over; "
                    f"not overwriting the newer attempt with status {fields['status']}"
                )
            self.lake.write_json(self._key(run_id), {**rec, **fields})

    def get(self, run_id: str) -> dict | None:
        key = self._key(run_id)
        return self.lake.read_json(key) if self.lake.exists(key) else None

    def list_runs(self, limit: int = 50) -> list[dict]:
        recs = [self.lake.read_json(k) for k in self.lake.list(HISTORY_PREFIX) if k.endswith(".json")]
        recs.sort(key=lambda r: r.get(LIST_INDEX_RANGE, ""), reverse=True)
        return recs[:limit]


def run_history_from_env(lake, *, abandon_after: timedelta | None = None) -> RunHistory:
    """DynamoDB when ``$SPANISHGAS_RUNS_TABLE`` is set, else the lake's ``runs/_history/``.

    A "running" claim expires with the run's own time budget (``$SPANISHGAS_RUN_TIMEOUT_MINUTES``, the same
    variable the task definition sets) plus a grace period: a task killed without a word (OOM, SIGKILL) blocks
    its run id no longer than a healthy run could have taken.
    """
    if abandon_after is None:
        from dataflow.runtime import claim_expiry

        abandon_after = claim_expiry()
    table = env(ENV_RUNS_TABLE)
    if table:
        return DynamoRunHistory(table, abandon_after=abandon_after)
    return LakeRunHistory(lake, abandon_after=abandon_after)
