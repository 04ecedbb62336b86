"""A regularised logistic regression as plain numbers: the model of the customers outside the renewal window.

Outside the renewal window churn is rare background churn (moves, closures) whose odds shift by a few
structural causes multiplicatively; trees early-stopped on the whole book leave that weak effect unlearnt, a
logistic regression on the lifecycle and market features learns it. Columns are median-imputed and
standardised, the fit is scikit-learn's L2 logistic regression, and the result is kept as numbers (medians,
means, scales, coefficients) so it is saved in the model's JSON metadata (no pickle) and its reason codes are
exact: the contribution of a column is ``coef · (x − mean) / scale`` and the contributions plus the intercept
equal the log-odds margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression

from dataflow.model.matrix import FeatureEncoder


@dataclass(frozen=True)
class Standardiser:
    """Encoder columns → median-imputed, standardised matrix (statistics learnt without outcomes)."""

    encoder: FeatureEncoder
    medians: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]

    @classmethod
    def fit(cls, frame: pl.DataFrame, features: list[str]) -> Standardiser:
        encoder = FeatureEncoder.fit(frame, features)
        x = encoder.transform(frame).astype(float)
        empty = np.isnan(x).all(axis=0)
        medians = np.where(empty, 0.0, np.nanmedian(np.where(empty, 0.0, x), axis=0))
        x = np.where(np.isnan(x), medians, x)
        std = x.std(axis=0)
        return cls(
            encoder,
            tuple(map(float, medians)),
            tuple(map(float, x.mean(axis=0))),
            tuple(map(float, np.where(std > 0, std, 1.0))),
        )

    def transform(self, frame: pl.DataFrame) -> np.ndarray:
        x = self.encoder.transform(frame).astype(float)
        x = np.where(np.isnan(x), np.asarray(self.medians), x)
        return (x - np.asarray(self.means)) / np.asarray(self.scales)


def fit_logistic(
    z: np.ndarray, y: np.ndarray, c: float, weight: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Coefficients and intercept of an L2 logistic regression (inverse strength ``c``) on a standardised matrix
    (``weight``: case weights of sampled rows)."""
    logistic = LogisticRegression(C=c, max_iter=2000).fit(z, y, sample_weight=weight)
    return logistic.coef_[0].astype(float), float(logistic.intercept_[0])


@dataclass(frozen=True)
class LinearModel:
    """Log-odds = intercept + Σ coef · (imputed x − mean) / scale over the standardiser's columns."""

    standardiser: Standardiser
    coef: tuple[float, ...]
    intercept: float
    c: float

    @property
    def encoder(self) -> FeatureEncoder:
        return self.standardiser.encoder

    @classmethod
    def fit(cls, frame: pl.DataFrame, y: np.ndarray, features: list[str], c: float) -> LinearModel:
        """L2-regularised logistic regression (inverse strength ``c``) on ``features`` of ``frame``."""
        standardiser = Standardiser.fit(frame, features)
        coef, intercept = fit_logistic(standardiser.transform(frame), y, c)
        return cls(standardiser, tuple(map(float, coef)), intercept, float(c))

    def column_contributions(self, frame: pl.DataFrame) -> np.ndarray:
        """Per row and matrix column, the column's additive share of the log-odds (intercept excluded)."""
        return self.standardiser.transform(frame) * np.asarray(self.coef)

    def margin(self, frame: pl.DataFrame) -> np.ndarray:
        """Log-odds per row."""
        return self.column_contributions(frame).sum(axis=1) + self.intercept

    def to_dict(self) -> dict:
        s = self.standardiser
        return {
            "kind": "logistic_regression",
            "encoder": s.encoder.to_dict(),
            "medians": list(s.medians),
            "means": list(s.means),
            "scales": list(s.scales),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "c": self.c,
        }

    @classmethod
    def from_dict(cls, d: dict) -> LinearModel:
        standardiser = Standardiser(
            FeatureEncoder.from_dict(d["encoder"]), tuple(d["medians"]), tuple(d["means"]), tuple(d["scales"])
        )
        return cls(standardiser, tuple(d["coef"]), float(d["intercept"]), float(d["c"]))
