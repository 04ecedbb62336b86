"""Property: whatever k ≤ 5 rows of whichever raw file are broken, in whichever way from the catalogue of row
faults, the run publishes, every broken row (and every row it orphans) is in quarantine with a reason, the
counts reconcile exactly, and nothing raises.

Coverage and speed. Every file × fault pair of :data:`CATALOGUE` is a parametrized case, so each pair is run
for sure; hypothesis chooses, within a pair, how many rows, which rows and which column. One 150-customer lake
is generated once per module and the same lake path is reused (raw/ rewritten each example) with one Hamilton
cache, so the nodes of files an example did not touch come from the cache. Each example runs the real
``run_pipeline`` — inventory, the whole ETL part of the DAG (raw → gold) with its schemas, quarantine, the
reconciliation, every quality gate with its error budget, the manifest and the publish step — but without the
model, scoring and monitoring outputs: training three models per example would take minutes and tells nothing
about row faults (tests/test_row_faults.py runs the six original cases through the full pipeline).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lake_faults import assert_reconciled, copy_raw, csv_lines, customer_rows, published, write_lines

from dataflow import driver, pipeline
from dataflow.config import PipelineConfig
from dataflow.contract import CONTRACTS
from dataflow.validation import is_orphan

CUSTOMERS = 150
MAX_K = 5


@dataclass
class Planted:
    """What a fault did: the rows it broke (file key, row number) and the customers it took out."""

    rows: list[tuple[str, int]]
    lost: set[str]


# ---- CSV faults: ``fault(lines, indices, column, draw) -> Planted`` on the data lines (0 = first data row) ---
def _fields(dataset: str, kinds: tuple[str, ...] = (), required: bool | None = None) -> list[str]:
    return [
        f.name
        for f in CONTRACTS[dataset].fields
        if (not kinds or f.kind in kinds) and (required is None or f.required == required)
    ]


BAD_VALUE: dict[str, Callable[[str, str], str]] = {  # (column, kind) → the broken text
    "empty_required": lambda column, kind: "",
    "not_parseable": lambda column, kind: "n/a",
    "impossible_date": lambda column, kind: "2024-13" if kind == "month" else "2023-02-30",
    "out_of_range": lambda column, kind: "60" if column in ("province", "province_code") else "-1",
    "bad_flag": lambda column, kind: "yes",
}
COLUMNS_FOR = {
    "empty_required": lambda d: _fields(d, required=True),
    "not_parseable": lambda d: _fields(d, ("float", "int", "flag", "date", "month")),
    "impossible_date": lambda d: _fields(d, ("date", "month")),
    "out_of_range": lambda d: [
        f.name
        for f in CONTRACTS[d].fields
        if f.min is not None or (d == "customer_attributes" and f.name == "province_code")
    ],
    "bad_flag": lambda d: _fields(d, ("flag",)),
}


def _csv_fault(dataset: str, fault: str, lines: list[str], rows: list[int], draw) -> Planted:
    header = lines[0].split(",")
    kinds = {f.name: f.kind for f in CONTRACTS[dataset].fields}
    lost: set[str] = set()
    planted: list[int] = []
    appended: list[str] = []
    for r in rows:
        fields = lines[r + 1].split(",")
        customer = fields[0] if header[0] == "customer_id" else None
        if fault in BAD_VALUE:
            column = draw(st.sampled_from(COLUMNS_FOR[fault](dataset)))
            i = header.index(column)
            fields[i] = BAD_VALUE[fault](column, kinds[column])
        elif fault == "unknown_customer":
            fields[0] = f"Z{r:06d}"
        elif fault == "ragged":
            fields = fields[:-1]
        elif fault == "conflicting_duplicate":
            copy = list(fields)
            value_col = draw(st.sampled_from([c for c in _fields(dataset, ("float",)) if c in header]))
            i = header.index(value_col)
            copy[i] = str(round(float(copy[i] or "1") + 1.5, 6))
            appended.append(",".join(copy))
            planted.append(len(lines) - 1 + len(appended))
        lines[r + 1] = ",".join(fields)
        planted.append(r + 1)
        if customer and dataset in ("customer_attributes", "customer_contracts"):
            lost.add(customer)
    lines.extend(appended)
    return Planted([(f"raw/{dataset}.csv", n) for n in planted], lost)


# ---- JSON (interactions) and Parquet (consumption) faults ---------------------------------------------------
def _json_fault(fault: str, records: list, rows: list[int], draw) -> Planted:
    for r in rows:
        rec = records[r]
        if fault == "not_an_object":
            records[r] = 42
        elif fault == "missing_key":
            rec.pop(draw(st.sampled_from(["customer_id", "date"])))
        elif fault == "impossible_date":
            rec["date"] = "2024-02-30"
        elif fault == "empty_required":
            rec[draw(st.sampled_from(["customer_id", "date"]))] = ""
        elif fault == "unknown_customer":
            rec["customer_id"] = f"Z{r:06d}"
    return Planted([("raw/customer_interactions.json", r) for r in rows], set())


def _parquet_fault(
    fault: str, frame: pl.DataFrame, rows: list[int], key: str
) -> tuple[pl.DataFrame, Planted]:
    idx = pl.int_range(pl.len())
    hit = idx.is_in(rows)
    if fault == "empty_customer":
        frame = frame.with_columns(
            pl.when(hit).then(None).otherwise(pl.col("customer_id")).alias("customer_id")
        )
    elif fault == "nan_reading":
        frame = frame.with_columns(
            pl.when(hit)
            .then(math.nan)
            .otherwise(pl.col("consumption_elec_kwh"))
            .alias("consumption_elec_kwh")
        )
    elif fault == "off_the_hour":
        frame = frame.with_columns(
            pl.when(hit).then(pl.col("timestamp") + pl.duration(minutes=30)).otherwise(pl.col("timestamp"))
        )
    elif fault == "unknown_customer":
        frame = frame.with_columns(
            pl.when(hit).then(pl.format("Z{}", idx)).otherwise(pl.col("customer_id")).alias("customer_id")
        )
    elif fault == "conflicting_duplicate":
        copies = frame.filter(hit).with_columns(pl.col("consumption_elec_kwh") + 1.5)
        n = frame.height
        frame = pl.concat([frame, copies])
        return frame, Planted(
            [(key, r + 1) for r in rows] + [(key, n + i + 1) for i in range(len(rows))], set()
        )
    return frame, Planted([(key, r + 1) for r in rows], set())


CSV_FAULTS = {
    "customer_attributes": [
        "empty_required",
        "not_parseable",
        "out_of_range",
        "bad_flag",
        "unknown_customer",
        "conflicting_duplicate",
        "ragged",
    ],
    "customer_contracts": [
        "empty_required",
        "not_parseable",
        "impossible_date",
        "unknown_customer",
        "ragged",
    ],
    "price_history": [
        "empty_required",
        "not_parseable",
        "impossible_date",
        "out_of_range",
        "unknown_customer",
        "conflicting_duplicate",
        "ragged",
    ],
    "costs_by_province_month": [
        "empty_required",
        "not_parseable",
        "impossible_date",
        "out_of_range",
        "conflicting_duplicate",
        "ragged",
    ],
    "churn_label": [
        "empty_required",
        "not_parseable",
        "impossible_date",
        "out_of_range",
        "bad_flag",
        "unknown_customer",
        "ragged",
    ],
}
JSON_FAULTS = ["not_an_object", "missing_key", "impossible_date", "empty_required", "unknown_customer"]
PARQUET_FAULTS = [
    "empty_customer",
    "nan_reading",
    "off_the_hour",
    "unknown_customer",
    "conflicting_duplicate",
]
CATALOGUE = [
    *[(d, f) for d, faults in CSV_FAULTS.items() for f in faults],
    *[("customer_interactions", f) for f in JSON_FAULTS],
    *[("consumption", f) for f in PARQUET_FAULTS],
]


# ---- the lake ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Path, dict[str, set[str]]]:
    """The generated lake, a work lake path reused by every example, and the ids of rows the generator already
    made dirty (kept out of the draw so each example's expectations are exact)."""
    from dataflow.generate import generate

    root = tmp_path_factory.mktemp("property")
    source = root / "source"
    generate(str(source), customers=CUSTOMERS, seed=5)
    mp = pytest.MonkeyPatch()
    mp.setenv("SPANISHGAS_CACHE", str(root / "cache"))
    mp.setattr(driver, "model_modules", lambda: [])  # the ETL part of the DAG only (see the module docstring)
    mp.setattr(pipeline, "_business_summary", lambda results: [])
    work = copy_raw(source, root / "work")
    baseline = run(work)
    dirty = {
        "ids": {
            c
            for d in [*CSV_FAULTS, "customer_interactions"]
            if "customer_id" in baseline.quarantine(d).columns
            for c in baseline.quarantine(d)["customer_id"].to_list()
        }
    }
    yield source, work, dirty
    mp.undo()


def run(lake: Path):
    result = pipeline.run_pipeline(str(lake), PipelineConfig(), force=True, progress=None)
    assert result.status == "published", result.message
    return published(lake, result.run_id)


def _eligible(dataset: str, lines: list[str], dirty: set[str]) -> list[int]:
    """Data rows (0-based) whose customer (or, for costs, the row) the generator left clean."""
    return [
        i
        for i, line in enumerate(lines[1:])
        if line.strip() and (dataset == "costs_by_province_month" or line.split(",", 1)[0] not in dirty)
    ]


@pytest.mark.slow
@pytest.mark.parametrize(("dataset", "fault"), CATALOGUE, ids=[f"{d}-{f}" for d, f in CATALOGUE])
@settings(
    max_examples=1,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_k_broken_rows_are_quarantined_with_their_orphans_and_the_run_publishes(
    generated, dataset, fault, data
):
    source, work, dirty = generated
    copy_raw(source, work)
    draw = data.draw
    k = draw(st.integers(1, MAX_K), label="k")
    if dataset == "customer_interactions":
        path = work / "raw" / "customer_interactions.json"
        records = json.loads(path.read_text(encoding="utf-8"))
        pool = [i for i, r in enumerate(records) if r["customer_id"] not in dirty["ids"]]
        rows = draw(st.lists(st.sampled_from(pool), min_size=k, max_size=k, unique=True), label="rows")
        planted = _json_fault(fault, records, rows, draw)
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    elif dataset == "consumption":
        files = sorted((work / "raw").glob("consumption_*.parquet"))
        path = draw(st.sampled_from(files), label="file")
        frame = pl.read_parquet(path)
        rows = draw(
            st.lists(st.integers(0, frame.height - 1), min_size=k, max_size=k, unique=True), label="rows"
        )
        frame, planted = _parquet_fault(fault, frame, rows, f"raw/{path.name}")
        frame.write_parquet(path)
    else:
        lines = csv_lines(work, dataset)
        pool = _eligible(dataset, lines, dirty["ids"])
        rows = draw(st.lists(st.sampled_from(pool), min_size=k, max_size=k, unique=True), label="rows")
        planted = _csv_fault(dataset, fault, lines, rows, draw)
        write_lines(work, dataset, lines)

    got = run(work)  # publishes: run() asserts it, and any traceback fails the example
    assert_reconciled(got)
    # every broken row is in its file's quarantine, with a reason
    name = "consumption" if dataset == "consumption" else dataset
    q = got.quarantine(name)
    listed = dict(zip(zip(q["_source_file"], q["_row_number"], strict=True), q["_reason"], strict=True))
    for where in planted.rows:
        assert where in listed and listed[where], (where, fault)
    # every customer the fault took out is gone from each other file, each row quarantined with a reason
    for customer in planted.lost:
        for other in (
            "customer_attributes",
            "customer_contracts",
            "price_history",
            "customer_interactions",
            "churn_label",
            "consumption",
        ):
            if other == dataset:
                continue
            oq = got.quarantine(other)
            mine = oq.filter(pl.col("customer_id").str.strip_chars() == customer) if oq.height else oq
            assert mine.height == customer_rows(work, other, customer), (customer, other)
            assert mine.select(is_orphan(pl.col("_reason")).all()).item() if mine.height else True
        assert customer not in got.output("bronze_customer")["customer_id"].to_list()
        assert customer not in got.output("bronze_customer_month")["customer_id"].to_list()
