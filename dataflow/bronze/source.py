"""The hourly consumption files as one DuckDB relation: each file's columns checked, typed and unioned.

CSV files are read as text and typed leniently (text that does not parse becomes NULL and the row is
quarantined, never an error); Parquet files are read with their own types. Nothing is loaded into Python here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dataflow.errors import ContractError
from dataflow.lake import Lake, LakeError, file_sha256

REQUIRED = ("customer_id", "timestamp", "consumption_elec_kwh", "consumption_gas_m3")
_NUMBERS = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
}
TIMESTAMP_FORMATS = "['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S']"  # text timestamps the contract accepts
_NATIVE = {
    "customer_id": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "consumption_elec_kwh": "DOUBLE",
    "consumption_gas_m3": "DOUBLE",
}
_TIMESTAMPS = {"TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB sized to the container (dataflow/runtime.py), spilling under the scratch root."""
    from dataflow.runtime import configure_duckdb  # threads and memory from the container's limits

    con = configure_duckdb(duckdb.connect())
    con.sql("SET preserve_insertion_order=false")
    return con


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed(col: str, dtype: str, key: str) -> str:
    """DuckDB expression giving the contract type of one column (NULL where the text does not parse)."""
    q = f'"{col}"'
    if col == "customer_id":
        return q if dtype == "VARCHAR" else f"CAST({q} AS VARCHAR)"
    if col == "timestamp":
        if dtype == "TIMESTAMP":
            return q
        if dtype in _TIMESTAMPS:
            return f"CAST({q} AS TIMESTAMP)"
        if (
            dtype == "VARCHAR"
        ):  # a function, not TRY_CAST: DuckDB 2.0 pushes casts into the CSV reader as strict
            return f"try_strptime(trim({q}), {TIMESTAMP_FORMATS})"
        rule = (
            "must be local clock time without a time zone"
            if "TIME ZONE" in dtype
            else "must be a date-time (Parquet timestamp or text YYYY-MM-DD HH:MM:SS)"
        )
        raise ContractError(key, col, f"{rule}; the file stores it as {dtype}", dtype)
    if dtype == "DOUBLE":
        return q
    if dtype in _NUMBERS or dtype.startswith("DECIMAL"):
        return f"CAST({q} AS DOUBLE)"
    if dtype == "VARCHAR":
        return f"TRY_CAST(trim({q}) AS DOUBLE)"
    raise ContractError(key, col, f"must be a number; the file stores it as {dtype}", dtype)


@dataclass(frozen=True)
class ConsumptionFile:
    """One hourly file: its lake key, local path, format and the DuckDB type of each contract column."""

    key: str
    path: str
    format: str
    types: tuple[tuple[str, str], ...]
    rows: int = 0
    sha256: str = ""  # content fingerprint: a changed file invalidates every cached result built on it
    screened: bool = False  # Parquet statistics prove: no NULL anywhere and no infinite reading

    def reader(self, numbered: bool = False) -> str:
        """The DuckDB table function reading this file (with a 1-based row number when ``numbered``)."""
        path = _literal(self.path)
        if self.format == "parquet":
            return f"read_parquet({path}, file_row_number={str(numbered).lower()})"
        ordinality = " WITH ORDINALITY" if numbered else ""  # 1-based data row number
        return (
            f"read_csv({path}, header=true, all_varchar=true, delim=',', quote='\"', escape='\"'){ordinality}"
        )

    def typed_select(self) -> str:
        """customer_id, ts, e, g in contract types."""
        t = dict(self.types)
        cols = [_typed(c, t[c], self.key) for c in REQUIRED]
        return (
            f"SELECT {cols[0]} AS customer_id, {cols[1]} AS ts, {cols[2]} AS e, {cols[3]} AS g "
            f"FROM {self.reader()}"
        )

    def audit_select(self) -> str:
        """The typed columns plus the values as written, the file key and the row number, for quarantine."""
        t = dict(self.types)
        typed = [_typed(c, t[c], self.key) for c in REQUIRED]
        text = [f'CAST("{c}" AS VARCHAR)' for c in REQUIRED]
        row = "file_row_number + 1" if self.format == "parquet" else "ordinality"
        return (
            f"SELECT {typed[0]} AS customer_id, {typed[1]} AS ts, {typed[2]} AS e, {typed[3]} AS g, "
            + ", ".join(f'{x} AS "raw_{c}"' for x, c in zip(text, REQUIRED, strict=True))
            + f", {_literal(self.key)} AS _source_file, CAST({row} AS BIGINT) AS _row_number "
            f"FROM {self.reader(numbered=True)}"
        )


@dataclass(frozen=True)
class ConsumptionSource:
    """Every hourly consumption file, readable by DuckDB as one relation (CSV and Parquet mixed)."""

    files: tuple[ConsumptionFile, ...]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def batches(self, max_rows: int) -> Iterator[ConsumptionSource]:
        """The files in order, in batches of at most ``max_rows`` readings (a larger file is a batch of its
        own): the units of work of the hourly aggregation."""
        batch: list[ConsumptionFile] = []
        for file in self.files:
            if batch and sum(f.rows for f in batch) + file.rows > max_rows:
                yield ConsumptionSource(tuple(batch))
                batch = []
            batch.append(file)
        if batch:
            yield ConsumptionSource(tuple(batch))

    def typed_sql(self) -> str:
        """All files as one relation: customer_id, ts, e, g."""
        return "\nUNION ALL\n".join(f.typed_select() for f in self.files)

    def audit_sql(self) -> str:
        """All files with the values as written, file key and row number (for quarantine)."""
        return "\nUNION ALL\n".join(f.audit_select() for f in self.files)


def _stats_screen(con: duckdb.DuckDBPyConnection, path: str) -> bool:
    """True when the Parquet footer proves every contract column NULL-free and both readings free of ±inf
    (NaN is not in the statistics; the customer-month sums catch it). Missing statistics prove nothing."""
    rows = con.sql(f"""SELECT path_in_schema, stats_null_count, coalesce(stats_min_value, stats_min),
                              coalesce(stats_max_value, stats_max)
                       FROM parquet_metadata({_literal(path)}) WHERE path_in_schema IN {REQUIRED}""").fetchall()
    if {r[0] for r in rows} != set(REQUIRED):
        return False
    for col, nulls, low, high in rows:
        if nulls != 0:
            return False
        if col in REQUIRED[2:]:
            try:
                if not all(math.isfinite(float(v)) for v in (low, high)):
                    return False
            except (TypeError, ValueError):
                return False
    return True


def inspect_file(
    con: duckdb.DuckDBPyConnection, key: str, path: str, fmt: str, sha256: str = ""
) -> ConsumptionFile:
    """Open one file, check it has every contract column, and note the columns' types."""
    probe = ConsumptionFile(key, str(path), fmt, ())
    try:
        described = con.sql(f"DESCRIBE SELECT * FROM {probe.reader()}").fetchall()
    except duckdb.Error as exc:
        what = "Parquet" if fmt == "parquet" else "a comma-separated UTF-8 CSV with a header row"
        raise ContractError(key, None, f"cannot be read as {what}: {str(exc).splitlines()[0]}") from exc
    types = {name: dtype for name, dtype, *_ in described}
    for col in REQUIRED:
        if col not in types:
            raise ContractError(key, col, f"required column is missing; the file has columns {list(types)}")
    for c in REQUIRED:
        _typed(c, types[c], key)  # a column of an unusable type stops the run here, not mid-pipeline
    try:  # Parquet: from the footer, instantly; CSV: one parse of the file
        ((rows,),) = con.sql(f"SELECT count(*) FROM {probe.reader()}").fetchall()
    except duckdb.Error as exc:
        raise ContractError(key, None, f"cannot be read to the end: {str(exc).splitlines()[0]}") from exc
    screened = (
        fmt == "parquet" and all(types[c] == t for c, t in _NATIVE.items()) and _stats_screen(con, str(path))
    )
    return ConsumptionFile(
        key, str(path), fmt, tuple((c, types[c]) for c in REQUIRED), int(rows), sha256, screened
    )


def readable(file: ConsumptionFile, lake_uri: str) -> ConsumptionFile:
    """The file as this process can read it: the inventory's local copy when it is on this machine (one machine,
    or a Dask worker next to the coordinator), else this process's own copy from the lake (a Dask worker on
    another machine reading an S3 lake), checked to hold the same bytes the run's inventory hashed."""
    if Path(file.path).is_file():
        return file
    try:
        path = Lake.open(lake_uri).local_path(file.key)
    except (LakeError, OSError) as exc:
        raise ContractError(
            file.key, None, f"cannot be read on this machine from the lake {lake_uri}: {exc}"
        ) from exc
    if file.sha256 and file_sha256(path) != file.sha256:
        raise ContractError(file.key, None, "changed in the lake while the run was reading it; run again")
    return dataclasses.replace(file, path=str(path))
