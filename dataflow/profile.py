"""Does a raw/ folder look like the real extracts? Its statistics next to the reference values, PASS/FAIL.

Works on any contract-conforming raw/ (generated or not). Marginals are measured, like the real extract's, on
the customers still active at the end of the readings; counts that depend on the book's size are scaled by
it. A tolerance is the stated business tolerance plus four standard errors at this sample size; rows that
need a large book say "n/a at this scale" instead of passing silently.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from dataflow import nlp
from dataflow.config import RAW_FILES, RAW_PREFIX
from dataflow.errors import ContractError
from dataflow.generate import targets as P
from dataflow.lake import Lake

ASOF = "DATE '2024-12-31'"


@dataclass
class Row:
    section: str
    metric: str
    value: float | None
    reference: str
    tolerance: str
    status: str  # PASS, FAIL or n/a


@dataclass
class ProfileReport:
    """The profile of one raw/ folder: one row per statistic."""

    lake: str
    customers: int = 0
    rows: list[Row] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.status != "FAIL" for r in self.rows)

    def table(self) -> str:
        head = ("section", "metric", "value", "reference", "tolerance", "result")
        body = [(r.section, r.metric, _fmt(r.value), r.reference, r.tolerance, r.status) for r in self.rows]
        w = [max(len(str(x[i])) for x in [head, *body]) for i in range(6)]
        lines = [" | ".join(str(x[i]).ljust(w[i]) for i in range(6)) for x in [head, *body]]
        lines.insert(1, "-+-".join("-" * n for n in w))
        fails = sum(r.status == "FAIL" for r in self.rows)
        lines.append(
            f"{len(self.rows)} checks on {self.lake} ({self.customers:,} active customers): "
            + ("all within tolerance" if not fails else f"{fails} FAILED")
        )
        return "\n".join(lines)


def _fmt(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


class _Checks:
    """Collects rows; each helper decides PASS/FAIL (or n/a when the book is too small)."""

    def __init__(self, report: ProfileReport):
        self.r, self.section = report, ""

    def add(self, metric, value, reference, tolerance, ok, na=False):
        status = "n/a at this scale" if na else ("PASS" if ok else "FAIL")
        self.r.rows.append(
            Row(
                self.section,
                metric,
                None if value is None else float(value),
                str(reference),
                tolerance,
                status,
            )
        )

    def share(self, metric, k, n, ref, tol, need=0):
        """A proportion k/n within ±(tol + 4 standard errors) of ref."""
        v = k / n if n else float("nan")
        exact = ref in (0.0, 1.0) and tol == 0.0  # structural rules: no sampling slack
        eff = tol if exact else tol + 4 * math.sqrt(ref * (1 - ref) / max(n, 1))
        self.add(
            metric,
            v,
            f"{ref:.4g}",
            "exact" if exact else f"±{eff:.3g}",
            n > 0 and abs(v - ref) <= eff + 1e-12,
            na=n < need,
        )

    def near(self, metric, v, ref, rel, need=0, n=0):
        """A value within ±rel (relative) of ref."""
        self.add(
            metric,
            v,
            f"{ref:,.4g}",
            f"±{rel:.0%}",
            v is not None and abs(v - ref) <= rel * abs(ref),
            na=n < need,
        )

    def within(self, metric, v, lo, hi, ref="", need=0, n=0):
        self.add(
            metric,
            v,
            ref or f"[{lo:.4g}, {hi:.4g}]",
            f"in [{lo:.4g}, {hi:.4g}]",
            v is not None and lo <= v <= hi,
            na=n < need,
        )


def profile(lake_uri: str, progress: Callable[[str], None] = lambda _m: None) -> ProfileReport:
    """Profile ``<lake>/raw/`` against the real extracts' reference statistics (reference spec §1–2, §12)."""
    lake = Lake.open(lake_uri)
    keys = lake.list(RAW_PREFIX)
    for name in RAW_FILES.values():
        if RAW_PREFIX + name not in keys:
            raise ContractError(RAW_PREFIX + name, None, "file missing from the raw folder")
    cons = [k for k in keys if k.split("/")[-1].startswith("consumption_hourly_")]
    if not cons:
        raise ContractError(RAW_PREFIX + "consumption_hourly_*", None, "no consumption file")
    report = ProfileReport(lake.uri)
    ck = _Checks(report)
    csv = {
        n: pl.read_csv(lake.local_path(RAW_PREFIX + f), infer_schema_length=0)
        for n, f in RAW_FILES.items()
        if f.endswith(".csv")
    }
    progress("profiling hourly readings …")
    from dataflow.runtime import configure_duckdb

    con = configure_duckdb(duckdb.connect())
    con.sql("SET preserve_insertion_order = false")
    paths = [str(lake.local_path(k)) for k in cons]
    if paths[0].endswith(".parquet"):
        con.sql(f"CREATE VIEW c AS SELECT * FROM read_parquet({paths!r})")
    else:
        con.sql(
            f"CREATE VIEW c AS SELECT * FROM read_csv({paths!r}, header = true, columns = {{"
            "'customer_id': 'VARCHAR', 'timestamp': 'TIMESTAMP', 'consumption_elec_kwh': 'DOUBLE', "
            "'consumption_gas_m3': 'DOUBLE'})"
        )
    per = con.sql("""SELECT customer_id, count(*)::BIGINT AS n, min(timestamp) AS t0, max(timestamp) AS t1,
        sum(greatest(consumption_elec_kwh, 0)) AS elec, sum(greatest(consumption_gas_m3, 0)) AS gas,
        sum((consumption_elec_kwh < 0)::INT)::BIGINT AS neg_e, sum((consumption_gas_m3 < 0)::INT)::BIGINT AS neg_g,
        sum(least(consumption_gas_m3, 0)) AS neg_g_sum FROM c GROUP BY 1""").pl()
    P.customers(ck, csv, per, report)
    attrs = P.attributes_frame(csv["customer_attributes"])
    con.register("seg", attrs.select("customer_id", "segment").to_arrow())
    progress("profiling load shapes …")
    shape = con.sql("""SELECT s.segment, CAST(c.timestamp AS DATE) AS day, hour(c.timestamp) AS h,
        avg(greatest(c.consumption_elec_kwh, 0)) AS kwh FROM c JOIN seg s USING (customer_id)
        GROUP BY ALL""").pl()
    P.consumption(ck, per, shape, report)
    progress("profiling prices, costs, interactions and labels …")
    P.prices(ck, csv["price_history"], per, report)
    P.costs(ck, csv["costs_by_province_month"])
    inter = json.loads(lake.read_bytes(RAW_PREFIX + RAW_FILES["customer_interactions"]))
    P.interactions(ck, inter, csv["customer_contracts"], per, report, nlp)
    P.labels(ck, csv["churn_label"], csv["customer_contracts"], attrs, per)
    return report


__all__ = ["profile", "ProfileReport", "Row", "ASOF", "np"]
