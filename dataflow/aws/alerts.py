"""One alert interface: always log; also publish to SNS and put CloudWatch metrics when configured.

SNS is used when ``$SPANISHGAS_ALERTS_TOPIC_ARN`` is set, CloudWatch when ``$SPANISHGAS_METRICS_NAMESPACE``
is set (dimension ``Lake`` = the lake URI, which names the environment). A failing SNS or CloudWatch call
never breaks the run: it is logged and counted in :attr:`Alerter.failures`.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from datetime import UTC, datetime

from dataflow.config import ENV_ALERTS_TOPIC, ENV_LAKE, ENV_METRICS_NAMESPACE, env

log = logging.getLogger("spanishgas.alerts")

METRIC_UNITS = {
    "RunDurationSeconds": "Seconds",
    "RowsProcessed": "Count",
    "RowsQuarantined": "Count",
    "FeaturesDrifted": "Count",
    "PredictionDrifted": "Count",
    "RunFailed": "Count",
    "RunSucceeded": "Count",
    "GateFailed": "Count",
}
SEVERITIES = ("info", "warning", "error", "critical")
_LEVELS = {
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
SUBJECT_MAX = 99  # SNS: ASCII, no control characters, fewer than 100 characters
MESSAGE_MAX = 200_000  # SNS allows 256 KB; stay well below it


def sns_subject(subject: str, severity: str) -> str:
    """``[SEVERITY] subject`` made SNS-safe: ASCII, single line, at most 99 characters."""
    text = f"[{severity.upper()}] {subject}"
    text = re.sub(r"\s+", " ", text.encode("ascii", "replace").decode("ascii")).strip()
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 3] + "..."


class Alerter:
    """Send alerts and metrics to the log, and to SNS / CloudWatch when a topic / namespace is given."""

    def __init__(
        self,
        *,
        topic_arn: str | None = None,
        namespace: str | None = None,
        lake: str | None = None,
        sns=None,
        cloudwatch=None,
    ):
        self.topic_arn, self.namespace, self.lake = topic_arn, namespace, lake
        self._sns, self._cw = sns, cloudwatch
        self.failures: Counter[str] = Counter()  # channel -> failed calls ("sns", "cloudwatch")
        self.sent: Counter[str] = Counter()

    def _client(self, name: str):
        from dataflow.aws import client

        attr = "_sns" if name == "sns" else "_cw"
        if getattr(self, attr) is None:
            setattr(self, attr, client(name, timeout_s=5.0))
        return getattr(self, attr)

    def alert(
        self, subject: str, message: str, *, severity: str = "warning", details: dict | None = None
    ) -> None:
        """Log the alert and, when a topic is configured, publish it to SNS as a JSON document."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")
        log.log(_LEVELS[severity], "%s: %s%s", subject, message, f" {details}" if details else "")
        if not self.topic_arn:
            return
        body = {
            "subject": subject,
            "severity": severity,
            "message": message,
            "details": details or {},
            "lake": self.lake,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        text = json.dumps(_json_safe(body), ensure_ascii=False, allow_nan=False)
        if len(text.encode("utf-8")) > MESSAGE_MAX:
            body["details"] = {"truncated": True, "keys": sorted(map(str, (details or {}).keys()))[:100]}
            text = json.dumps(_json_safe(body), ensure_ascii=False, allow_nan=False)
        self._send(
            "sns",
            lambda: self._client("sns").publish(
                TopicArn=self.topic_arn,
                Subject=sns_subject(subject, severity),
                Message=text,
                MessageAttributes={"severity": {"DataType": "String", "StringValue": severity}},
            ),
        )

    def metrics(self, values: dict[str, float], *, unit_map: dict | None = None) -> None:
        """Log the values and, when a namespace is configured, put them as CloudWatch metrics."""
        clean: dict[str, float] = {}
        for name, value in values.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                log.warning("metric %s=%r is not a number; not sent", name, value)
                continue
            if math.isfinite(number):
                clean[name] = number
        log.info("metrics %s", clean)
        if not self.namespace or not clean:
            return
        units = {**METRIC_UNITS, **(unit_map or {})}
        dims = [{"Name": "Lake", "Value": self.lake}] if self.lake else []
        now = datetime.now(UTC)
        data = [
            {"MetricName": k, "Value": v, "Unit": units.get(k, "None"), "Timestamp": now, "Dimensions": dims}
            for k, v in clean.items()
        ]
        for i in range(0, len(data), 500):  # PutMetricData takes at most 1000 values per call
            chunk = data[i : i + 500]
            self._send(
                "cloudwatch",
                lambda chunk=chunk: self._client("cloudwatch").put_metric_data(
                    Namespace=self.namespace, MetricData=chunk
                ),
            )

    def _send(self, channel: str, call) -> None:
        try:
            call()
            self.sent[channel] += 1
        except Exception as exc:  # noqa: BLE001 - an alert channel must never break the run
            self.failures[channel] += 1
            log.error(
                "could not send to %s (%s failures so far): %s: %s",
                channel,
                self.failures[channel],
                type(exc).__name__,
                exc,
            )


def send_drift_alert(summary: dict, alerter: Alerter, run_id: str = "") -> bool:
    """Metrics FeaturesDrifted / PredictionDrifted always; an alert when anything is alarmed. Returns whether an
    alert was sent. Called by the pipeline once the run is published, once per run id."""
    alerter.metrics(
        {
            "FeaturesDrifted": float(summary.get("features_drifted", 0)),
            "PredictionDrifted": float(bool(summary.get("prediction_drifted"))),
        }
    )
    if not summary.get("alarm"):
        return False
    alerter.alert(
        summary["subject"],
        f"Drift of run {run_id} against the reference snapshot {summary.get('reference_date')} "
        "(effect sizes):\n" + "\n".join(summary["lines"]),
        severity="warning",
        details={
            "run_id": run_id,
            "drifted_features": summary["drifted"],
            "prediction_drifted": summary["prediction_drifted"],
        },
    )
    return True


def _json_safe(obj):
    """Plain JSON data: NaN/inf become None, keys strings, unknown objects their ``str``."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [_json_safe(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    return str(obj)


def alerter_from_env(lake: str | None = None) -> Alerter:
    """An :class:`Alerter` configured from the topic, namespace and lake environment variables."""
    lake = (lake or env(ENV_LAKE) or "").rstrip("/") or None  # the same string terraform's alarms use
    return Alerter(topic_arn=env(ENV_ALERTS_TOPIC), namespace=env(ENV_METRICS_NAMESPACE), lake=lake)


def safe_error_text(exc: BaseException) -> str:
    """What a failure may say in SNS and in the run history: files, columns, rules and counts, never data values.

    A contract error's example value (a customer's data) stays in the task log and the lake's manifest only;
    errors that are not ours (pandera, Polars, DuckDB) can quote rows, so only their type is sent.
    """
    from dataflow.errors import ContractError, UserError
    from dataflow.lake import LakeError

    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:  # the contract error may be the cause of a wrapper
        seen.add(id(cur))
        if isinstance(cur, ContractError):
            where = cur.file + (f", column {cur.column!r}" if cur.column else "")
            withheld = " (example value withheld; see the task log)" if cur.example is not None else ""
            return f"{type(cur).__name__}: {where}: {cur.rule}{withheld}"
        cur = cur.__cause__ or cur.__context__
    if isinstance(exc, (UserError, LakeError)) or type(exc).__module__.startswith("dataflow."):
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exc).__module__}.{type(exc).__name__} (message withheld: it may quote data values; see the task log)"
