"""What the utility dropped into raw/: the six named extracts and the hourly consumption files, fingerprinted.

Plain Python (no Hamilton import), so `spanishgas run` can decide in a second that a run is a repeat.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dataflow.config import CONSUMPTION_GLOB, RAW_FILES, RAW_PREFIX, READY_KEY
from dataflow.errors import ContractError
from dataflow.lake import Lake, file_sha256

CONSUMPTION_FORMATS = ("csv", "parquet")
_WHAT = {
    "customer_attributes": "one row per customer: power, flags, province, channel",
    "customer_contracts": "one row per customer: activation, start, product change and renewal dates",
    "price_history": "one row per customer and month: prices and fixed fees",
    "costs_by_province_month": "one row per province and month: energy costs and network tolls",
    "customer_interactions": "one JSON array of customer contact records",
    "churn_label": "churn labels (customer_id, label_date, horizon_days, ... or the legacy customer_id,churn)",
}


@dataclass(frozen=True)
class RawFile:
    """One raw input file: where it is in the lake, a local copy to read, its size and content hash."""

    key: str
    local_path: Path
    size: int
    sha256: str
    format: str  # csv | json | parquet


@dataclass(frozen=True)
class RawInventory:
    """The raw files of a run: the six named extracts by dataset, and every hourly consumption file."""

    files: dict[str, RawFile]
    consumption: list[RawFile] = field(default_factory=list)

    def all_files(self) -> list[RawFile]:
        return [*self.files.values(), *self.consumption]


def _fingerprint(lake: Lake, key: str) -> RawFile:
    fmt = PurePosixPath(key).suffix.lstrip(".").lower()
    path = lake.local_path(key)  # one lookup (and, on S3, one cached download) per file
    return RawFile(key=key, local_path=path, size=path.stat().st_size, sha256=file_sha256(path), format=fmt)


def _listing(keys: list[str]) -> str:
    names = [k[len(RAW_PREFIX) :] for k in keys]
    return ", ".join(names) if names else "nothing (the raw/ folder is empty or absent)"


def take_inventory(lake_uri: str) -> RawInventory:
    """Every raw file this run reads, with its size and sha256 (recomputed each run, never trusted from cache)."""
    lake = Lake.open(lake_uri)
    # raw/_READY only says "the upload is complete": not an input, never hashed, not part of the run id
    keys = [k for k in lake.list(RAW_PREFIX) if k != READY_KEY]
    missing = [d for d, name in RAW_FILES.items() if RAW_PREFIX + name not in keys]
    if missing:
        name = RAW_FILES[missing[0]]
        also = f" Also missing: {', '.join(RAW_FILES[d] for d in missing[1:])}." if missing[1:] else ""
        raise ContractError(
            RAW_PREFIX + name,
            None,
            f"file is missing in {lake.uri_of(RAW_PREFIX)}; expected "
            f"{name} ({_WHAT[missing[0]]}).{also} Found in raw/: {_listing(keys)}",
        )
    files = {dataset: _fingerprint(lake, RAW_PREFIX + name) for dataset, name in RAW_FILES.items()}
    consumption = []
    for key in keys:
        name = key[len(RAW_PREFIX) :]
        if "/" in name or not fnmatch.fnmatch(name, CONSUMPTION_GLOB):
            continue
        fmt = PurePosixPath(name).suffix.lstrip(".").lower()
        if fmt not in CONSUMPTION_FORMATS:
            raise ContractError(
                key,
                None,
                f"hourly consumption files must be .csv or .parquet; this one is .{fmt or '(no extension)'}",
            )
        consumption.append(_fingerprint(lake, key))
    if not consumption:
        raise ContractError(
            RAW_PREFIX + CONSUMPTION_GLOB + ".parquet",
            None,
            "no hourly consumption file found; expected at least one "
            f"raw/{CONSUMPTION_GLOB}.csv or .parquet. Found in raw/: {_listing(keys)}",
        )
    return RawInventory(files=files, consumption=consumption)
