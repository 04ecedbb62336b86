"""Pandera schemas of the gold outputs, declared on the nodes (``@check_output_custom``).

Built from the catalogue so the table, its documentation and its validation cannot drift apart:
binary flags are Int8 0/1 and never null, string crosses are categorical and never null, keys are unique per snapshot.
"""

import pandera.polars as pa
import polars as pl

from dataflow.gold.catalog import FEATURES

SNAPSHOT_KEY = ["customer_id", "as_of_date", "horizon_days"]
_SNAPSHOT_COLUMNS = {
    "customer_id": pa.Column(pl.String, nullable=False),
    "as_of_date": pa.Column(pl.Date, nullable=False),
    "horizon_days": pa.Column(pl.Int32, pa.Check.gt(0), nullable=False),
    "churned_within_horizon": pa.Column(pl.Int8, pa.Check.isin([0, 1]), nullable=True),
    "is_scoring": pa.Column(pl.Boolean, nullable=False),
}


def _label_only_when_not_scoring(data) -> pl.LazyFrame:
    """A row without a label must be a scoring row (training rows always carry their label)."""
    return data.lazyframe.select(pl.col("is_scoring") | pl.col("churned_within_horizon").is_not_null())


SNAPSHOTS_SCHEMA = pa.DataFrameSchema(
    _SNAPSHOT_COLUMNS,
    checks=[pa.Check(_label_only_when_not_scoring, name="unlabelled_rows_are_scoring_rows")],
    unique=SNAPSHOT_KEY,
    strict=True,
    ordered=True,
    name="snapshots",
)


def _feature_column(kind: str) -> pa.Column:
    if kind == "binary":
        return pa.Column(pl.Int8, pa.Check.isin([0, 1]), nullable=False)
    if kind == "string":
        return pa.Column(pl.Categorical, nullable=False)
    if kind == "categorical":
        return pa.Column(pl.String, nullable=True)
    return pa.Column(None, nullable=True)  # numeric: Float64 or integer counts, null = not observable


GOLD_FEATURES_SCHEMA = pa.DataFrameSchema(
    {
        **_SNAPSHOT_COLUMNS,
        **{f.name: _feature_column(f.kind) for f in FEATURES if f.name not in _SNAPSHOT_COLUMNS},
    },
    unique=SNAPSHOT_KEY,
    strict=True,
    ordered=True,
    name="gold_features",
)
