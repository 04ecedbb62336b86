"""Sampling a large training set: every churner, and a customer-hashed share of the non-churners weighted back
to their count (used by :func:`dataflow.model.training_set.training_split`; not a node module).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

LABEL = "churned_within_horizon"
WEIGHT = "sample_weight"  # present only when the non-churners were sampled (see sample_non_churners)


@dataclass(frozen=True)
class Rows:
    """Some rows of the split's labelled frame, kept as a row mask (``None``: all of them) and made into a table
    only when asked for, so the split does not hold a copy of every part; ``non_churner_weight`` when the
    non-churners among them were sampled (:func:`sample_non_churners`)."""

    mask: np.ndarray | None = None
    non_churner_weight: float | None = None

    def of(self, frame: pl.DataFrame) -> pl.DataFrame:
        rows = frame if self.mask is None else frame.filter(pl.Series(self.mask))
        return rows if self.non_churner_weight is None else _weighted(rows, self.non_churner_weight)

    def count(self, frame: pl.DataFrame) -> int:
        return frame.height if self.mask is None else int(self.mask.sum())


def row_weights(frame: pl.DataFrame) -> np.ndarray | None:
    """Each row's case weight when the frame's non-churners were sampled (:func:`sample_non_churners`), else
    None (every row counts once)."""
    return frame[WEIGHT].to_numpy() if WEIGHT in frame.columns else None


def _weighted(rows: pl.DataFrame, non_churner_weight: float) -> pl.DataFrame:
    return rows.with_columns(
        pl.when(pl.col(LABEL) == 1).then(1.0).otherwise(non_churner_weight).alias(WEIGHT)
    )


def customer_hash(frame: pl.DataFrame, salt: str) -> pl.Series:
    """A fixed 64-bit number per row from its customer id (the first 8 bytes of sha256 of salt and id): the same
    customer gets the same number on every date and in every run, whatever the row order."""
    ids = frame.select(pl.col("customer_id").unique())
    hashed = ids.with_columns(
        _h=pl.col("customer_id").map_elements(
            lambda c: int.from_bytes(hashlib.sha256(f"{salt}:{c}".encode()).digest()[:8], "big"),
            return_dtype=pl.UInt64,
        )
    )
    return frame.select("customer_id").join(hashed, on="customer_id", how="left", maintain_order="left")["_h"]


def customer_draw(frame: pl.DataFrame, salt: str) -> pl.Series:
    """A fixed number in [0, 1) per row from its customer id (:func:`customer_hash` ÷ 2⁶⁴)."""
    return customer_hash(frame, salt).cast(pl.Float64) / 2**64


def non_churner_sample(frame: pl.DataFrame, rows: Rows, max_rows: int, seed: int) -> tuple[Rows, dict]:
    """``rows`` of ``frame`` thinned as :func:`sample_non_churners` says (unchanged when small enough)."""
    n = rows.count(frame)
    if max_rows <= 0 or n <= max_rows:
        return rows, {}
    inside = np.ones(frame.height, dtype=bool) if rows.mask is None else rows.mask
    churner = frame[LABEL].to_numpy() == 1
    n_pos = int((churner & inside).sum())
    n_neg = n - n_pos
    if n_neg == 0:
        return rows, {}
    share = min(1.0, max(max_rows - n_pos, n_pos) / n_neg)  # never fewer non-churners than churners
    kept = inside & (churner | (customer_draw(frame, f"negatives:{seed}").to_numpy() < share))
    n_neg_kept = int(kept.sum()) - n_pos
    weight = n_neg / max(n_neg_kept, 1)
    return Rows(kept, weight), {
        "rows_before": n,
        "rows": n_pos + n_neg_kept,
        "churners": n_pos,
        "non_churners_before": n_neg,
        "non_churners_kept": n_neg_kept,
        "non_churner_weight": weight,
    }


def sample_non_churners(frame: pl.DataFrame, max_rows: int, seed: int) -> tuple[pl.DataFrame, dict]:
    """A training set of at most about ``max_rows`` rows for a large book: every churner, and the non-churner
    rows of a seeded, customer-hashed share of the customers, each weighing (non-churners before) / (kept), so
    the weighted non-churners add up exactly to the original count and the booster and calibrator see the true
    base rate. Unchanged (and no weight column) when the frame has at most ``max_rows`` rows or ``max_rows`` is
    0. Returns the rows and what was done (for the split plan)."""
    rows, info = non_churner_sample(frame, Rows(), max_rows, seed)
    return (rows.of(frame), info) if info else (frame, {})
