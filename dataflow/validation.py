"""Screening of one raw file: read it as text, type it column by column, and set aside the rows that break
the contract with a plain-language reason. A file that is unusable as a whole stops the run instead.

Used by every ``raw_*`` node; the rules themselves live in :mod:`dataflow.contract`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandera.polars as pandera
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
from hamilton.data_quality.base import DataValidator, ValidationResult

from dataflow.contract import DatasetContract, Field
from dataflow.errors import ContractError

# A column where more than this share of filled values breaks the same rule is broken as a whole
# (another date format, a shifted column, the wrong file): the run stops instead of quarantining.
SYSTEMATIC_SHARE = 0.5
ROW, REASON, SOURCE = "_row_number", "_reason", "_source_file"
_T = "__typed__"  # prefix of the typed copy of a column while screening
_EXAMPLE_CHARS = 120


def peek_text(path: Path) -> str:
    """The first bytes of a file as text, to show in a message about an unreadable file."""
    return path.read_bytes()[:60].decode("utf-8", errors="replace")


def read_csv_text(path: Path, file: str) -> pl.DataFrame:
    """Every column of a CSV as text, plus the 1-based data row number; ragged rows come pre-rejected.

    A well-formed file is read by Arrow's CSV reader (multi-threaded, no Python object per value); any file it
    does not read cleanly — ragged rows, bad UTF-8, a broken header — is read again by Python's csv module,
    which says row by row what is wrong. Both give the same frame for a well-formed file."""
    if path.stat().st_size == 0:
        raise ContractError(file, None, "the file is empty (0 bytes); expected a header row and data rows")
    fast = _read_csv_fast(path)
    return fast if fast is not None else _read_csv_rows(path, file)


def _read_csv_fast(path: Path) -> pl.DataFrame | None:
    """The file as text columns when Arrow reads it strictly (every row as wide as the header, UTF-8, a
    unique header and at least one data row); ``None`` otherwise, for the row-by-row reader to explain."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next((r for r in csv.reader(fh) if r), None)
        if header is None or len({h.strip() for h in header}) != len(header):
            return None
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),  # quoted line breaks, as csv does
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (UnicodeDecodeError, csv.Error, pa.ArrowInvalid, OSError):
        return None
    if table.num_rows == 0 or table.column_names != header:
        return None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.select(
        pl.when(pl.col(h) != "").then(pl.col(h)).alias(h.strip()) for h in header
    ).with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW),
        pl.lit(None, dtype=pl.Utf8).alias(REASON),
    )


def _read_csv_rows(path: Path, file: str) -> pl.DataFrame:
    """Python's csv module, row by row: names each ragged row, and what makes a file unreadable."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next((r for r in reader if r), None)
            if header is None:
                raise ContractError(file, None, "the file has no header and no data (only blank lines)")
            header = [h.strip() for h in header]
            cols: list[list[str | None]] = [[] for _ in header]
            shape: list[str | None] = []
            for fields in reader:
                if not fields:
                    continue
                shape.append(
                    None
                    if len(fields) == len(header)
                    else f"row has {len(fields)} values but the header has {len(header)} columns "
                    f"(a stray comma or quote?): {','.join(fields)[:_EXAMPLE_CHARS]!r}"
                )
                fields = fields + [""] * (len(header) - len(fields))
                for col, value in zip(cols, fields, strict=False):
                    col.append(value if value != "" else None)
    except UnicodeDecodeError as exc:
        raise ContractError(
            file,
            None,
            "is not UTF-8 text (binary data or another encoding); expected a UTF-8 CSV file",
            peek_text(path),
        ) from exc
    except csv.Error as exc:
        raise ContractError(
            file, None, f"cannot be read as CSV ({exc}); expected comma-separated UTF-8 text", peek_text(path)
        ) from exc
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ContractError(file, dupes[0], f"the header repeats column(s) {dupes}; found header {header}")
    if not shape:
        raise ContractError(file, None, f"has a header but no data rows (header: {','.join(header)})")
    frame = pl.DataFrame({h: pl.Series(h, c, dtype=pl.Utf8) for h, c in zip(header, cols, strict=True)})
    ragged = sum(s is not None for s in shape)
    if ragged / len(shape) > SYSTEMATIC_SHARE:
        example = next(s for s in shape if s is not None)
        raise ContractError(
            file,
            None,
            f"{ragged} of {len(shape)} rows do not have as many values as the "
            "header has columns; the file layout is broken",
            example,
        )
    return frame.with_columns(
        pl.int_range(1, len(shape) + 1, dtype=pl.Int64).alias(ROW), pl.Series(REASON, shape, dtype=pl.Utf8)
    )


def require_columns(frame: pl.DataFrame, file: str, columns: list[str]) -> None:
    """Stop when a contract column is absent, naming it and the header that was found."""
    header = [c for c in frame.columns if c not in (ROW, REASON)]
    missing = [c for c in columns if c not in header]
    if not missing:
        return
    if len(header) == 1 and len(columns) > 1:
        sep = next((s for s in (";", "\t", "|") if s in header[0]), None)
        hint = f"it looks separated by {sep!r}" if sep else "no separator was recognised"
        raise ContractError(
            file,
            None,
            f"only one column was found in the header ({hint}); expected comma-separated columns {columns}",
            header[0][:_EXAMPLE_CHARS],
        )
    raise ContractError(file, missing[0], f"required column(s) {missing} missing; the header has {header}")


def output_fields(dataset: str) -> dict[str, type]:
    """The three frames a screening node hands on, for ``@extract_fields``: kept, quarantine, audit."""
    return {f"{p}_{dataset}": pl.DataFrame for p in ("raw", "quarantine", "audit")}


@dataclass(frozen=True)
class ScreenResult:
    """Kept typed rows, quarantined text rows with reasons, and an audit (rows read, value notes)."""

    kept: pl.DataFrame
    quarantine: pl.DataFrame
    audit: pl.DataFrame

    def fields(self, dataset: str) -> dict[str, pl.DataFrame]:
        return {
            f"raw_{dataset}": self.kept,
            f"quarantine_{dataset}": self.quarantine,
            f"audit_{dataset}": self.audit,
        }


# Reasons that set a row aside because of its parent (the customer), not for a fault of its own: they count
# as orphans in the reconciliation, so the error budget charges the fault once, to the file where it is.
PARENT_QUARANTINED = "customer quarantined in {file}: {reason}"
ORPHAN_REASON = (
    r"^(customer quarantined in |customer_id '[^']*' is not in |customer_id '[^']*' has no row in )"
)


def is_orphan(reason: pl.Expr) -> pl.Expr:
    """True for a quarantine reason that blames the row's parent customer (see ``ORPHAN_REASON``)."""
    return reason.str.contains(ORPHAN_REASON).fill_null(False)


AUDIT_SCHEMA = {"dataset": pl.Utf8, "column": pl.Utf8, "note": pl.Utf8, "rows": pl.Int64}
ROWS_READ = "rows read"


def _text(col: str) -> pl.Expr:
    """The stripped text of a column, empty → null."""
    t = pl.col(col).str.strip_chars()
    return pl.when(t != "").then(t)


def _parse(f: Field) -> tuple[pl.Expr, str]:
    """Typed value of a column (null when unparseable) and the rule it must satisfy, in words."""
    t = _text(f.name)
    if f.kind == "text":
        return t, "text"
    if f.kind == "code":
        return t.str.to_lowercase(), "text"
    if f.kind == "flag":
        return pl.when(t.is_in(["0", "1"])).then(t).cast(pl.Int8), "0 or 1"
    if f.kind == "float":
        x = t.cast(pl.Float64, strict=False)
        return pl.when(x.is_finite()).then(x), "a number (with '.' as decimal point)"
    if f.kind == "int":
        return t.cast(pl.Int64, strict=False).cast(f.dtype or pl.Int64, strict=False), "a whole number"
    if f.kind == "date":
        return t.str.to_date("%Y-%m-%d", strict=False), "a date in YYYY-MM-DD format"
    if f.kind == "month":
        ym = pl.when(t.str.contains(r"^\d{4}-\d{2}(-\d{2})?$")).then(t.str.slice(0, 7) + "-01")
        return ym.str.to_date("%Y-%m-%d", strict=False), "a month in YYYY-MM format"
    raise ValueError(f"unknown field kind {f.kind!r}")


class Screen:
    """Rows of one raw file on their way from text to typed, collecting every reason to reject a row."""

    def __init__(self, text: pl.DataFrame, file: str, contract: DatasetContract):
        self.file, self.contract = file, contract
        self.rows_in = text.height
        self.df = text.with_columns(pl.col(REASON).is_not_null().alias("__pre"))
        self.notes: list[tuple[str | None, str, str]] = []
        self._mark_exact_duplicates()
        for f in contract.fields:
            self._cast(f)

    def typed(self, col: str) -> pl.Expr:
        return pl.col(_T + col)

    def derive(self, col: str, expr: pl.Expr) -> None:
        """Add a typed column computed from other typed columns (e.g. the month of a pricing date)."""
        self.df = self.df.with_columns(expr.alias(_T + col))

    def note(self, column: str | None, note: str, mask: pl.Expr) -> None:
        """Count, among kept rows, those where ``mask`` holds now (e.g. zero prices about to become null)."""
        name = f"__note{len(self.notes)}"
        self.df = self.df.with_columns(mask.fill_null(False).alias(name))
        self.notes.append((column, note, name))

    def reject(
        self, mask: pl.Expr, message: pl.Expr, column: str | None, rule: str, among: pl.Expr | None = None
    ) -> None:
        """Quarantine rows where ``mask`` holds with ``message``; stop if most of ``among`` rows fail."""
        live = ~pl.col("__pre")  # rows already rejected for their shape get no further reasons
        flags = self.df.select(
            (mask.fill_null(False) & live).alias("m"),
            ((pl.lit(True) if among is None else among.fill_null(False)) & live).alias("a"),
        )
        failed, base = int(flags["m"].sum()), int(flags["a"].sum())
        if failed == 0:
            return
        if base and failed / base > SYSTEMATIC_SHARE:
            example = self.df.filter(flags["m"])[column][0] if column in self.df.columns else None
            raise ContractError(
                self.file,
                column,
                f"{failed} of {base} rows break the rule '{rule}' — more "
                f"than {SYSTEMATIC_SHARE:.0%}, so the {'column' if column else 'file'} is wrong as a whole "
                "(another format, a shifted column or the wrong file?) rather than a few dirty "
                "rows; fix the extract and run again",
                example,
            )
        reason = pl.col(REASON)
        self.df = (
            self.df.with_columns(flags["m"].alias("__m"))
            .with_columns(
                pl.when(pl.col("__m"))
                .then(
                    pl.when(reason.is_null())
                    .then(message)
                    .otherwise(pl.concat_str([reason, pl.lit("; "), message]))
                )
                .otherwise(reason)
                .alias(REASON)
            )
            .drop("__m")
        )

    def require_known(
        self,
        column: str,
        allowed: pl.Series,
        where: str,
        parents: pl.DataFrame | None = None,
        skip_rejected: bool = False,
        unknown: pl.Expr | None = None,
    ) -> None:
        """Relationship rule: a filled value must exist in ``allowed`` (e.g. kept customer ids).

        ``parents`` (``customer_id``, ``reason``) names why a parent row was set aside, so an orphan's reason
        says which parent failed and why ("customer quarantined in customer_attributes: …") rather than only
        that the id is unknown. With ``skip_rejected``, rows already set aside for a fault of their own are not
        judged again (the parent's reason would only bury the row's own fault). ``unknown`` words the reason
        for a value found nowhere in ``allowed`` or ``parents``.
        """
        v = self.typed(column)
        if unknown is None:
            unknown = pl.format("{} '{}' is not in {}", pl.lit(column), v.cast(pl.Utf8), pl.lit(where))
        if parents is not None and parents.height:
            why = v.cast(pl.Utf8).replace_strict(
                parents["customer_id"], parents["reason"], default=None, return_dtype=pl.Utf8
            )
            unknown = pl.coalesce(why, unknown)
        clean = pl.col(REASON).is_null() if skip_rejected else pl.lit(True)
        self.reject(
            clean & v.is_not_null() & ~v.is_in(allowed.implode()),
            unknown,
            column,
            f"must exist in {where}",
            among=clean & v.is_not_null(),
        )

    def require_customer(self, customers: pl.DataFrame, set_aside: pl.DataFrame) -> None:
        """Orphan rule of every per-customer file: ``customer_id`` must be a customer the master data keeps
        (``customers``); a row of a customer set aside there cites that customer's reason (``set_aside``)."""
        self.require_known(
            "customer_id",
            customers["customer_id"],
            "customer_attributes.csv",
            parents=set_aside,
            skip_rejected=True,
        )

    def _mark_exact_duplicates(self) -> None:
        cols = self.contract.columns
        first = pl.when(~pl.col("__pre")).then(pl.col(ROW)).min().over(cols)
        self.reject(
            pl.col(ROW) != first,
            pl.format("exact duplicate of row {}", first),
            None,
            "must not repeat an earlier row",
        )

    def _cast(self, f: Field) -> None:
        raw, col = _text(f.name), f.name
        value, rule = _parse(f)
        self.df = self.df.with_columns(value.alias(_T + col))
        v, shown = self.typed(col), pl.col(col)
        if f.required:
            self.reject(raw.is_null(), pl.lit(f"{col} is empty"), col, "must not be empty")
        self.reject(
            raw.is_not_null() & v.is_null(),
            pl.format("{} is not {}, found '{}'", pl.lit(col), pl.lit(rule), shown),
            col,
            f"must be {rule}",
            among=raw.is_not_null(),
        )
        checks = []
        if f.min is not None:
            what = (
                ("must not be negative" if f.min == 0 else f"must be at least {f.min:g}")
                if f.min_inclusive
                else f"must be greater than {f.min:g}"
            )
            checks.append((v < f.min if f.min_inclusive else v <= f.min, what))
        if f.max is not None:
            checks.append((v > f.max, f"must be at most {f.max:g}"))
        for bad, what in checks:
            self.reject(
                bad,
                pl.format("{} {}, found '{}'", pl.lit(col), pl.lit(what), shown),
                col,
                what,
                among=v.is_not_null(),
            )
        if f.zero_is_null:
            self.note(col, "0 means missing: set to null", v == 0)
            self.df = self.df.with_columns(pl.when(v != 0).then(v).alias(_T + col))
        if f.kind == "code":
            self.note(col, "stray spaces or capitals normalised", pl.col(col) != v)

    def _resolve_key_duplicates(self) -> None:
        """Same key twice: identical values keep the first row; different values reject every row of it."""
        key, values = list(self.contract.key), [c for c in self.contract.output_columns]
        ok = self.df.filter(pl.col(REASON).is_null())
        groups = (
            ok.with_columns(pl.len().over([_T + k for k in key]).alias("__n"))
            .filter(pl.col("__n") > 1)
            .group_by([_T + k for k in key], maintain_order=True)
            .agg(pl.col(ROW), *[pl.col(_T + c).n_unique().alias(c) for c in values])
        )
        reasons: dict[int, str] = {}
        for g in groups.iter_rows(named=True):
            rows = sorted(g[ROW])
            differing = [c for c in values if g[c] > 1]
            if not differing:
                reasons.update(
                    {r: f"same values as row {rows[0]} (duplicate written differently)" for r in rows[1:]}
                )
                continue
            what = " and ".join(f"{k} '{g[_T + k]}'" for k in key)
            for r in rows:
                reasons[r] = (
                    f"{what} appears on rows {', '.join(map(str, rows))} with different "
                    f"{', '.join(differing)}; we cannot tell which is right"
                )
        if reasons:
            msg = pl.col(ROW).replace_strict(reasons, default=None, return_dtype=pl.Utf8)
            self.reject(msg.is_not_null(), msg, None, "a key must not repeat with different values")

    def finish(self, columns: list[str] | None = None) -> ScreenResult:
        """Split kept and quarantined rows; check that every row read is in exactly one of them."""
        if self.contract.key_conflicts:
            self._resolve_key_duplicates()
        good = pl.col(REASON).is_null()
        columns = columns or self.contract.output_columns
        kept = self.df.filter(good).select([self.typed(c).alias(c) for c in columns])
        text_cols = [c for c in self.df.columns if not c.startswith("__") and c not in (ROW, REASON)]
        quarantine = self.df.filter(~good).select(
            *[pl.col(c) for c in text_cols], pl.lit(self.file).alias(SOURCE), pl.col(ROW), pl.col(REASON)
        )
        if kept.height + quarantine.height != self.rows_in:
            raise RuntimeError(
                f"{self.file}: {self.rows_in} rows read but {kept.height} kept + "
                f"{quarantine.height} quarantined; this is a bug in the loader"
            )
        ds = self.contract.dataset
        audit = [(ds, None, ROWS_READ, self.rows_in)]
        for column, note, flag in self.notes:
            n = int(self.df.filter(good)[flag].sum())
            if n:
                audit.append((ds, column, note, n))
        return ScreenResult(kept, quarantine, pl.DataFrame(audit, schema=AUDIT_SCHEMA, orient="row"))


def read_contract_csv(path: Path, file: str, contract: DatasetContract) -> pl.DataFrame:
    """A contract CSV as text, insisting on its columns."""
    text = read_csv_text(path, file)
    require_columns(text, file, contract.columns)
    return text


def screen_csv(path: Path, file: str, contract: DatasetContract) -> Screen:
    """Read a contract CSV as text, insist on its columns, and type it row by row."""
    return Screen(read_contract_csv(path, file, contract), file, contract)


class PanderaPolarsValidator(DataValidator):
    """Hamilton validator: checks a Polars frame against a pandera Polars schema (``@check_output`` cannot)."""

    def __init__(self, schema: pandera.DataFrameSchema, importance: str = "fail"):
        super().__init__(importance)
        self.schema = schema

    def applies_to(self, datatype: type[type]) -> bool:
        return isinstance(datatype, type) and issubclass(datatype, pl.DataFrame)

    def description(self) -> str:
        return f"the table matches the pandera schema {self.schema.name!r} (columns, types, checks)"

    @classmethod
    def name(cls) -> str:
        return "pandera_schema"

    def validate(self, dataset: pl.DataFrame) -> ValidationResult:
        try:
            self.schema.validate(dataset, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            lines = [
                f"{r['column']}: {r['check']} (e.g. {str(r['failure_case'])[:_EXAMPLE_CHARS]!r})"
                for r in cases.unique(["column", "check"], maintain_order=True).head(10).iter_rows(named=True)
            ]
            return ValidationResult(
                False,
                f"{self.schema.name} breaks its schema in {cases.height} place(s): " + "; ".join(lines),
                {"failure_cases": cases.head(50).to_dicts()},
            )
        except pandera.errors.SchemaError as exc:
            return ValidationResult(False, f"{self.schema.name} breaks its schema: {exc}", {})
        return ValidationResult(True, f"{self.schema.name} matches its schema ({dataset.height} rows)", {})
