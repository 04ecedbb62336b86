"""The DAG for the Pipeline Status page: a cached image and lineage answers, keyed by the code version."""

from __future__ import annotations

import shutil

import streamlit as st

from app.data import cache_dir
from dataflow import driver as dag
from dataflow.lineage import lineage, render_dag
from dataflow.runs import code_version as version


@st.cache_data(ttl=60, show_spinner=False)
def code_version() -> str:
    """Fingerprint of the pipeline code (a code change redraws the DAG)."""
    return version()


@st.cache_data(show_spinner="Drawing the DAG…", max_entries=4)
def dag_image(code: str) -> tuple[str | None, str | None]:
    """(path of a PNG of the whole DAG, None) or (None, why it could not be drawn)."""
    if shutil.which("dot") is None:
        return (
            None,
            "Graphviz is not installed (Debian: `apt-get install graphviz`), so the DAG cannot be drawn.",
        )
    out = cache_dir() / f"dag-{code}.png"
    if out.is_file():
        return str(out), None
    try:
        return str(render_dag(out)), None
    except Exception as exc:  # noqa: BLE001 - a broken DAG shows as a note, the rest of the page still works
        return None, f"The DAG could not be drawn: {type(exc).__name__}: {exc}"


@st.cache_data(show_spinner=False, max_entries=4)
def dag_nodes(code: str) -> tuple[list[str], str | None]:
    """(every node of the DAG, sorted; None) or ([], why the DAG could not be built)."""
    try:
        return sorted(v.name for v in dag.build(cache=False).list_available_variables()), None
    except Exception as exc:  # noqa: BLE001
        return [], f"The DAG could not be built: {type(exc).__name__}: {exc}"


@st.cache_data(show_spinner=False, max_entries=256)
def node_lineage(name: str, code: str) -> dict:
    """Upstream and downstream nodes of a node or raw file (``error`` set when unknown)."""
    try:
        got = lineage(name)
    except Exception as exc:  # noqa: BLE001
        return {"error": str(exc)}
    return {"node": got.node, "doc": got.doc, "upstream": got.upstream, "downstream": got.downstream}


def raw_files() -> list[str]:
    """The raw file names lineage understands (each maps to the node that reads it)."""
    try:
        from dataflow.lineage import RAW_FILE_NODES
    except Exception:  # noqa: BLE001
        return []
    return [*RAW_FILE_NODES, "consumption_hourly_*.parquet"]
