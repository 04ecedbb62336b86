"""The churn labels (raw/churn_label.csv) and the truth behind them (truth/).

A label row looks at a customer active on its as-of date and says whether the contract ended within the
horizon. The truth files add each row's exact probability under the simulated process, and the scoring
snapshot (2025-01-01) with its outcomes, which raw/ never shows.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from dataflow.generate import calibration as C
from dataflow.generate.churn import true_proba
from dataflow.generate.population import shift_months

AS_OF_DEFAULT = tuple(date(2024, m, 1) for m in range(4, 11))  # monthly 2024-04-01 … 2024-10-01
HORIZON_DEFAULT = 90


def as_of_days(dates: tuple[date, ...]) -> list[int]:
    return [int((np.datetime64(d, "D") - C.DAY0).astype(int)) for d in dates]


def to_dates(days: np.ndarray) -> np.ndarray:
    return C.DAY0 + np.asarray(days).astype("timedelta64[D]")


def renewal_as_of(next_renewal: np.ndarray, day: int | np.ndarray) -> np.ndarray:
    """The contract's renewal date as seen on ``day``: next_renewal moved back whole years while ≥ day."""
    r = np.asarray(next_renewal).copy()
    for _ in range(20):
        back = shift_months(r, -12)
        move = back >= day
        if not move.any():
            break
        r = np.where(move, back, r)
    return r


def _rows(book: dict[str, np.ndarray], idx: np.ndarray, day: int, horizon: int) -> dict[str, np.ndarray]:
    churned = (book["churn_day"][idx] >= day) & (book["churn_day"][idx] < day + horizon)
    return {
        "idx": idx,
        "day": np.full(len(idx), day),
        "churned": churned,
        "proba": true_proba(book, idx, np.full(len(idx), day), horizon),
    }


def active_on(book: dict[str, np.ndarray], day: int) -> np.ndarray:
    """Customers in the snapshot of ``day``: activated before it and not churned before it."""
    return np.flatnonzero((book["activation"] < day) & (book["churn_day"] >= day))


def label_frames(
    book: dict[str, np.ndarray], as_of: tuple[date, ...], horizon: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(churn_label.csv, truth/label_probabilities.csv, truth/scoring_snapshot.csv) as frames."""
    parts = [_rows(book, active_on(book, d), d, horizon) for d in as_of_days(as_of)]
    lab = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    ids = book["customer_id"][lab["idx"]]
    label_date = to_dates(lab["day"])
    effective = np.where(lab["churned"], to_dates(book["churn_day"][lab["idx"]]), np.datetime64("NaT"))
    labels = pl.DataFrame(
        {
            "customer_id": ids,
            "label_date": label_date,
            "horizon_days": np.full(len(ids), horizon),
            "churned_within_horizon": lab["churned"].astype(np.int8),
            "churn_effective_date": effective,
        }
    )
    probs = pl.DataFrame(
        {
            "customer_id": ids,
            "label_date": label_date,
            "horizon_days": np.full(len(ids), horizon),
            "true_proba": np.round(lab["proba"], 6),
        }
    )
    snap = _rows(book, active_on(book, C.SCORING_DAY), C.SCORING_DAY, horizon)
    snap_ids = book["customer_id"][snap["idx"]]
    snapshot = pl.DataFrame(
        {
            "customer_id": snap_ids,
            "as_of_date": to_dates(snap["day"]),
            "horizon_days": np.full(len(snap_ids), horizon),
            "true_proba": np.round(snap["proba"], 6),
            "churned_within_horizon": snap["churned"].astype(np.int8),
            "churn_effective_date": np.where(
                snap["churned"], to_dates(book["churn_day"][snap["idx"]]), np.datetime64("NaT")
            ),
        }
    )
    return labels, probs, snapshot
