"""Writing a run's tables into its own folder as soon as each is computed, and checking their quality then,
so no table has to stay in memory until the end of the run.

A published table goes to ``runs/<run_id>/<folder>/`` and a quarantine table to ``quarantine/<run_id>/`` the
moment its node ends; nothing moves ``CURRENT`` (the run is published only after every gate passed, in
:func:`dataflow.pipeline.run_pipeline`), so readers still see the previous complete run until then. Each
quality check runs once the tables it reads exist; the report has the same rows, in the same order, as
running every check at the end.
"""

from __future__ import annotations

import time
from typing import Any

import polars as pl
from hamilton.lifecycle import api as lifecycle

from dataflow.lake import Lake
from dataflow.monitor.quality import REPORT_SCHEMA, Check, run_check
from dataflow.runs import output_key, quarantine_key


def write_output(lake: Lake, run_id: str, name: str, folder: str, value: Any) -> int | None:
    """Write one published node into its folder of the run; its row count when it is a table."""
    if isinstance(value, pl.DataFrame):
        lake.write_parquet(output_key(run_id, folder, name), value)
        return value.height
    if hasattr(value, "write_to"):
        value.write_to(lake, f"runs/{run_id}/{folder}/")
    return None


def write_quarantine(lake: Lake, run_id: str, dataset: str, frame: pl.DataFrame) -> int:
    """Write the rows of one raw file set aside (nothing when there are none); how many there are."""
    if frame.height:
        lake.write_parquet(quarantine_key(run_id, dataset), frame)
    return frame.height


def tables_read(check: Check) -> set[str]:
    """The tables a check looks at: its own, and the one it relates to or compares with."""
    return {check.table, *(check.params[p] for p in ("to_table", "kept") if p in check.params)}


class Publisher(lifecycle.NodeExecutionHook):
    """Writes each published and quarantine node of one run as it ends, and runs each quality check as soon as
    every table it reads has been computed; it holds a table only while a pending check still needs it.

    Set up in two steps: created with the lake and run id (it must be given to the driver as it is built),
    then told what to expect (:meth:`expect`) once the driver knows the published nodes."""

    def __init__(self, lake: Lake, run_id: str):
        self.lake, self.run_id, self.active = lake, run_id, True
        self.outputs: dict[str, str] = {}
        self.quarantine: dict[str, str] = {}
        self.checks: list[Check] = []
        self.tables: set[str] = set()
        self.rows: dict[str, int] = {}
        self.quarantined: dict[str, int] = {}
        self._held: dict[str, pl.DataFrame] = {}
        self._seen: set[str] = set()
        self._pending: dict[int, set[str]] = {}
        self._report: dict[int, dict] = {}
        self.seconds = 0.0  # spent writing and checking

    def __getstate__(self) -> dict:
        """The copy a Dask worker receives with a map task does nothing (published nodes run here)."""
        return {"active": False}

    def expect(
        self, outputs: dict[str, str], quarantine: dict[str, str], checks: list[Check], tables: list[str]
    ) -> None:
        """What to write (node → folder; quarantine node → raw dataset), which checks to run, and which
        nodes count as tables for the checks (a check on any other table is reported as skipped)."""
        self.outputs, self.quarantine, self.checks, self.tables = outputs, quarantine, checks, set(tables)
        self._pending = {i: tables_read(c) & self.tables for i, c in enumerate(checks)}

    def run_before_node_execution(self, **kwargs: Any) -> None:
        pass

    def run_after_node_execution(self, *, node_name: str, result: Any, success: bool, **kwargs: Any) -> None:
        if not getattr(self, "active", False) or not success:
            return
        start = time.perf_counter()
        if node_name in self.outputs:
            rows = write_output(self.lake, self.run_id, node_name, self.outputs[node_name], result)
            if rows is not None:
                self.rows[node_name] = rows
        if node_name in self.quarantine:
            dataset = self.quarantine[node_name]
            self.quarantined[dataset] = write_quarantine(self.lake, self.run_id, dataset, result)
        if node_name in self.tables:
            self._seen.add(node_name)
            if isinstance(result, pl.DataFrame):
                self._held[node_name] = result
            self._run_checks(lambda needs: needs <= self._seen)
        self.seconds += time.perf_counter() - start

    def _run_checks(self, ready) -> None:
        for i in [i for i, needs in self._pending.items() if ready(needs)]:
            self._report[i] = run_check(self.checks[i], self._held)
            del self._pending[i]
        needed = set().union(*self._pending.values())
        for name in [n for n in self._held if n not in needed]:
            del self._held[name]

    def report(self) -> pl.DataFrame:
        """One row per check, in the order of the checks (a check whose tables never came is skipped)."""
        self._run_checks(lambda needs: True)
        rows = [self._report[i] for i in range(len(self.checks))]
        return (
            pl.DataFrame(rows, schema=REPORT_SCHEMA, orient="row")
            if rows
            else pl.DataFrame(schema=REPORT_SCHEMA)
        )

    def written(self) -> tuple[dict[str, int], dict[str, int]]:
        """Rows of every published table and of every quarantine file, in the order of the node lists."""
        rows = {n: self.rows[n] for n in self.outputs if n in self.rows}
        quarantined = {d: self.quarantined[d] for d in self.quarantine.values() if d in self.quarantined}
        return rows, quarantined
