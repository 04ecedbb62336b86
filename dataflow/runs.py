"""Runs in the lake: run ids, the run folder layout, manifests and the ``CURRENT`` pointer.

A run writes everything under ``runs/<run_id>/`` and is published by moving ``CURRENT`` last, so
readers see the previous complete run or the new complete run, never a mix (write, audit, publish).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from dataflow.lake import Lake

CURRENT_KEY = "CURRENT"
CHAMPION_KEY = "registry/champion.json"
_PKG_DIR = Path(__file__).resolve().parent


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def code_version() -> str:
    """A fingerprint of the pipeline's source code (so a code change means a new run id)."""
    h = hashlib.sha256()
    for path in sorted(_PKG_DIR.rglob("*.py")):
        h.update(path.relative_to(_PKG_DIR).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def run_id_for(input_fingerprints: list[str], code: str, config: dict) -> str:
    """Deterministic run id from the inputs' sha256s, the code version and the config."""
    payload = json.dumps(
        {"inputs": sorted(input_fingerprints), "code": code, "config": config}, sort_keys=True
    )
    return "run-" + hashlib.sha256(payload.encode()).hexdigest()[:12]


def run_prefix(run_id: str) -> str:
    return f"runs/{run_id}/"


def run_id_in(prefix: str) -> str:
    """The run id in a ``runs/<run_id>/<folder>/`` prefix ("" when the prefix is not a run folder)."""
    parts = prefix.strip("/").split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "runs" else ""


def output_key(run_id: str, layer: str, name: str) -> str:
    return f"{run_prefix(run_id)}{layer}/{name}.parquet"


def quarantine_key(run_id: str, dataset: str) -> str:
    return f"quarantine/{run_id}/{dataset}.parquet"


def manifest_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}manifest.json"


def read_manifest(lake: Lake, run_id: str) -> dict | None:
    key = manifest_key(run_id)
    return lake.read_json(key) if lake.exists(key) else None


def current_run_id(lake: Lake) -> str | None:
    """The published run readers should follow, or None when nothing was published yet."""
    if not lake.exists(CURRENT_KEY):
        return None
    return json.loads(lake.read_text(CURRENT_KEY))["run_id"]


def publish(lake: Lake, run_id: str) -> None:
    """Move ``CURRENT`` to a run whose outputs and manifest are all written (one atomic object write)."""
    lake.write_json(
        CURRENT_KEY, {"run_id": run_id, "published_at": utc_now(), "manifest": manifest_key(run_id)}
    )


def list_manifests(lake: Lake) -> list[dict]:
    """Every run's manifest, newest first (the local run history)."""
    out = []
    for key in lake.list("runs/"):
        if key.endswith("/manifest.json") and key.count("/") == 2:
            out.append(lake.read_json(key))
    return sorted(out, key=lambda m: m.get("started_at", ""), reverse=True)
