"""Customer contacts (calls, e-mails, chats, office visits) with their free-text summaries."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from hamilton.function_modifiers import check_output_custom, extract_fields, tag

from dataflow.contract import CUSTOMER_INTERACTIONS, CUSTOMER_INTERACTIONS_SCHEMA
from dataflow.errors import ContractError
from dataflow.raw.inventory import RawInventory
from dataflow.validation import (
    REASON,
    ROW,
    SYSTEMATIC_SHARE,
    PanderaPolarsValidator,
    Screen,
    output_fields,
    peek_text,
)

_EXAMPLE_CHARS = 120


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _read_json_records(path: Path, file: str, keys: list[str]) -> pl.DataFrame:
    """A JSON array of flat records as text columns; ``_row_number`` is the array index (from 0)."""
    if path.stat().st_size == 0:
        raise ContractError(file, None, "the file is empty (0 bytes); expected one JSON array of records")
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ContractError(
            file, None, "is not UTF-8 text (binary data or another encoding)", peek_text(path)
        ) from exc
    except json.JSONDecodeError as exc:
        hint = " (it looks like JSON Lines, one object per line)" if exc.msg == "Extra data" else ""
        raise ContractError(
            file,
            None,
            f"is not valid JSON{hint}: {exc.msg} at line {exc.lineno}, column "
            f"{exc.colno} — truncated or damaged; expected one JSON array of records",
            peek_text(path),
        ) from exc
    if not isinstance(doc, list):
        raise ContractError(
            file,
            None,
            f"must be one JSON array of records ([{{...}}, {{...}}]); found a JSON {type(doc).__name__}",
            peek_text(path),
        )
    if not doc:
        raise ContractError(file, None, "contains an empty JSON array: no records")
    cols: dict[str, list[str | None]] = {k: [] for k in keys}
    reasons: list[str | None] = []
    for i, rec in enumerate(doc):
        if not isinstance(rec, dict):
            reasons.append(
                f"record at array index {i} is a JSON {type(rec).__name__}, not an object: "
                f"{_as_text(rec)[:_EXAMPLE_CHARS]!r}"
            )
            rec = {}
        else:
            absent = [k for k in keys if k not in rec]
            reasons.append(
                f"record at array index {i} has no {', '.join(map(repr, absent))} key" if absent else None
            )
        for k in keys:
            cols[k].append(_as_text(rec.get(k)))
    records = [rec for rec in doc if isinstance(rec, dict)]
    if len(doc) - len(records) > SYSTEMATIC_SHARE * len(doc):
        raise ContractError(
            file,
            None,
            f"{len(doc) - len(records)} of {len(doc)} array elements are not "
            "records ({...}); expected one JSON array of flat objects",
            peek_text(path),
        )
    for k in keys:  # a key absent from most records is a renamed or missing column, not dirt
        absent = sum(1 for rec in records if k not in rec)
        if absent > SYSTEMATIC_SHARE * len(records):
            found = sorted({key for rec in records for key in rec})
            raise ContractError(
                file, k, f"required key missing in {absent} of {len(records)} records; keys found: {found}"
            )
    frame = pl.DataFrame({k: pl.Series(k, v, dtype=pl.Utf8) for k, v in cols.items()})
    return frame.with_columns(
        pl.int_range(0, len(doc), dtype=pl.Int64).alias(ROW), pl.Series(REASON, reasons, dtype=pl.Utf8)
    )


@tag(layer="raw", target_=...)
@tag(publish="quarantine", dataset="customer_interactions", target_="quarantine_customer_interactions")
@check_output_custom(
    PanderaPolarsValidator(CUSTOMER_INTERACTIONS_SCHEMA), target_="raw_customer_interactions"
)
@extract_fields(output_fields("customer_interactions"))
def customer_interactions_screening(
    raw_inventory: RawInventory,
    raw_customer_attributes: pl.DataFrame,
    quarantined_customers: pl.DataFrame,
) -> dict[str, pl.DataFrame]:
    """Contacts of known customers; malformed records, bad dates and exact copies set aside."""
    raw = raw_inventory.files["customer_interactions"]
    text = _read_json_records(raw.local_path, raw.key, CUSTOMER_INTERACTIONS.columns)
    screen = Screen(text, raw.key, CUSTOMER_INTERACTIONS)
    screen.require_customer(raw_customer_attributes, quarantined_customers)
    return screen.finish().fields("customer_interactions")
