"""Declarative data-quality checks, run per layer: each check passes, fails or is skipped, with an example.

A ``gate`` failure stops publication (:func:`gate_failures` / :func:`enforce_gates`); a ``warn`` failure is
reported only. A gate with an error :class:`Budget` tolerates a few affected rows: below the budget its status
is ``within_budget`` and the run publishes with a warning (:func:`budget_warnings`); above it, it fails with
the share and the budget in its message. A problem with the table as a whole (a missing column) always fails. A ``business_exception`` documents why some nulls or values are normal, so a reader of the
report knows what is expected. The check lists themselves live in :mod:`dataflow.monitor.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from dataflow.errors import QualityGateError

KINDS = ("unique_key", "not_null", "accepted_values", "relationship", "range", "null_rate", "quarantined")
STATUSES = ("pass", "within_budget", "fail", "skipped")
SEVERITIES = ("gate", "warn")
_ID_COLUMNS = ("customer_id", "as_of_date", "month", "label_date", "date", "province")
REPORT_SCHEMA = {
    "layer": pl.Utf8,
    "table": pl.Utf8,
    "check": pl.Utf8,
    "kind": pl.Utf8,
    "status": pl.Utf8,
    "observed": pl.Float64,
    "threshold": pl.Utf8,
    "failing_rows": pl.Int64,
    "example": pl.Utf8,
    "severity": pl.Utf8,
    "business_exception": pl.Utf8,
    "message": pl.Utf8,
}


@dataclass(frozen=True)
class Budget:
    """How many affected rows a gate tolerates: it fails only when more than ``max_rows`` rows *and* more than
    ``max_share`` of the table's rows are affected (so a handful of bad rows never stops a small run, and 1% of
    a large one does not either)."""

    max_share: float = 0.01
    max_rows: int = 10

    def __post_init__(self):
        if not 0 <= self.max_share <= 1 or self.max_rows < 0:
            raise ValueError(f"an error budget needs 0 <= max_share <= 1 and max_rows >= 0, got {self}")

    def allows(self, affected: int, total: int) -> bool:
        return affected <= self.max_rows or affected <= self.max_share * total

    def describe(self, unit: str = "rows") -> str:
        return f"fails above {self.max_share:.1%} and {self.max_rows:,} {unit}"


@dataclass(frozen=True)
class Check:
    """One rule about one table, e.g. "customer_id is unique in raw_customer_attributes" (a gate)."""

    table: str
    name: str
    kind: str
    columns: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "gate"
    business_exception: str | None = None
    budget: Budget | None = None  # None: any affected row fails the gate

    @property
    def key(self) -> str:
        """How configuration names this check (``quality_budgets``): ``"<table>: <check name>"``."""
        return f"{self.table}: {self.name}"

    def __post_init__(self):
        object.__setattr__(self, "columns", tuple(self.columns))
        if self.kind not in KINDS:
            raise ValueError(f"check {self.name!r}: kind must be one of {KINDS}, not {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"check {self.name!r}: severity must be one of {SEVERITIES}")
        if not self.columns:
            raise ValueError(f"check {self.name!r}: name at least one column")
        needed = {
            "accepted_values": "values",
            "relationship": "to_table",
            "null_rate": "max",
            "quarantined": "dataset",
        }.get(self.kind)
        if needed and needed not in self.params:
            raise ValueError(f"check {self.name!r}: a {self.kind} check needs params[{needed!r}]")
        if self.kind == "range" and not {"min", "max"} & set(self.params):
            raise ValueError(f"check {self.name!r}: a range check needs params 'min' and/or 'max'")

    @property
    def layer(self) -> str:
        prefix = self.table.split("_", 1)[0]
        return {"quarantine": "raw", "quarantined": "raw", "consumption": "bronze"}.get(prefix, prefix)


@dataclass
class _Outcome:
    passed: bool
    observed: float | None
    threshold: str
    failing_rows: int | None
    example: str | None
    message: str
    out_of: int | None = None  # rows the share is taken of (default: the table's rows)
    unit: str = "rows"


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _identify(df: pl.DataFrame, mask: pl.Series) -> str | None:
    """A failing row as a person would look it up: its id columns, or its position."""
    hit = df.with_row_index("__i").filter(mask)
    if hit.is_empty():
        return None
    ids = [c for c in _ID_COLUMNS if c in df.columns]
    row = hit.row(0, named=True)
    return ", ".join(f"{c}={row[c]}" for c in ids) if ids else f"row {row['__i'] + 1}"


def _first(df: pl.DataFrame, mask: pl.Series, col: str) -> str | None:
    values = df.filter(mask)[col]
    return _text(values[0]) if len(values) else None


def _evaluate(c: Check, df: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> _Outcome | str:
    """The outcome of one check on a present table, or a reason to skip it."""
    cols, where = list(c.columns), f"{c.table}.{', '.join(c.columns)}"
    if c.kind == "quarantined":
        return _quarantined(c, df, tables)
    if c.kind == "unique_key":
        dup = df.select(pl.struct(cols).is_duplicated()).to_series()
        n = int(dup.sum())
        example = " | ".join(map(str, df.filter(dup).select(cols).row(0))) if n else None
        return _Outcome(
            n == 0,
            float(n),
            "0 rows sharing a key",
            n,
            example,
            f"{where}: {n} rows share their key with another row (e.g. {example}); each key must appear once",
        )
    if c.kind in ("not_null", "null_rate"):
        nulls = {col: df[col].is_null() for col in cols}
        worst = max(cols, key=lambda col: int(nulls[col].sum()))
        any_null = df.select(pl.any_horizontal([pl.col(col).is_null() for col in cols])).to_series()
        n, example = int(any_null.sum()), _identify(df, nulls[worst])
        if c.kind == "not_null":
            return _Outcome(
                n == 0,
                float(n),
                "0 empty values",
                n,
                example,
                f"{where}: {n} rows have an empty value (e.g. {worst} empty at {example})",
            )
        rate = int(nulls[worst].sum()) / max(df.height, 1)
        limit = float(c.params["max"])
        return _Outcome(
            rate <= limit,
            rate,
            f"<= {limit:.1%} empty",
            int(nulls[worst].sum()),
            example,
            f"{c.table}.{worst}: {rate:.1%} of rows are empty, limit {limit:.1%} (e.g. {example})",
        )
    col = cols[0]
    values = df[col]
    if c.kind == "accepted_values":
        allowed = list(c.params["values"])
        bad = values.is_not_null() & ~values.is_in(pl.Series(allowed, dtype=values.dtype).implode())
        n, example = int(bad.sum()), _first(df, bad, col)
        return _Outcome(
            n == 0,
            float(n),
            f"one of {allowed}",
            n,
            example,
            f"{where}: {n} rows have a value outside {allowed} (e.g. {example!r})",
        )
    if c.kind == "relationship":
        parent_name, parent_col = c.params["to_table"], c.params.get("to_column", col)
        parent = tables.get(parent_name)
        if parent is None:
            return f"parent table {parent_name} not produced in this run"
        if parent_col not in parent.columns:
            return _Outcome(
                False,
                None,
                f"exists in {parent_name}.{parent_col}",
                None,
                f"column {parent_col} missing",
                f"{parent_name} has no column {parent_col!r}",
            )
        bad = values.is_not_null() & ~values.is_in(
            parent[parent_col].cast(values.dtype, strict=False).implode()
        )
        n, example = int(bad.sum()), _first(df, bad, col)
        return _Outcome(
            n == 0,
            float(n),
            f"exists in {parent_name}.{parent_col}",
            n,
            example,
            f"{where}: {n} rows point to a value missing from {parent_name}.{parent_col} (e.g. {example!r})",
        )
    lo, hi = c.params.get("min"), c.params.get("max")
    v = pl.col(col)
    bad = df.select(
        ((v < lo) if lo is not None else pl.lit(False)).fill_null(False)
        | ((v > hi) if hi is not None else pl.lit(False)).fill_null(False)
    ).to_series()
    n, example = int(bad.sum()), _first(df, bad, col)
    span = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
    return _Outcome(
        n == 0, float(n), span, n, example, f"{where}: {n} rows are outside {span} (e.g. {example})"
    )


def _quarantined(c: Check, table: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> _Outcome | str:
    """Rows of one file set aside: all of them, or (``params["own_faults"]``) only those with a fault of their
    own, not orphans of a customer set aside elsewhere (that fault is charged where it is).

    With ``params["kept"]`` the checked table lists what was set aside (e.g. ``quarantined_customers``, one
    row per customer lost, however many rows it had) and the share is taken of those plus the kept table.
    """
    if "kept" in c.params:
        kept = tables.get(c.params["kept"])
        if kept is None:
            return f"{c.params['kept']} not produced in this run"
        n, total = table.height, table.height + kept.height
        example = ", ".join(table["customer_id"].head(3).to_list()) if n else None
        return _Outcome(
            n == 0,
            float(n),
            "0 customers set aside",
            n,
            example,
            f"{c.params['dataset']}: customers set aside (e.g. {example}; reasons in "
            f"quarantine/<run_id>/{c.params['dataset']}.parquet)",
            out_of=total,
            unit="customers",
        )
    dataset, own = c.params["dataset"], c.params.get("own_faults", False)
    row = table.filter(pl.col("dataset") == dataset)
    if row.is_empty():
        return f"{dataset} is not in {c.table}"
    r = row.row(0, named=True)
    n = int(r["rows_quarantined"] - ((r.get("rows_orphaned") or 0) if own else 0))
    total = int(r["rows_in"])
    what = "rows quarantined for a fault of their own" if own else "rows quarantined"
    return _Outcome(
        n == 0,
        float(n),
        "0 rows quarantined",
        n,
        f"see quarantine/<run_id>/{dataset}.parquet" if n else None,
        f"{dataset}: {what}"
        + ("" if c.budget else f": {n:,} of {total:,} ({n / max(total, 1):.2%})")
        + f" (reasons in quarantine/<run_id>/{dataset}.parquet)",
        out_of=total,
    )


def run_check(c: Check, tables: dict[str, pl.DataFrame]) -> dict[str, Any]:
    """One report row for one check."""
    row = {
        "layer": c.layer,
        "table": c.table,
        "check": c.name,
        "kind": c.kind,
        "severity": c.severity,
        "business_exception": c.business_exception,
        "observed": None,
        "threshold": None,
        "failing_rows": None,
        "example": None,
    }
    df = tables.get(c.table)
    if df is None:
        return {**row, "status": "skipped", "message": f"{c.table} was not produced in this run"}
    missing = [col for col in c.columns if col not in df.columns]
    if missing:
        return {
            **row,
            "status": "fail",
            "example": f"column {missing[0]} missing",
            "message": f"{c.table} has no column {missing[0]!r} (check {c.name}); columns: {df.columns}",
        }
    out = _evaluate(c, df, tables)
    if isinstance(out, str):
        return {**row, "status": "skipped", "message": out}
    status = "pass" if out.passed else "fail"
    message = f"{c.table}: {c.name} passed" if out.passed else out.message
    threshold = out.threshold
    if c.budget is not None and c.severity == "gate":
        threshold = f"{threshold}; budget: {c.budget.describe()}"
        if not out.passed and out.failing_rows is not None:  # a whole-table problem has no row count
            total = out.out_of if out.out_of is not None else df.height
            share = out.failing_rows / max(total, 1)
            within = c.budget.allows(out.failing_rows, total)
            status = "within_budget" if within else "fail"
            message += (
                f" — {out.failing_rows:,} of {total:,} {out.unit} affected ({share:.2%}), "
                f"{'within' if within else 'above'} the error budget (check {c.name!r} "
                f"{c.budget.describe(out.unit)})"
            )
    if c.business_exception:
        message += f". Expected: {c.business_exception}"
    return {
        **row,
        "status": status,
        "observed": out.observed,
        "threshold": threshold,
        "failing_rows": out.failing_rows,
        "example": out.example,
        "message": message,
    }


def run_checks(tables: dict[str, pl.DataFrame], checks: list[Check]) -> pl.DataFrame:
    """Run every check against the tables present; one report row per check (absent table → skipped)."""
    rows = [run_check(c, tables) for c in checks]
    return (
        pl.DataFrame(rows, schema=REPORT_SCHEMA, orient="row") if rows else pl.DataFrame(schema=REPORT_SCHEMA)
    )


def gate_failures(report: pl.DataFrame) -> list[str]:
    """One plain sentence per failed gate check (warnings are not gates)."""
    failed = report.filter((pl.col("status") == "fail") & (pl.col("severity") == "gate"))
    return [
        f"Quality gate failed ({r['layer']} layer, check {r['check']}): {r['message']}"
        for r in failed.iter_rows(named=True)
    ]


def budget_warnings(report: pl.DataFrame) -> list[str]:
    """One plain sentence per gate whose problem stayed within its error budget: the run publishes, but
    someone should look (the quarantine folder of the run holds the rows and their reasons)."""
    within = report.filter(pl.col("status") == "within_budget")
    return [
        f"Within error budget ({r['layer']} layer, check {r['check']}): {r['message']}"
        for r in within.iter_rows(named=True)
    ]


def with_budgets(checks: list[Check], budgets: dict[str, Any]) -> list[Check]:
    """The checks with their budgets replaced from configuration: ``{"<table>: <check>": {"max_share": 0.02,
    "max_rows": 50}}`` (or ``None`` for no tolerance). An unknown check name is refused, not ignored."""
    known = {c.key for c in checks}
    unknown = sorted(set(budgets) - known)
    if unknown:
        raise ValueError(
            f"quality_budgets names unknown check(s) {unknown}; checks are named '<table>: <check>', "
            f"e.g. {sorted(known)[:3]}"
        )
    return [
        replace(c, budget=None if budgets[c.key] is None else Budget(**budgets[c.key]))
        if c.key in budgets
        else c
        for c in checks
    ]


def enforce_gates(report: pl.DataFrame) -> None:
    """Stop publication when any gate failed, listing every failure in one message."""
    failures = gate_failures(report)
    if failures:
        raise QualityGateError(f"{len(failures)} data-quality gate(s) failed:\n- " + "\n- ".join(failures))
