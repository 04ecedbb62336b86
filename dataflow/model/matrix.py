"""Model matrices: turn gold feature columns into a numeric matrix the same way at training and scoring.

Numeric and binary features pass through (missing stays NaN); categorical and string features become
one-hot columns named ``feature=level`` with the levels seen in training (an unseen level is all zeros).
The encoder is plain data, saved in the model's JSON metadata (no pickle).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from dataflow.gold.catalog import BY_NAME

MISSING_LEVEL = "(missing)"
MAX_LEVELS = 60  # rarer levels of a very wide string cross fall into "no column" (all zeros)
SEP = "="


def is_categorical(name: str, dtype: pl.DataType) -> bool:
    """True when a feature is categorical or a string cross (by the catalogue, else by its dtype)."""
    feature = BY_NAME.get(name)
    if feature is not None:
        return feature.kind in ("categorical", "string")
    return dtype in (pl.String, pl.Categorical, pl.Enum)


@dataclass(frozen=True)
class FeatureEncoder:
    """Column recipe of a model: numeric features, then one-hot levels per categorical feature."""

    numeric: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pl.DataFrame, features: list[str], max_levels: int = MAX_LEVELS) -> FeatureEncoder:
        """Learn the levels of each categorical feature from the training rows (most frequent first)."""
        missing = [f for f in features if f not in frame.columns]
        if missing:
            raise ValueError(f"gold_features lacks model features {missing}")
        numeric, categorical = [], {}
        for name in features:
            if is_categorical(name, frame.schema[name]):
                counts = (
                    frame.select(pl.col(name).cast(pl.String).fill_null(MISSING_LEVEL))
                    .to_series()
                    .value_counts(sort=True)
                )
                levels = counts.sort(["count", name], descending=[True, False])[name].head(max_levels)
                categorical[name] = tuple(sorted(levels.to_list()))
            else:
                numeric.append(name)
        return cls(tuple(numeric), categorical)

    @property
    def features(self) -> list[str]:
        """The source (gold) features the encoder reads."""
        return [*self.numeric, *self.categorical]

    @property
    def columns(self) -> list[str]:
        """Names of the matrix columns, in order."""
        return [
            *self.numeric,
            *(f"{c}{SEP}{lvl}" for c, levels in self.categorical.items() for lvl in levels),
        ]

    @property
    def sources(self) -> list[str]:
        """For each matrix column, the gold feature it comes from (one-hot columns map back to their feature)."""
        return [*self.numeric, *(c for c, levels in self.categorical.items() for _ in levels)]

    def transform(self, frame: pl.DataFrame) -> np.ndarray:
        """The float32 matrix of a frame (rows in frame order)."""
        exprs = [pl.col(n).cast(pl.Float32) for n in self.numeric]
        for name, levels in self.categorical.items():
            value = pl.col(name).cast(pl.String).fill_null(MISSING_LEVEL)
            exprs += [(value == lvl).cast(pl.Float32).alias(f"{name}{SEP}{lvl}") for lvl in levels]
        if not exprs:
            return np.zeros((frame.height, 0), dtype=np.float32)
        out = frame.select(exprs).to_numpy()
        return np.ascontiguousarray(out, dtype=np.float32)

    def to_dict(self) -> dict:
        # a list of pairs, not a mapping: JSON writers may sort keys, and column order is part of the model
        return {
            "numeric": list(self.numeric),
            "categorical": [[k, list(v)] for k, v in self.categorical.items()],
        }

    @classmethod
    def from_dict(cls, d: dict) -> FeatureEncoder:
        return cls(tuple(d["numeric"]), {k: tuple(v) for k, v in d["categorical"]})
