"""A regularised logistic regression as plain numbers: the model of the customers outside the renewal window.

Outside the renewal window churn is rare background churn (moves, closures) whose odds shift by a few
structural causes multiplicatively; trees early-stopped on the whole book leave that weak effect unlearnt, a
logistic regression on the lifecycle features learns it. Fitted with scikit-learn (median imputation,
standardisation, L2), then kept as numbers (medians, means, scales, coefficients) so it is saved in the model's
JSON metadata (no pickle) and its reason codes are exact: the contribution of a column is
``coef · (x − mean) / scale`` and the contributions plus the intercept equal the log-odds margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from dataflow.model.matrix import FeatureEncoder


@dataclass(frozen=True)
class LinearModel:
    """Log-odds = intercept + Σ coef · (imputed x − mean) / scale over the encoder's columns."""

    encoder: FeatureEncoder
    medians: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    c: float

    @classmethod
    def fit(
        cls,
        frame: pl.DataFrame,
        y: np.ndarray,
        features: list[str],
        c_grid: tuple[float, ...],
        folds: np.ndarray | None = None,
    ) -> LinearModel:
        """L2-regularised logistic regression on ``features`` of ``frame``. With several values in ``c_grid``
        its strength (inverse ``c``) is the one with the lowest log-loss on held-out customer groups
        (``folds``: a group per row); with one value, that one."""
        encoder = FeatureEncoder.fit(frame, features)
        x = encoder.transform(frame)
        imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(x)
        scaler = StandardScaler().fit(imputer.transform(x))
        z = scaler.transform(imputer.transform(x))
        c = c_grid[0] if len(c_grid) == 1 or folds is None else _best_c(z, y, c_grid, folds)
        logistic = LogisticRegression(C=c, max_iter=2000).fit(z, y)
        scales = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        return cls(
            encoder=encoder,
            medians=tuple(map(float, imputer.statistics_)),
            means=tuple(map(float, scaler.mean_)),
            scales=tuple(map(float, scales)),
            coef=tuple(map(float, logistic.coef_[0])),
            intercept=float(logistic.intercept_[0]),
            c=float(c),
        )

    def column_contributions(self, frame: pl.DataFrame) -> np.ndarray:
        """Per row and matrix column, the column's additive share of the log-odds (intercept excluded)."""
        x = self.encoder.transform(frame).astype(float)
        x = np.where(np.isnan(x), np.asarray(self.medians), x)
        return (x - np.asarray(self.means)) / np.asarray(self.scales) * np.asarray(self.coef)

    def margin(self, frame: pl.DataFrame) -> np.ndarray:
        """Log-odds per row."""
        return self.column_contributions(frame).sum(axis=1) + self.intercept

    def to_dict(self) -> dict:
        return {
            "kind": "logistic_regression",
            "encoder": self.encoder.to_dict(),
            "medians": list(self.medians),
            "means": list(self.means),
            "scales": list(self.scales),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "c": self.c,
        }

    @classmethod
    def from_dict(cls, d: dict) -> LinearModel:
        return cls(
            encoder=FeatureEncoder.from_dict(d["encoder"]),
            medians=tuple(d["medians"]),
            means=tuple(d["means"]),
            scales=tuple(d["scales"]),
            coef=tuple(d["coef"]),
            intercept=float(d["intercept"]),
            c=float(d["c"]),
        )


def _best_c(z: np.ndarray, y: np.ndarray, c_grid: tuple[float, ...], folds: np.ndarray) -> float:
    """The inverse strength of ``c_grid`` with the lowest mean log-loss on held-out groups (ties → stronger)."""
    losses = []
    for c in sorted(c_grid):
        loss = []
        for g in np.unique(folds):
            held = folds == g
            if len(set(y[~held])) < 2:
                continue
            lr = LogisticRegression(C=c, max_iter=2000).fit(z[~held], y[~held])
            loss.append(log_loss(y[held], lr.predict_proba(z[held])[:, 1], labels=[0, 1]))
        losses.append((float(np.mean(loss)) if loss else np.inf, c))
    return min(losses)[1]
