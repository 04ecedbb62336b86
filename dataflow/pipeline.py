"""`spanishgas run`: one run of the DAG from raw/ to published outputs, with history, gates and alerts.

Write, audit, publish: every output goes under ``runs/<run_id>/``, the quality gates are checked, and only
then does ``CURRENT`` move. The run id comes from the inputs, code and config, so a repeat is a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dataflow.config import PipelineConfig
from dataflow.errors import QualityGateError, UserError
from dataflow.lake import Lake
from dataflow.lake import lake_uri as resolve_lake
from dataflow.runs import (
    CHAMPION_KEY,
    code_version,
    manifest_key,
    publish,
    read_manifest,
    run_id_for,
    utc_now,
)

RECONCILIATION_NODES = ["raw_reconciliation", "consumption_reconciliation"]
# tables the quality checks read that are not published outputs
QUALITY_INPUTS = [
    "raw_customer_attributes",
    "raw_customer_contracts",
    "raw_price_history",
    "raw_costs_by_province_month",
    "raw_customer_interactions",
    "raw_churn_label",
    "quarantined_customers",
]
# results the run still reads after the DAG ends (reconciliation, notes, champion registry, business summary);
# every other asked-for table is written and checked as its node ends, then released
KEPT_RESULTS = [
    *RECONCILIATION_NODES,
    "raw_column_notes",
    "champion_candidate",
    "promotion_decision",
    "drift_alert",
    "drift",
    "scores",
    "tier_summary",
    "recommendations",
]


@dataclass
class RunResult:
    """What one invocation of the pipeline did."""

    run_id: str
    status: str  # published | skipped | failed
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    recomputed: list[str] = field(default_factory=list)  # nodes executed (not served from Hamilton's cache)
    summary: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"run {self.run_id}: {self.status}" + (f" — {self.message}" if self.message else "")]
        if self.rows:
            lines.append("rows: " + ", ".join(f"{k}={v:,}" for k, v in self.rows.items()))
        if self.quarantined:
            q = {k: v for k, v in self.quarantined.items() if v}
            lines.append("quarantined: " + (", ".join(f"{k}={v:,}" for k, v in q.items()) if q else "none"))
        if self.timings:
            lines.append("timings (s): " + ", ".join(f"{k}={v:.1f}" for k, v in self.timings.items()))
        lines.extend(self.summary)
        return "\n".join(lines)


def _history(lake: Lake):
    from dataflow.aws.run_history import run_history_from_env

    return run_history_from_env(lake)


class _NoHistory:
    """Stands in for the run history when a forced repeat must not rewrite a succeeded run's record."""

    def mark_succeeded(self, *args, **kwargs) -> None:
        pass

    def mark_failed(self, *args, **kwargs) -> None:
        pass


def _alerter(uri: str):
    from dataflow.aws.alerts import alerter_from_env

    return alerter_from_env(uri)


def _quality_checks(budgets: dict | None = None) -> list:
    """Every layer's quality checks, with the configured error budgets."""
    from dataflow.monitor.checks import CHECKS_BY_LAYER
    from dataflow.monitor.quality import with_budgets

    return with_budgets([c for checks in CHECKS_BY_LAYER.values() for c in checks], budgets or {})


def run_pipeline(
    lake_uri: str | None = None,
    config: PipelineConfig | None = None,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = print,
    executor: str | None = None,
    dask_scheduler: str | None = None,
    workers: int | None = None,
) -> RunResult:
    """Run raw → published outputs once for the lake's current raw/ files; the map tasks run where
    :func:`dataflow.driver.task_executor` says (``executor``: local or dask; same results either way)."""
    from dataflow.inventory import take_inventory

    config = config or PipelineConfig()
    uri = resolve_lake(lake_uri)
    lake = Lake.open(uri)
    emit = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    emit(f"reading inventory of {lake.uri_of('raw/')} …")
    inventory = take_inventory(uri)
    inputs_meta = [
        {"key": f.key, "size": f.size, "sha256": f.sha256}
        for f in [*inventory.files.values(), *inventory.consumption]
    ]
    run_id = run_id_for([m["sha256"] for m in inputs_meta], code_version(), config.as_dict())
    history = _history(lake)
    claim = history.claim(run_id, ",".join(sorted(m["sha256"] for m in inputs_meta)))
    if claim == "in_progress" or (claim == "already_succeeded" and not force):
        why = (
            "already published for these inputs, code and config; use --force to recompute"
            if claim == "already_succeeded"
            else "another worker is running it right now"
        )
        emit(f"run {run_id}: nothing to do ({why})")
        return RunResult(run_id, "skipped", why)
    first_publish = claim == "claimed"  # a forced repeat of a published run id sends no second alert
    if not first_publish:  # a forced repeat of a succeeded run: its history record stays as it is
        history = _NoHistory()

    from dataflow import driver as dag  # imports Hamilton (seconds): only once we know there is work to do

    prog = dag.Progress(emit)
    started_at = utc_now()
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "status": "running",
        "started_at": started_at,
        "lake": uri,
        "code_version": code_version(),
        "config": config.as_dict(),
        "inputs": inputs_meta,
    }
    alerter = _alerter(uri)
    try:
        from dataflow.staging import Publisher

        publisher = Publisher(lake, run_id)  # writes each table into runs/<run_id>/ as its node ends
        with dag.task_executor(executor, dask_scheduler, workers) as task_executor:
            dr = dag.build(progress=prog, executor=task_executor, publisher=publisher)
            outputs, quarantine = dag.run_outputs(dr), dag.quarantine_outputs(dr)
            final_vars = [*outputs, *quarantine, *RECONCILIATION_NODES, *QUALITY_INPUTS, "raw_column_notes"]
            publisher.expect(outputs, quarantine, _quality_checks(config.quality_budgets), final_vars)
            dag.hand_off(dr, set(final_vars) - set(KEPT_RESULTS))
            emit(f"run {run_id}: computing {len(final_vars)} outputs")
            inputs = {**dag.inputs_for(uri, config, task_executor), "run_id": run_id}
            results = dr.execute(final_vars, inputs=inputs, overrides={"raw_inventory": inventory})
        recomputed = dag.executed_nodes(dr)
        emit(f"run {run_id}: {len(recomputed)} nodes computed, the rest served from the cache")

        t_write = time.perf_counter()
        rows, quarantined = publisher.written()
        reconciliation = pl.concat([results[n] for n in RECONCILIATION_NODES], how="diagonal_relaxed")
        _attach_rows(manifest, reconciliation)
        report = publisher.report()
        lake.write_parquet(f"runs/{run_id}/monitoring/quality.parquet", report)
        # tables are written as their nodes end: "write" is the publisher's time plus the report's
        write_s = publisher.seconds + time.perf_counter() - t_write
        timings = {**prog.stage_timings(), "write": round(write_s, 3)}
        manifest.update(
            reconciliation=reconciliation.to_dicts(),
            outputs={k: rows[k] for k in rows},
            quarantined=quarantined,
            timings=timings,
            node_timings=prog.timings,
            quality=_quality_summary(report),
            value_notes=results["raw_column_notes"].to_dicts(),
            recomputed=recomputed,
        )
        failures = manifest["quality"]["gate_failures"]
        if failures:
            raise QualityGateError("quality gate failed, run not published: " + "; ".join(failures))
        timings["total"] = round(time.perf_counter() - t0, 3)
        manifest.update(status="published", finished_at=utc_now(), timings=timings)
        lake.write_json(manifest_key(run_id), manifest)
        publish(lake, run_id)
    except Exception as exc:
        manifest.setdefault("node_timings", prog.timings)
        _record_failure(lake, history, alerter, manifest, run_id, exc)
        if isinstance(exc, UserError):
            raise
        raise UserError(f"run {run_id} failed: {type(exc).__name__}: {exc}") from exc
    # published: what follows is bookkeeping; its failure must not un-publish a complete run
    _after_publish(lake, history, alerter, run_id, results, timings, rows, quarantined, emit, first_publish)
    result = RunResult(
        run_id, "published", timings=timings, rows=rows, quarantined=quarantined, recomputed=recomputed
    )
    result.summary = [f"warning: {w}" for w in manifest["quality"]["within_budget"]] + _business_summary(
        results
    )
    emit(f"run {run_id}: published in {timings['total']:.1f}s")
    return result


def _after_publish(
    lake, history, alerter, run_id, results, timings, rows, quarantined, emit, first_publish=True
) -> None:
    """Champion registry, run history, metrics and the drift alert after CURRENT moved (best effort, each step
    logged). The drift alert goes out only here — after the gates passed and the run was published — and only
    the first time this run id is published (not on a forced re-run)."""
    decision = results.get("promotion_decision")
    steps = []
    if decision is not None and getattr(decision, "promoted", False):
        steps.append(("champion registry", lambda: register_champion(lake, decision)))
    steps += [
        ("run history", lambda: history.mark_succeeded(run_id, timings=timings, rows=rows, published=True)),
        (
            "metrics",
            lambda: alerter.metrics(
                {
                    "RunDurationSeconds": timings["total"],
                    "RowsProcessed": float(sum(rows.values())),
                    "RowsQuarantined": float(sum(quarantined.values())),
                    "RunFailed": 0.0,
                    "RunSucceeded": 1.0,  # the heartbeat alarm fires when this is missing for N days
                }
            ),
        ),
    ]
    drift_summary = results.get("drift_alert")
    if isinstance(drift_summary, dict) and first_publish:
        from dataflow.aws.alerts import send_drift_alert

        steps.append(("drift alert", lambda: send_drift_alert(drift_summary, alerter, run_id)))
    for what, action in steps:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - the run is published; report, don't fail
            emit(f"warning: run {run_id} is published but updating the {what} failed: {exc}")
            _quietly(
                lambda what=what, exc=exc: alerter.alert(
                    f"SpanishGas run {run_id}: {what} update failed", str(exc), severity="warning"
                )
            )


def register_champion(lake: Lake, decision) -> None:
    """Point ``registry/champion.json`` at the run whose candidate passed the promotion gate."""
    lake.write_json(CHAMPION_KEY, decision.registry_record())


def _quietly(action) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001
        pass


def write_outputs(lake: Lake, run_id: str, results: dict, outputs: dict[str, str]) -> dict[str, int]:
    """Write each published node into its folder of the run (see :func:`dataflow.driver.run_outputs`);
    returns the row count of every table written. (A run writes them as they are computed instead.)"""
    from dataflow.staging import write_output

    rows = {}
    for name, folder in outputs.items():
        n = write_output(lake, run_id, name, folder, results[name])
        if n is not None:
            rows[name] = n
    return rows


def _attach_rows(manifest: dict, reconciliation: pl.DataFrame) -> None:
    """Add each input file's row count (from the reconciliation) to the manifest's inputs."""
    by_dataset = {r["dataset"]: r["rows_in"] for r in reconciliation.to_dicts()}
    for item in manifest["inputs"]:
        name = item["key"].removeprefix("raw/").split(".")[0]
        item["rows"] = by_dataset.get(
            name, by_dataset.get("consumption") if name.startswith("consumption") else None
        )


def _quality_summary(report: pl.DataFrame) -> dict:
    from dataflow.monitor.quality import budget_warnings, gate_failures

    failed = report.filter(pl.col("status") == "fail")
    return {
        "checks": report.height,
        "failed": failed.height,
        "gate_failures": gate_failures(report),
        "warnings": failed.filter(pl.col("severity") == "warn")["check"].to_list(),
        "within_budget": budget_warnings(report),  # gates that found rows to fix but stayed within budget
    }


def _business_summary(results: dict) -> list[str]:
    from dataflow.summary import summary_lines

    return summary_lines(results)


def _record_failure(lake: Lake, history, alerter, manifest: dict, run_id: str, exc: Exception) -> None:
    """Best effort: the failure is written to the manifest and history and alerted; CURRENT is untouched."""
    from dataflow.aws.alerts import safe_error_text

    gate = isinstance(exc, QualityGateError)
    manifest.update(status="failed_quality_gate" if gate else "failed", finished_at=utc_now(), error=str(exc))
    text = safe_error_text(exc)  # the history and the alert carry files, columns, rules, counts: no values
    for action in (
        lambda: lake.write_json(manifest_key(run_id), manifest),
        lambda: history.mark_failed(run_id, error=text),
        lambda: alerter.alert(
            f"SpanishGas run {run_id} {'failed a quality gate' if gate else 'failed'}",
            text,
            severity="error",
            details={"run_id": run_id, "lake": manifest.get("lake")},
        ),
        lambda: alerter.metrics({"RunFailed": 1.0, "GateFailed": 1.0 if gate else 0.0}),
    ):
        _quietly(action)


__all__ = ["RunResult", "run_pipeline", "read_manifest", "write_outputs", "register_champion"]
