"""Row accounting for the raw layer: every row read is either kept or quarantined, and value notes."""

from __future__ import annotations

import polars as pl
from hamilton.function_modifiers import group, inject, source, tag

from dataflow.contract import CONTRACTS
from dataflow.validation import AUDIT_SCHEMA, REASON, ROWS_READ, is_orphan

DATASETS = tuple(CONTRACTS)
_FRAMES = group(**{f"{p}_{d}": source(f"{p}_{d}") for d in DATASETS for p in ("raw", "quarantine", "audit")})
_AUDITS = group(**{f"audit_{d}": source(f"audit_{d}") for d in DATASETS})


@tag(layer="raw")
@inject(frames=_FRAMES)
def raw_reconciliation(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per raw file: rows read, rows kept, rows quarantined (read = kept + quarantined, always).

    ``rows_orphaned`` counts the quarantined rows set aside only because their customer was (orphans); the
    rest are the file's own faults, which its error budget is charged with.
    """
    rows = []
    for d in DATASETS:
        audit = frames[f"audit_{d}"]
        rows_in = int(audit.filter(pl.col("note") == ROWS_READ)["rows"].sum())
        kept, quarantined = frames[f"raw_{d}"].height, frames[f"quarantine_{d}"].height
        if rows_in != kept + quarantined:
            raise RuntimeError(
                f"{d}: {rows_in} rows read but {kept} kept + {quarantined} quarantined; "
                "rows were lost or invented between reading and splitting (a loader bug)"
            )
        orphaned = int(frames[f"quarantine_{d}"].select(is_orphan(pl.col(REASON)).sum()).item())
        rows.append((d, rows_in, kept, quarantined, orphaned))
    schema = {
        "dataset": pl.Utf8,
        "rows_in": pl.Int64,
        "rows_kept": pl.Int64,
        "rows_quarantined": pl.Int64,
        "rows_orphaned": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


@tag(layer="raw")
@inject(audits=_AUDITS)
def raw_column_notes(audits: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Values the loader changed on kept rows without rejecting them (e.g. zero prices → missing), counted."""
    frames = [a.filter(pl.col("note") != ROWS_READ) for a in audits.values()]
    return pl.concat(frames) if frames else pl.DataFrame(schema=AUDIT_SCHEMA)
