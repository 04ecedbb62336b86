"""Segmenting the book by the renewal window: which model scores a customer.

Inside the renewal window (renewal at most ``RENEWAL_WINDOW_MONTHS`` months away, already passed, or unknown)
churn is decided at the renewal and the booster scores the customer. Outside it churn is rare background churn
(moves, closures) whose odds shift with who the customer is; there a regularised logistic regression on the
lifecycle and market features, fitted on those rows only and calibrated out-of-fold on them, scores the customer
(``segment_by_renewal_window``; docs/modeling.md "Models").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from dataflow.model.calibration import Calibrator
from dataflow.model.linear import LinearModel

RENEWAL_WINDOW_MONTHS = 3  # the same window as the catalogue's is_within_3m_of_renewal
RULE = "renewal_window"


def inside_renewal_window(frame: pl.DataFrame) -> np.ndarray:
    """True per row whose renewal is at most 3 months away, already passed (expired) or unknown."""
    months = frame["months_to_renewal"]
    return (months.is_null() | (months <= RENEWAL_WINDOW_MONTHS)).fill_null(True).to_numpy()


@dataclass(frozen=True)
class OutsideWindowModel:
    """The model of the rows outside the renewal window: a logistic regression and its own calibrator."""

    linear: LinearModel
    calibrator: Calibrator
    fitted_on: dict = field(default_factory=dict)

    def margin(self, frame: pl.DataFrame) -> np.ndarray:
        return self.linear.margin(frame)

    def predict_proba(self, frame: pl.DataFrame) -> np.ndarray:
        return self.calibrator(self.margin(frame))

    def to_dict(self) -> dict:
        return {
            "rule": RULE,
            "window_months": RENEWAL_WINDOW_MONTHS,
            "model": self.linear.to_dict(),
            "calibration": self.calibrator.to_dict(),
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_dict(cls, d: dict) -> OutsideWindowModel:
        if d.get("rule") != RULE:
            raise ValueError(f"unknown segment rule {d.get('rule')!r} (expected {RULE!r})")
        return cls(
            linear=LinearModel.from_dict(d["model"]),
            calibrator=Calibrator.from_dict(d["calibration"]),
            fitted_on=d.get("fitted_on", {}),
        )
