"""Probability calibration and the decision threshold, both fitted on held-out (calibration) rows.

The calibrator maps the model's raw score (log-odds margin) to a probability: Platt scaling (sigmoid,
default) or isotonic regression. Its parameters are plain numbers saved in the model's JSON metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def logit(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Calibrator:
    """Score → calibrated probability: sigmoid(a·score + b), or a monotone step curve (isotonic)."""

    method: str
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    @classmethod
    def fit(
        cls, scores: np.ndarray, y: np.ndarray, method: str = "sigmoid", weight: np.ndarray | None = None
    ) -> Calibrator:
        """Fit on held-out scores and outcomes (never on rows the model trained on); ``weight``: case weights
        of sampled rows, so the probabilities match the unsampled base rate."""
        scores = np.asarray(scores, dtype=float)
        if method == "sigmoid":
            lr = LogisticRegression(C=1e6, max_iter=1000)
            lr.fit(scores.reshape(-1, 1), y, sample_weight=weight)
            return cls("sigmoid", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
        if method == "isotonic":
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(
                scores, y, sample_weight=weight
            )
            return cls(
                "isotonic", x=tuple(map(float, iso.X_thresholds_)), y=tuple(map(float, iso.y_thresholds_))
            )
        raise ValueError(f"unknown calibration method {method!r}")

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=float)
        if self.method == "sigmoid":
            p = sigmoid(self.a * scores + self.b)
        else:
            p = np.interp(scores, np.asarray(self.x), np.asarray(self.y))
        return np.clip(p, 0.0, 1.0)

    def to_dict(self) -> dict:
        if self.method == "sigmoid":
            return {"method": "sigmoid", "a": self.a, "b": self.b}
        return {"method": "isotonic", "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_dict(cls, d: dict) -> Calibrator:
        if d["method"] == "sigmoid":
            return cls("sigmoid", a=float(d["a"]), b=float(d["b"]))
        return cls("isotonic", x=tuple(d["x"]), y=tuple(d["y"]))


def choose_threshold(
    y: np.ndarray,
    proba: np.ndarray,
    rule: str = "precision_at_recall",
    target_recall: float = 0.70,
    weight: np.ndarray | None = None,
) -> dict:
    """Decision threshold on calibrated probabilities: the highest precision with recall ≥ target
    (ties → higher recall), else the best F1. Returns threshold, precision, recall, f1 and the rule used.
    ``weight``: case weights of sampled rows (precision counts each kept non-churner for those it stands for)."""
    precision, recall, thresholds = precision_recall_curve(y, proba, sample_weight=weight)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    used = rule
    ok = recall >= target_recall if rule == "precision_at_recall" else np.zeros_like(recall, dtype=bool)
    if ok.any():
        idx = np.flatnonzero(ok)
        best = idx[np.lexsort((-recall[idx], -precision[idx]))[0]]
    else:
        used = "f1" if rule == "f1" else "f1_fallback"
        best = int(np.argmax(f1))
    return {
        "threshold": float(thresholds[best]),
        "precision": float(precision[best]),
        "recall": float(recall[best]),
        "f1": float(f1[best]),
        "rule": used,
        "target_recall": target_recall,
    }
