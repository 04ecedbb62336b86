"""Hourly meter readings → customer × month: kWh and m³ by 2.0TD tariff period, negatives clamped and counted.

A map over batches of hourly files (Hamilton ``Parallelizable``/``Collect``; one task per batch, run in this
process or on Dask workers): in one DuckDB pass per batch each reading is checked, placed in its calendar class by
a join with a small hour calendar (month × peak/standard/off-peak/holiday) and summed per customer and class, with
the number of distinct hours read. The collect step adds them up, so duplicate hours are found without a second
look at clean customers; only customers with duplicates (or, across batches, hours that may repeat) or padded ids
are recomputed, and only a dirty file is read again for quarantine. A batch holds files up to ``hourly_task_rows``
readings: in this process, one pass over a whole default-size book (DuckDB keeps both cores busy to the end); on
Dask, one file per task.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
from hamilton.function_modifiers import check_output_custom, tag
from hamilton.htypes import Collect, Parallelizable

from dataflow.bronze import tariff as T
from dataflow.bronze.schema import BRONZE_CUSTOMER_MONTH_SCHEMA
from dataflow.bronze.source import ConsumptionFile, ConsumptionSource, connect, inspect_file, readable
from dataflow.config import GAS_KWH_PER_M3
from dataflow.errors import ContractError
from dataflow.raw.inventory import RawInventory
from dataflow.validation import PanderaPolarsValidator, is_orphan

EARLIEST, LATEST = dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31, 23)  # plausible reading times
# Readings per task of the hourly aggregation: in this process one DuckDB pass over a default-size book keeps both
# cores busy to the end (per-file tasks idle a core at each file's last row groups: 6.6 s against 5.7 s) while
# bounding its hash table (~200 bytes per customer-month class) on larger books; on Dask, one file per task.
LOCAL_TASK_ROWS = 200_000_000
SYSTEMATIC_SHARE = 0.5  # a file where more rows than this break the rules is broken as a whole
QUARANTINE_SCHEMA = {
    "customer_id": pl.Utf8,
    "timestamp": pl.Utf8,
    "consumption_elec_kwh": pl.Utf8,
    "consumption_gas_m3": pl.Utf8,
    "_source_file": pl.Utf8,
    "_row_number": pl.Int64,
    "_reason": pl.Utf8,
}
_DUPLICATE_CONFLICT = "duplicate (customer_id, timestamp) with different readings; no copy kept"
_DUPLICATE_EXACT = "exact duplicate of another row for the same customer and hour; one copy kept"


def _valid(ident: str) -> str:
    """Row rule on the id and readings (the timestamp is checked by the calendar join: NULL, off the hour or
    outside the calendar's years find no calendar hour)."""
    return f"{ident} IS NOT NULL AND {ident} <> '' AND isfinite(e) AND isfinite(g)"


def _calendar(con: duckdb.DuckDBPyConnection, first: dt.datetime | None, last: dt.datetime | None) -> None:
    """The hour calendar over the span of the readings, clipped to the years a reading may have."""
    if first is not None and last is not None:
        first, last = max(first, EARLIEST), min(last, LATEST)
    if first is None or last is None or first > last:
        con.sql(
            "CREATE OR REPLACE TEMP TABLE cal AS SELECT NULL::TIMESTAMP AS ts, NULL::INTEGER AS c, NULL::SMALLINT AS hm "
            "WHERE FALSE"
        )
    else:
        con.sql(f"CREATE OR REPLACE TEMP TABLE cal AS {T.hour_calendar_sql(first, last)}")


def _time_span(
    con: duckdb.DuckDBPyConnection, files: tuple[ConsumptionFile, ...]
) -> tuple[dt.datetime | None, ...]:
    """First and last timestamp over the files, file by file (a Parquet file answers from its statistics)."""
    spans = [con.sql(f"SELECT min(ts), max(ts) FROM ({f.typed_select()})").fetchall()[0] for f in files]
    firsts, lasts = [a for a, _ in spans if a is not None], [b for _, b in spans if b is not None]
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None)


def _group_sql(rows: str) -> str:
    """Sum readings per customer and calendar class; ``rows`` yields customer_id, ts, e, g of good rows."""
    return f"""
        SELECT r.customer_id, cal.c, count(*) AS n, sum(greatest(r.e, 0)) AS es, sum(greatest(r.g, 0)) AS gs,
               sum((r.e < 0)::INTEGER) AS ne, sum((r.g < 0)::INTEGER) AS ng,
               min(r.ts) AS first_ts, max(r.ts) AS last_ts,
               bit_count(bitstring_agg(cal.hm, 0, 743)) AS distinct_hours
        FROM ({rows}) r JOIN cal USING (ts)
        GROUP BY ALL"""


def _monthly_sql(groups: str, where: str, final: bool = True) -> str:
    """Pivot the class sums of ``groups`` into one row per customer and month, in contract names and units
    (``final=False``: one file's part, unrounded, with its distinct hours, for :func:`_merge_sql`)."""
    k = T.CLASSES_PER_MONTH

    def r(x: str) -> str:
        return f"round({x}, 6)" if final else x

    def tiers(col: str, name: str) -> str:
        parts = [
            (f"c % {k} = {T.PEAK}", "tier_1_peak"),
            (f"c % {k} = {T.STANDARD}", "tier_2_standard"),
            (f"c % {k} IN ({T.OFFPEAK}, {T.HOLIDAY})", "tier_3_offpeak"),
        ]
        return ", ".join(
            f"{r(f'coalesce(sum({col}) FILTER (WHERE {cond}), 0)')} AS {name}_{suffix}"
            for cond, suffix in parts
        )

    extra = "" if final else ", CAST(sum(distinct_hours) AS BIGINT) AS distinct_hours"
    return f"""
        SELECT customer_id,
               make_date(CAST(c // {k} // 12 AS INTEGER), CAST(c // {k} % 12 + 1 AS INTEGER), 1) AS month,
               {r("sum(es)")} AS monthly_elec_kwh, {r("sum(gs)")} AS monthly_gas_m3,
               {r(f"sum(gs) * {GAS_KWH_PER_M3}")} AS monthly_gas_kwh,
               {tiers("es", "elec_kwh")}, {tiers("gs", "gas_m3")},
               CAST(sum(n) AS BIGINT) AS hours_with_reading,
               CAST(coalesce(sum(n) FILTER (WHERE c % {k} = {T.HOLIDAY}), 0) AS BIGINT) AS holiday_hours_in_month,
               CAST(sum(ne) AS BIGINT) AS negative_elec_readings, CAST(sum(ng) AS BIGINT) AS negative_gas_readings,
               min(first_ts) AS first_reading_at, max(last_ts) AS last_reading_at{extra}
        FROM {groups} WHERE {where}
        GROUP BY customer_id, c // {k}
        ORDER BY customer_id, month"""


def _merge_sql(parts: str) -> str:
    """The files' customer-month parts of ``parts`` merged exactly (sums added, then rounded as in
    :func:`_monthly_sql`), with ``dirty`` marking a customer-month to recompute from its rows: an hour read twice
    in one batch (more rows than distinct hours), a NaN, or parts from two batches whose spans overlap (an hour
    may repeat across them; files split by month, week or customer never overlap)."""
    tiers = [f"{x}_tier_{t}" for x in ("elec_kwh", "gas_m3") for t in ("1_peak", "2_standard", "3_offpeak")]
    sums = ", ".join(f"round(sum({c}), 6) AS {c}" for c in ["monthly_elec_kwh", "monthly_gas_m3"])
    counts = [
        "hours_with_reading",
        "holiday_hours_in_month",
        "negative_elec_readings",
        "negative_gas_readings",
    ]
    return f"""
        WITH split AS (
            SELECT customer_id, month, bool_or(first_reading_at <= prev_last) AS overlap FROM (
                SELECT customer_id, month, first_reading_at,
                       max(last_reading_at) OVER (PARTITION BY customer_id, month ORDER BY first_reading_at
                                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_last
                FROM {parts} SEMI JOIN (SELECT customer_id, month FROM {parts} GROUP BY ALL HAVING count(*) > 1)
                USING (customer_id, month))
            GROUP BY ALL)
        SELECT customer_id, month, {sums}, round(sum(monthly_gas_m3) * {GAS_KWH_PER_M3}, 6) AS monthly_gas_kwh,
               {", ".join(f"round(sum({c}), 6) AS {c}" for c in tiers)},
               {", ".join(f"CAST(sum({c}) AS BIGINT) AS {c}" for c in counts)},
               min(first_reading_at) AS first_reading_at, max(last_reading_at) AS last_reading_at,
               sum(hours_with_reading) > sum(distinct_hours) OR NOT isfinite(sum(monthly_elec_kwh))
                   OR NOT isfinite(sum(monthly_gas_m3)) OR coalesce(any_value(split.overlap), false) AS dirty
        FROM {parts} LEFT JOIN split USING (customer_id, month)
        GROUP BY customer_id, month"""


@tag(layer="bronze")
def raw_consumption(raw_inventory: RawInventory) -> ConsumptionSource:
    """Every hourly consumption file (CSV or Parquet), each checked for the contract columns and readable types."""
    con = connect()
    return ConsumptionSource(
        tuple(
            inspect_file(con, f.key, str(f.local_path), f.format, f.sha256) for f in raw_inventory.consumption
        )
    )


def _good(ident: str) -> str:
    """The full row rule, timestamp included (what the calendar join checks in the fast pass)."""
    return (
        f"coalesce({_valid(ident)} AND epoch_us(ts) % {T.HOUR_US} = 0 "
        f"AND ts BETWEEN TIMESTAMP '{EARLIEST}' AND TIMESTAMP '{LATEST}', false)"
    )


def _id_list(ids: list[str]) -> str:
    """A literal SQL list of ids: DuckDB pushes ``customer_id IN (...)`` into the Parquet scan and skips the
    row groups of every other customer."""
    return "(" + ", ".join("'" + i.replace("'", "''") + "'" for i in ids) + ")"


def _fast_rows(files: tuple[ConsumptionFile, ...]) -> str:
    """Every file's rows for the one pass; a file whose Parquet statistics prove it NULL- and ±inf-free skips
    the per-row check (an empty id or a NaN still shows in its customer-month and is rechecked)."""
    return "\nUNION ALL\n".join(
        f"SELECT * FROM ({f.typed_select()})" + ("" if f.screened else f" WHERE {_valid('customer_id')}")
        for f in files
    )


def _recheck_rows(typed: str, raw_ids: list[str]) -> str:
    """Good rows of the customers to recheck, ids trimmed, one row per hour; hours whose copies disagree are
    dropped (they are quarantined)."""
    return f"""
        SELECT customer_id, ts, any_value(e) AS e, any_value(g) AS g FROM (
            SELECT trim(customer_id) AS customer_id, ts, e, g FROM ({typed})
            WHERE customer_id IN {_id_list(raw_ids)} AND {_valid("trim(customer_id)")})
        GROUP BY ALL HAVING count(DISTINCT e) = 1 AND count(DISTINCT g) = 1"""


@tag(layer="bronze")
def consumption_batch(
    raw_consumption: ConsumptionSource, hourly_task_rows: int
) -> Parallelizable[ConsumptionSource]:
    """The hourly files in batches of at most ``hourly_task_rows`` readings (a larger file alone): the unit of
    work of the hourly aggregation (one task per batch; with ``--executor dask``, one file per task)."""
    yield from raw_consumption.batches(hourly_task_rows)


@tag(layer="bronze")
def consumption_batch_sums(consumption_batch: ConsumptionSource, lake_uri: str) -> pl.DataFrame:
    """One batch's part of the customer × month table: its good readings summed per customer and month (totals,
    2.0TD tiers, holiday hours, negatives, first and last reading), unrounded, with the distinct hours read."""
    files = tuple(readable(f, lake_uri) for f in consumption_batch.files)
    con = connect()
    _calendar(con, *_time_span(con, files))
    con.sql(f"CREATE TEMP TABLE groups AS {_group_sql(_fast_rows(files))}")
    return con.sql(_monthly_sql("groups", "TRUE", final=False)).pl()


@tag(layer="bronze")
def consumption_customer_month(
    consumption_batch_sums: Collect[pl.DataFrame], raw_consumption: ConsumptionSource
) -> pl.DataFrame:
    """Customer × month consumption of every id in the hourly files: totals, 2.0TD tier splits, holiday hours,
    negatives clamped to 0 and counted (known customers or not: :func:`bronze_customer_month` keeps the known)."""
    con = connect()
    con.register("parts", pl.concat(list(consumption_batch_sums), how="vertical").to_arrow())
    con.sql(f"CREATE TEMP TABLE months AS {_merge_sql('parts')}")
    # Customers to recompute row by row: an hour read twice (or maybe, across files), a padded id, a NaN reading.
    con.sql("""CREATE TEMP TABLE recheck AS SELECT DISTINCT trim(customer_id) AS customer_id FROM months
               WHERE trim(customer_id) <> '' AND (customer_id <> trim(customer_id) OR dirty)""")
    frames = [
        con.sql("""SELECT * EXCLUDE (dirty) FROM months WHERE trim(customer_id) <> ''
                   AND trim(customer_id) NOT IN (SELECT customer_id FROM recheck)""").pl()
    ]
    raw_ids = [
        r[0]
        for r in con.sql(
            "SELECT DISTINCT customer_id FROM months WHERE trim(customer_id) IN (SELECT customer_id FROM recheck)"
        ).fetchall()
    ]
    if raw_ids:
        _calendar(con, *_time_span(con, raw_consumption.files))
        con.sql(
            f"CREATE TEMP TABLE regroups AS {_group_sql(_recheck_rows(raw_consumption.typed_sql(), raw_ids))}"
        )
        frames.append(con.sql(_monthly_sql("regroups", "TRUE")).pl())
    return pl.concat(frames).sort("customer_id", "month")


@tag(layer="bronze", target_=...)
@tag(publish="bronze")
@check_output_custom(PanderaPolarsValidator(BRONZE_CUSTOMER_MONTH_SCHEMA))
def bronze_customer_month(
    consumption_customer_month: pl.DataFrame, raw_customer_attributes: pl.DataFrame
) -> pl.DataFrame:
    """Customer × month consumption of the customers the master data kept; readings of any other id (unknown,
    or set aside in customer_attributes/customer_contracts) are quarantined with the parent's reason."""
    known = raw_customer_attributes["customer_id"].implode()
    return consumption_customer_month.filter(pl.col("customer_id").is_in(known))


def _reasons_sql() -> str:
    """Every rule a row breaks, in words, joined with '; '."""

    def reading(col: str, v: str) -> str:
        return (
            f"CASE WHEN \"raw_{col}\" IS NULL THEN '{col} is empty' "
            f"WHEN {v} IS NULL THEN '{col} is not a number' "
            f"WHEN NOT isfinite({v}) THEN '{col} is not a finite number' END"
        )

    return (
        "concat_ws('; ', "
        "CASE WHEN customer_id IS NULL OR trim(customer_id) = '' THEN 'customer_id is empty' END, "
        "CASE WHEN raw_timestamp IS NULL THEN 'timestamp is empty' "
        "WHEN ts IS NULL THEN 'timestamp is not a date-time (expected YYYY-MM-DD HH:MM:SS)' "
        f"WHEN epoch_us(ts) % {T.HOUR_US} <> 0 THEN 'timestamp is not on the hour' "
        f"WHEN ts NOT BETWEEN TIMESTAMP '{EARLIEST}' AND TIMESTAMP '{LATEST}' "
        f"THEN 'timestamp is outside the years {EARLIEST.year}–{LATEST.year}' END, "
        f"{reading('consumption_elec_kwh', 'e')}, {reading('consumption_gas_m3', 'g')})"
    )


_RAW_COLUMNS = (
    '"raw_customer_id" AS customer_id, "raw_timestamp" AS "timestamp", '
    '"raw_consumption_elec_kwh" AS consumption_elec_kwh, '
    '"raw_consumption_gas_m3" AS consumption_gas_m3, _source_file, _row_number'
)
_BAD_ROWS = f"SELECT {_RAW_COLUMNS}, {_reasons_sql()} AS _reason FROM audit WHERE NOT _good"


def _stop_if_systematic(con: duckdb.DuckDBPyConnection, source: ConsumptionSource) -> None:
    """A file where most rows are bad (wrong date format, shifted columns) stops the run instead."""
    bad = dict(con.sql("SELECT _source_file, count(*) FROM audit WHERE NOT _good GROUP BY 1").fetchall())
    for file in source.files:
        if file.rows and bad.get(file.key, 0) / file.rows > SYSTEMATIC_SHARE:
            row = (
                con.sql(f"{_BAD_ROWS} AND _source_file = $key LIMIT 1", params={"key": file.key})
                .pl()
                .row(0, named=True)
            )
            column = row["_reason"].split(" ", 1)[0]
            raise ContractError(
                file.key,
                column,
                f"{bad[file.key]:,} of {file.rows:,} rows break the contract "
                f"(row {row['_row_number']}: {row['_reason']}); the file is unusable as a whole",
                row.get(column),
            )


def _duplicate_rows(con: duckdb.DuckDBPyConnection, kept: pl.DataFrame) -> pl.DataFrame | None:
    """Rows of hours given more than once: every copy when they disagree, the extra copies when identical."""
    good = con.sql("SELECT customer_id, count(*) AS good FROM audit WHERE _good GROUP BY customer_id").pl()
    kept_hours = kept.group_by("customer_id").agg(pl.col("hours_with_reading").sum())
    trimmed = good.with_columns(pl.col("customer_id").str.strip_chars(" ").alias("cid"))
    recheck = (
        trimmed.group_by("cid")
        .agg(pl.col("good").sum())
        .join(kept_hours.rename({"customer_id": "cid"}), on="cid", how="left")
        .filter(pl.col("good") > pl.col("hours_with_reading").fill_null(0))
    )  # more rows than hours kept
    raw_ids = trimmed.join(recheck.select("cid"), on="cid")["customer_id"].to_list()
    if not raw_ids:
        return None
    return con.sql(f"""
        WITH v AS (SELECT *, trim(customer_id) AS cid FROM audit WHERE customer_id IN {_id_list(raw_ids)} AND _good),
             k AS (SELECT cid, ts, count(DISTINCT e) > 1 OR count(DISTINCT g) > 1 AS conflict FROM v
                   GROUP BY ALL HAVING count(*) > 1),
             x AS (SELECT v.*, k.conflict, row_number() OVER (PARTITION BY v.cid, v.ts
                                                              ORDER BY _source_file, _row_number) AS copy
                   FROM v JOIN k USING (cid, ts))
        SELECT {_RAW_COLUMNS}, CASE WHEN conflict THEN '{_DUPLICATE_CONFLICT}' ELSE '{_DUPLICATE_EXACT}' END AS _reason
        FROM x WHERE conflict OR copy > 1""").pl()


def _orphan_rows(
    con: duckdb.DuckDBPyConnection, orphans: pl.DataFrame, quarantined_customers: pl.DataFrame
) -> pl.DataFrame | None:
    """Good rows of customers the master data does not keep, each with the parent's reason."""
    if orphans.is_empty():
        return None
    reasons = orphans.join(quarantined_customers, on="customer_id", how="left").select(
        pl.col("customer_id").alias("cid"),
        pl.coalesce(
            "reason", pl.format("customer_id '{}' is not in customer_attributes.csv", pl.col("customer_id"))
        ).alias("why"),
    )
    con.register("orphan_reasons", reasons.to_arrow())
    return con.sql(f"""
        SELECT {_RAW_COLUMNS}, o.why AS _reason
        FROM audit a JOIN orphan_reasons o ON trim(a.customer_id) = o.cid
        WHERE a._good AND trim(a.customer_id) IN {_id_list(orphans["customer_id"].to_list())}""").pl()


@tag(layer="bronze", publish="quarantine", dataset="consumption")
def quarantine_consumption(
    raw_consumption: ConsumptionSource,
    consumption_customer_month: pl.DataFrame,
    bronze_customer_month: pl.DataFrame,
    quarantined_customers: pl.DataFrame,
) -> pl.DataFrame:
    """Hourly rows set aside, as written, with file, row number and reason; read again only when rows are missing.

    A row breaking a rule of its own is quarantined for that; a good row of a customer the master data does
    not keep (unknown id, or set aside in customer_attributes / customer_contracts) for its parent's reason.
    """
    kept = bronze_customer_month.select("customer_id", "hours_with_reading")
    if raw_consumption.rows == int(kept["hours_with_reading"].sum()):
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)  # every row was kept: nothing to look for
    con = connect()
    con.sql(
        f"CREATE TEMP VIEW audit AS SELECT *, {_good('trim(customer_id)')} AS _good FROM ({raw_consumption.audit_sql()})"
    )
    _stop_if_systematic(con, raw_consumption)
    summed = consumption_customer_month.select("customer_id", "hours_with_reading")
    orphans = summed.join(kept.select("customer_id").unique(), on="customer_id", how="anti")
    frames = [
        con.sql(_BAD_ROWS).pl(),
        _duplicate_rows(con, summed),
        _orphan_rows(con, orphans.select("customer_id").unique(), quarantined_customers),
    ]
    # a row is listed once: its own fault (bad value, duplicate) before its parent's
    return (
        pl.concat([f.cast(QUARANTINE_SCHEMA) for f in frames if f is not None])
        .unique(["_source_file", "_row_number"], keep="first", maintain_order=True)
        .sort("_source_file", "_row_number")
    )


@tag(layer="bronze")
def consumption_reconciliation(
    raw_consumption: ConsumptionSource,
    quarantine_consumption: pl.DataFrame,
    bronze_customer_month: pl.DataFrame,
) -> pl.DataFrame:
    """Hourly rows read = rows kept (hours summed into a month) + rows quarantined, checked exactly."""
    rows_in, quarantined = raw_consumption.rows, quarantine_consumption.height
    kept = int(bronze_customer_month["hours_with_reading"].sum())
    if rows_in != kept + quarantined:
        raise RuntimeError(
            f"consumption: {rows_in} hourly rows read but {kept} kept + {quarantined} "
            "quarantined; rows were lost or invented between reading and summing (a bronze bug)"
        )
    orphaned = int(quarantine_consumption.select(is_orphan(pl.col("_reason")).sum()).item())
    return pl.DataFrame(
        {
            "dataset": ["consumption"],
            "rows_in": [rows_in],
            "rows_kept": [kept],
            "rows_quarantined": [quarantined],
            "rows_orphaned": [orphaned],
        },
        schema={
            "dataset": pl.Utf8,
            "rows_in": pl.Int64,
            "rows_kept": pl.Int64,
            "rows_quarantined": pl.Int64,
            "rows_orphaned": pl.Int64,
        },
    )
