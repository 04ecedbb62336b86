"""Which gold features know the future (generated data only).

On a labelled snapshot the generator's true probability is the chance of churning within the horizon given
everything up to the as-of date. So customers grouped by any feature computed honestly from the past churn,
on average, exactly as often as their true probabilities say. A group that churns systematically more or
less than its true probabilities has been told something about the future by the feature: a field that the
extract overwrites after the date, or a window that reaches past it. This check groups the labelled rows by
each gold feature (nulls, quintiles of a number, levels of a flag or category) and reports the group whose
churners depart furthest from the sum of their true probabilities, in standard errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from dataflow.gold.catalog import FEATURES, Feature

# about 60 features × 6 groups per scan: pure chance reaches |z| 5 about once in 5,000 scans (4: once in 40)
Z_ALARM = 5.0
QUANTILES = (0.2, 0.4, 0.6, 0.8)
MIN_EXPECTED = 20.0  # groups expecting fewer churners are too small to judge


@dataclass(frozen=True)
class FeatureCheck:
    """One feature's worst group: its churners against the sum of its true probabilities."""

    feature: str
    model_input: bool
    group: str
    rows: int
    churned: int
    expected: float
    z: float

    @property
    def ratio(self) -> float:
        return self.churned / self.expected if self.expected else float("nan")

    @property
    def flagged(self) -> bool:
        return abs(self.z) >= Z_ALARM

    def describe(self) -> str:
        return (
            f"{self.feature} ({self.group}: {self.churned:,} churned vs {self.expected:,.1f} expected, "
            f"{self.ratio:.2f}×, z {self.z:+.1f})"
        )


def feature_group(frame: pl.DataFrame, name: str, kind: str) -> pl.Series:
    """The group each row falls in: 'null', a quintile 'q1'…'q5' of a numeric feature, or its level."""
    col = frame[name]
    if kind == "numeric" and col.n_unique() > 12:
        edges = sorted({float(e) for e in (col.quantile(q) for q in QUANTILES) if e is not None})
        bin_no = sum((pl.col(name) > e).cast(pl.Int32) for e in edges) + 1
        expr = pl.format("q{}", bin_no)
    else:
        expr = pl.col(name).cast(pl.String)
    return frame.select(expr.fill_null("null").alias("group"))["group"]


def snapshot_overlap(as_of_dates: pl.Series, horizon_days: int) -> float:
    """How many snapshots one churn event can fall into: horizon over the spacing of the as-of dates (≥ 1).
    Monthly snapshots with a 90-day horizon count each event about three times, so the variance triples."""
    dates = as_of_dates.unique().sort()
    if len(dates) < 2:
        return 1.0
    spacing = float(np.median(np.diff(dates.to_numpy()).astype("timedelta64[D]").astype(float)))
    return max(1.0, horizon_days / spacing)


def future_information(
    labelled: pl.DataFrame, horizon_days: int, features: tuple[Feature, ...] = FEATURES
) -> list[FeatureCheck]:
    """Every feature column (model input or business column) of ``labelled`` — rows with
    ``churned_within_horizon`` and ``true_proba`` — checked for future information, worst first."""
    overlap = snapshot_overlap(labelled["as_of_date"], horizon_days)
    y = labelled["churned_within_horizon"].cast(pl.Float64)
    p = labelled["true_proba"].cast(pl.Float64)
    checks = []
    for f in features:
        if f.kind in ("key", "string") or f.tier == "label" or f.name not in labelled.columns:
            continue
        groups = (
            pl.DataFrame({"group": feature_group(labelled, f.name, f.kind), "y": y, "p": p})
            .group_by("group")
            .agg(
                rows=pl.len(),
                churned=pl.col("y").sum(),
                expected=pl.col("p").sum(),
                var=(pl.col("p") * (1 - pl.col("p"))).sum(),
            )
            .filter(pl.col("expected") >= MIN_EXPECTED)
            .with_columns(z=(pl.col("churned") - pl.col("expected")) / (pl.col("var") * overlap).sqrt())
        )
        if groups.is_empty():
            continue
        worst = groups.sort(pl.col("z").abs(), descending=True).row(0, named=True)
        checks.append(
            FeatureCheck(
                f.name,
                f.model_use,
                worst["group"],
                worst["rows"],
                int(worst["churned"]),
                worst["expected"],
                worst["z"],
            )
        )
    return sorted(checks, key=lambda c: -abs(c.z))


def summarise(checks: list[FeatureCheck]) -> dict:
    """What evaluate-truth reports: flagged model inputs, flagged business columns, the largest |z| of an input."""
    inputs = [c for c in checks if c.model_input]
    return {
        "z_alarm": Z_ALARM,
        "model_inputs_flagged": [c.describe() for c in inputs if c.flagged],
        "business_columns_flagged": [c.describe() for c in checks if c.flagged and not c.model_input],
        "largest_model_input": inputs[0].describe() if inputs else "",
    }
