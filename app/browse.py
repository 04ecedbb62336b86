"""The Data Explorer's table browser: list a run's tables per layer, filter and page them in DuckDB."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from app.data import POINTER_TTL, Run, columns_of, fresh_path_of, ident, lake, path_of, source, sql

LAYERS = ("raw", "bronze", "silver", "gold", "scored", "monitoring", "model", "quarantine")
TABLE_EXTENSIONS = (".csv", ".parquet", ".json")
OPS = ("=", "≠", ">", "≥", "<", "≤", "contains", "is empty", "is not empty")
_SQL_OP = {"=": "=", "≠": "<>", ">": ">", "≥": ">=", "<": "<", "≤": "<="}
_NUMERIC = (
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
    "DECIMAL",
)
COUNT_LIMIT_BYTES = 200 * 1024 * 1024  # text files above this are paged without a total row count


@st.cache_data(ttl=POINTER_TTL, show_spinner=False, max_entries=16)
def tables(run: Run) -> dict[str, list[str]]:
    """Keys of the browsable tables per layer: raw/ files, the run's layers and its quarantine."""
    lk = lake(run.uri)
    prefixes = {"raw": "raw/", "quarantine": f"quarantine/{run.run_id}/"}
    out: dict[str, list[str]] = {}
    for layer in LAYERS:
        prefix = prefixes.get(layer, run.key(f"{layer}/"))
        keys = [k for k in lk.list(prefix) if k.lower().endswith(TABLE_EXTENSIONS) and not k.endswith(".tmp")]
        if layer != "raw":
            keys = [k for k in keys if k.endswith(".parquet")]
        if keys:
            out[layer] = keys
    return out


def label(key: str) -> str:
    """A table's short name: the file name for raw files, the table name otherwise."""
    name = key.rsplit("/", 1)[-1]
    return name if key.startswith("raw/") else name.removesuffix(".parquet")


def _base_type(duck_type: str) -> str:
    return duck_type.split("(")[0].upper()


def _clause(column: str, duck_type: str, op: str, value: str, params: list) -> str:
    """One filter as SQL; comparisons follow the column's type (text holding numbers compares as numbers)."""
    col = ident(column)
    kind = _base_type(duck_type)
    if op == "is empty":
        return f"({col} IS NULL OR trim(CAST({col} AS VARCHAR)) = '')"
    if op == "is not empty":
        return f"({col} IS NOT NULL AND trim(CAST({col} AS VARCHAR)) <> '')"
    if op == "contains":
        params.append(f"%{value}%")
        return f"CAST({col} AS VARCHAR) ILIKE ?"
    sql_op = _SQL_OP[op]
    params.append(value.strip())
    if kind in _NUMERIC:
        return f"{col} {sql_op} TRY_CAST(? AS DOUBLE)"
    if kind in ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE", "BOOLEAN"):
        return f"{col} {sql_op} TRY_CAST(? AS {duck_type})"
    if op not in ("=", "≠") and _is_number(value):
        return f"TRY_CAST(trim({col}) AS DOUBLE) {sql_op} TRY_CAST(? AS DOUBLE)"
    return f"CAST({col} AS VARCHAR) {sql_op} ?"


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def where(path: str, filters: tuple, params: list) -> str:
    """WHERE body for ``filters`` = ((column, op, value), …); unknown columns are ignored."""
    types = dict(columns_of(path))
    parts = [_clause(c, types[c], op, v, params) for c, op, v in filters if c in types and op in OPS]
    return " AND ".join(parts) or "TRUE"


def local(uri: str, key: str) -> str | None:
    """Local path of a table: run outputs never change; raw/ files may be replaced by a new drop."""
    return fresh_path_of(uri, key) if key.startswith("raw/") else path_of(uri, key)


def version(path: str) -> tuple[str, float, int]:
    """What identifies a file's content for the caches below (path, mtime, size)."""
    st_ = Path(path).stat()
    return path, st_.st_mtime, st_.st_size


@st.cache_data(show_spinner=False, max_entries=256)
def _page(file: tuple, columns: tuple, filters: tuple, limit: int, offset: int) -> pl.DataFrame:
    path = file[0]
    params: list = []
    cond = where(path, filters, params)
    cols = ", ".join(ident(c) for c in columns) if columns else "*"
    return sql(
        f"SELECT {cols} FROM {source(path)} WHERE {cond} LIMIT {int(limit)} OFFSET {int(offset)}",
        params=params,
    )


def page(uri: str, key: str, columns: tuple, filters: tuple, limit: int, offset: int) -> pl.DataFrame:
    """One page of a table: the chosen columns of the rows matching the filters, in file order."""
    return _page(version(local(uri, key)), columns, filters, limit, offset)


@st.cache_data(show_spinner=False, max_entries=256)
def _count(file: tuple, filters: tuple) -> int | None:
    path, _, size = file
    if not path.endswith(".parquet") and size > COUNT_LIMIT_BYTES:
        return None
    params: list = []
    cond = where(path, filters, params)
    return int(sql(f"SELECT count(*) AS n FROM {source(path)} WHERE {cond}", params=params)["n"][0])


def count(uri: str, key: str, filters: tuple) -> int | None:
    """Rows matching the filters (None for a text file too big to count quickly)."""
    return _count(version(local(uri, key)), filters)
