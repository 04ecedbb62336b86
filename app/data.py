"""Cached, read-only access to the lake's published run for the dashboard.

Documents are read as JSON; Parquet tables are queried with DuckDB on local paths (``Lake.local_path``,
a cached download for S3) with column selection, filters and LIMIT/OFFSET, never loaded whole. Every
loader is keyed by the lake URI and run id: a published run never changes, so results are cached until
``CURRENT`` moves (checked every few seconds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl
import streamlit as st

from dataflow import runs
from dataflow.lake import Lake, LakeError, lake_uri

TIERS = ("Low", "Medium", "High", "Critical")
AT_RISK = ("High", "Critical")
POINTER_TTL = 10  # seconds between two looks at CURRENT, the registry and the run history


class Run(NamedTuple):
    """The lake and the published run a page shows."""

    uri: str
    run_id: str

    def key(self, rel: str) -> str:
        return f"runs/{self.run_id}/{rel}"


# ---- lake, CURRENT and files --------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def lake(uri: str) -> Lake:
    """One Lake object per URI for the whole server."""
    return Lake.open(uri)


def uri() -> str:
    """The lake this dashboard serves ($SPANISHGAS_LAKE, default data/lake)."""
    return lake_uri()


@st.cache_data(ttl=POINTER_TTL, show_spinner=False)
def pointer(lake_uri_: str) -> tuple[str | None, str | None]:
    """(the run CURRENT points at or None, why the lake could not be read or None)."""
    try:
        return runs.current_run_id(lake(lake_uri_)), None
    except (LakeError, ValueError, KeyError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def current() -> Run | None:
    """The published run to show, or None."""
    u = uri()
    run_id, _ = pointer(u)
    return Run(u, run_id) if run_id else None


@st.cache_data(show_spinner=False, max_entries=1024)
def path_of(lake_uri_: str, key: str) -> str | None:
    """Local path of an immutable key (under runs/, quarantine/ or raw/), None when absent."""
    try:
        return str(lake(lake_uri_).local_path(key))
    except LakeError:
        return None


@st.cache_data(ttl=POINTER_TTL, show_spinner=False, max_entries=64)
def fresh_path_of(lake_uri_: str, key: str) -> str | None:
    """Local path of a key that can change (registry/…), re-checked every few seconds."""
    return path_of.__wrapped__(lake_uri_, key)


@st.cache_data(show_spinner=False, max_entries=256)
def doc(lake_uri_: str, key: str) -> Any | None:
    """A JSON document of a run (never changes once published), None when absent."""
    try:
        return lake(lake_uri_).read_json(key)
    except LakeError:
        return None


@st.cache_data(ttl=POINTER_TTL, show_spinner=False, max_entries=64)
def registry_doc(lake_uri_: str, key: str) -> Any | None:
    """A JSON document outside runs (registry/champion.json), re-read every few seconds."""
    return doc.__wrapped__(lake_uri_, key)


def run_doc(run: Run, rel: str) -> Any | None:
    return doc(run.uri, run.key(rel))


def run_table(run: Run, rel: str) -> str | None:
    """Local path of a run's table (e.g. ``scored/scores.parquet``), None when the run has none."""
    return path_of(run.uri, run.key(rel))


def _has_evaluation(run: Run) -> bool:
    return run_doc(run, "model/evaluation.json") is not None


def candidate_run(run: Run) -> Run | None:
    """This run, when it trained and evaluated a champion candidate (model/evaluation.json)."""
    return run if _has_evaluation(run) else None


@st.cache_data(show_spinner=False, max_entries=32)
def _scoring_model_run_id(lake_uri_: str, path: str) -> str | None:
    got = sql(
        f"SELECT DISTINCT model_run_id FROM {source(path)} WHERE model_run_id IS NOT NULL AND model_run_id <> '' "
        "LIMIT 2"
    )
    return got["model_run_id"][0] if got.height == 1 else None


def served_run(run: Run) -> Run | None:
    """The run whose model scored this run's customers (scores.model_run_id, else the registry champion, else
    this run's own candidate), provided its evaluation is in the lake."""
    scores = run_table(run, "scored/scores.parquet")
    options = [
        _scoring_model_run_id(run.uri, scores) if scores else None,
        (registry_doc(run.uri, runs.CHAMPION_KEY) or {}).get("run_id"),
        run.run_id,
    ]
    for run_id in options:
        if run_id and _has_evaluation(Run(run.uri, run_id)):
            return Run(run.uri, run_id)
    return None


# ---- DuckDB -------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _duck() -> duckdb.DuckDBPyConnection:
    from dataflow.runtime import duckdb_temp_dir  # spill under the scratch root, not .tmp in a read-only cwd

    con = duckdb.connect()
    con.sql("SET temp_directory = " + "'" + str(duckdb_temp_dir()).replace("'", "''") + "'")
    return con


def sql(query: str, params: list | None = None) -> pl.DataFrame:
    """Run a read-only query on a fresh cursor (one per call: safe across Streamlit's threads)."""
    cur = _duck().cursor()
    try:
        return cur.sql(query, params=params).pl()
    finally:
        cur.close()


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def source(path: str) -> str:
    """The DuckDB table function reading a local file, by its extension (CSV kept as text: it is raw)."""
    low = path.lower()
    if low.endswith(".csv"):
        return f"read_csv({lit(path)}, header=true, all_varchar=true)"
    if low.endswith(".json"):
        return f"read_json({lit(path)})"
    return f"read_parquet({lit(path)})"


def in_list(column: str, values: tuple, params: list) -> str:
    """``column IN (?, …)`` for a non-empty selection, else TRUE; appends the values to ``params``."""
    if not values:
        return "TRUE"
    params.extend(values)
    return f"{ident(column)} IN ({', '.join('?' for _ in values)})"


@st.cache_data(show_spinner=False, max_entries=256)
def columns_of(path: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of every column of a file."""
    d = sql(f"DESCRIBE SELECT * FROM {source(path)}")
    return list(zip(d["column_name"].to_list(), d["column_type"].to_list(), strict=True))


@st.cache_data(show_spinner=False, max_entries=256)
def distinct(path: str, column: str) -> list:
    """Sorted distinct non-null values of a column."""
    q = f"SELECT DISTINCT {ident(column)} AS v FROM {source(path)} WHERE {ident(column)} IS NOT NULL ORDER BY 1"
    return sql(q)["v"].to_list()


# ---- run history ----------------------------------------------------------------------------------------
@st.cache_data(ttl=POINTER_TTL, show_spinner=False)
def manifests(lake_uri_: str) -> list[dict]:
    """Every run's manifest, newest first."""
    try:
        return runs.list_manifests(lake(lake_uri_))
    except LakeError:
        return []


@st.cache_data(ttl=POINTER_TTL, show_spinner=False)
def history_records(lake_uri_: str) -> list[dict]:
    """Run-history records (DynamoDB in AWS mode, runs/_history locally); empty when unavailable."""
    try:
        from dataflow.aws.run_history import run_history_from_env

        return list(run_history_from_env(lake(lake_uri_)).list_runs(limit=200))
    except Exception:  # noqa: BLE001 - the history is extra information, never a reason to fail the page
        return []


def cache_dir() -> Path:
    """Folder for files the dashboard derives (the DAG image)."""
    from dataflow.runtime import cache_root

    out = cache_root() / "dashboard"
    out.mkdir(parents=True, exist_ok=True)
    return out


# ---- models ---------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=4)
def serving_model(lake_uri_: str, run_id: str):
    """The champion model a run trained (runs/<id>/model/), loaded once; None when it cannot be read."""
    try:
        from dataflow.model.registry import ChampionModel

        return ChampionModel.read_from(lake(lake_uri_), f"runs/{run_id}/model/", run_id)
    except (LakeError, ValueError, KeyError, OSError):
        return None
