"""Training sets: labelled snapshots split by time into train / calibration / test, and the scoring rows.

Split rule (docs/architecture.md, modeling rules): the latest labelled as-of date is the test snapshot; a
snapshot whose label window [as_of, as_of + horizon) reaches a later hold-out's as-of date is purged, so no
churn event is shared between train, calibration and test. One labelled snapshot only: random stratified split.

The champion uses two wider sets (train / validation stay for the experiments ladder): ``development``, every
row whose label window closes by the test date (the evaluated model learns and calibrates out-of-fold there),
and ``matured``, every labelled row (the served model is the same recipe refitted on it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from hamilton.function_modifiers import tag

from dataflow.errors import UserError
from dataflow.model.sampling import (  # noqa: F401 - LABEL, WEIGHT, row_weights: where the model code looks
    LABEL,
    WEIGHT,
    Rows,
    customer_draw,
    non_churner_sample,
    row_weights,
    sample_non_churners,
)
from dataflow.model.settings import ModelConfig

PARTS = ("train", "validation", "test", "development", "matured")


@dataclass(frozen=True)
class TrainingSplit:
    """Train, calibration (validation) and test rows of the labelled snapshots, and how they were chosen.

    Each part is a table or :class:`Rows` of ``frame`` (the labelled rows); ``split.train`` etc. give the table.
    The champion uses ``development`` (every label window closed by the test date) and ``matured`` (every
    labelled row), the experiments ``train`` and ``validation``; everything is tested on ``test``."""

    frame: pl.DataFrame
    parts: dict[str, pl.DataFrame | Rows]
    plan: dict = field(default_factory=dict)

    def part(self, name: str) -> pl.DataFrame:
        """One part as a table (a new one on each call when it is kept as rows of ``frame``)."""
        rows = self.parts.get(name)
        if rows is None:
            return pl.DataFrame()
        return rows if isinstance(rows, pl.DataFrame) else rows.of(self.frame)

    train = property(lambda self: self.part("train"))
    validation = property(lambda self: self.part("validation"))
    test = property(lambda self: self.part("test"))
    development = property(lambda self: self.part("development"))
    matured = property(lambda self: self.part("matured"))

    def y(self, part: str) -> np.ndarray:
        """The 0/1 labels of one part ("train", "validation", "test", "development" or "matured")."""
        return self.part(part)[LABEL].cast(pl.Int8).to_numpy()


def _window_end(frame: pl.DataFrame) -> dict[dt.date, dt.date]:
    """For each as-of date, the day after its label window ends (as_of + longest horizon on that date)."""
    ends = frame.group_by("as_of_date").agg(pl.col("horizon_days").max())
    return {
        row["as_of_date"]: row["as_of_date"] + dt.timedelta(days=int(row["horizon_days"]))
        for row in ends.to_dicts()
    }


def _plan_time_split(
    dates: list[dt.date],
    window_end: dict[dt.date, dt.date],
    embargo_days: int,
    calibration_snapshots: int,
    holdout: str = "dates",
) -> dict:
    """Choose train / calibration / test as-of dates (see module docstring); ``embargo_days`` -1 = horizon.

    ``holdout="customers"``: snapshots whose window reaches the calibration date stay in training, but only
    for customers outside a fixed calibration group, and only that group's rows calibrate."""
    dates = sorted(dates)
    test_date = dates[-1]
    dev = [d for d in dates[:-1] if window_end[d] <= test_date]
    purged_for_test = [d for d in dates[:-1] if d not in dev]
    if len(dev) < 2:
        return {}
    calibration = dev[-max(1, min(calibration_snapshots, len(dev) - 1)) :]
    first_cal = calibration[0]
    candidates = [d for d in dev if d < first_cal]

    def reaches(d: dt.date, embargo: int) -> bool:
        horizon_end = window_end[d] if embargo < 0 else d + dt.timedelta(days=embargo)
        return horizon_end > first_cal

    train = [d for d in candidates if not reaches(d, embargo_days)]
    effective = embargo_days
    shared = [d for d in candidates if d not in train]
    if holdout == "customers" and shared:  # keep them, split by customer instead of dropping
        return {
            "method": "time",
            "calibration_holdout": "customers",
            "train_dates": candidates,
            "customer_split_dates": shared,
            "validation_dates": calibration,
            "test_date": test_date,
            "purged_before_test": purged_for_test,
            "purged_before_validation": [],
            "embargo_days": "horizon" if embargo_days < 0 else embargo_days,
        }
    if not train:  # too few snapshots for the embargo: fall back to adjacency, said in the plan
        train, effective = candidates, 0
    return {
        "method": "time",
        "calibration_holdout": "dates",
        "train_dates": train,
        "validation_dates": calibration,
        "test_date": test_date,
        "purged_before_test": purged_for_test,
        "purged_before_validation": [d for d in candidates if d not in train],
        "embargo_days": "horizon" if effective < 0 else effective,
        "embargo_requested": "horizon" if embargo_days < 0 else embargo_days,
    }


def _in_calibration_group(frame: pl.DataFrame, share: float) -> pl.Series:
    """True for rows whose customer belongs to the fixed calibration group (sha256 of the id < share)."""
    return customer_draw(frame, "calibration") < share


def _random_split(frame: pl.DataFrame, fractions: tuple[float, float], seed: int) -> tuple[pl.DataFrame, ...]:
    """Stratified random split of one snapshot into train / validation / test (shares of each class)."""
    rng = np.random.default_rng(seed)
    part = np.empty(frame.height, dtype=np.int8)
    y = frame[LABEL].to_numpy()
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        n_val, n_test = (int(round(f * idx.size)) for f in fractions)
        part[idx[:n_test]] = 2
        part[idx[n_test : n_test + n_val]] = 1
        part[idx[n_test + n_val :]] = 0
    s = pl.Series("_part", part)
    return tuple(frame.filter(s == k) for k in (0, 1, 2))


@tag(layer="model")
def labelled_snapshots(gold_features: pl.DataFrame) -> pl.DataFrame:
    """Gold rows with a known outcome (not the scoring snapshot): what models learn and are tested on."""
    return gold_features.filter(~pl.col("is_scoring").fill_null(False) & pl.col(LABEL).is_not_null())


@tag(layer="model")
def scoring_features(gold_features: pl.DataFrame) -> pl.DataFrame:
    """Gold rows of the scoring snapshot: every customer active on the scoring date, to be scored."""
    rows = gold_features.filter(pl.col("is_scoring").fill_null(False))
    if rows.is_empty():
        raise UserError("gold_features has no scoring snapshot (is_scoring rows): nothing to score")
    return rows


@tag(layer="model")
def training_split(labelled_snapshots: pl.DataFrame, model_config: ModelConfig) -> TrainingSplit:
    """Honest split of the labelled snapshots: earlier dates train, later calibrate, the latest tests."""
    frame = labelled_snapshots.with_columns(pl.col(LABEL).cast(pl.Int8))
    if frame.is_empty():
        raise UserError(
            "no labelled snapshot in gold_features: the label file gave no usable row, cannot train"
        )
    if frame[LABEL].n_unique() < 2:
        raise UserError("the labelled snapshots contain only one class (all churned or none): cannot train")
    frame, short = _drop_short_history(frame, model_config)
    dates = frame["as_of_date"].unique().sort().to_list()
    plan = {}
    if len(dates) > 1:
        plan = _plan_time_split(
            dates,
            _window_end(frame),
            model_config.calibration_embargo_days,
            model_config.calibration_snapshots,
            model_config.calibration_holdout,
        )
    cfg = model_config
    parts: dict[str, pl.DataFrame | Rows]
    if plan:  # every part is a set of rows of the frame, made into a table only when used
        by = pl.col("as_of_date")

        def rows(condition: pl.Expr) -> Rows:
            return Rows(frame.select(condition.alias("_in")).to_series().to_numpy())

        dev_dates = sorted(
            {
                *plan["train_dates"],
                *plan.get("customer_split_dates", []),
                *plan.get("purged_before_validation", []),
                *plan["validation_dates"],
            }
        )
        plan["development_dates"] = dev_dates
        parts = {"test": rows(by == plan["test_date"]), "development": rows(by.is_in(dev_dates))}
        if plan["calibration_holdout"] == "customers":
            group = _in_calibration_group(frame, cfg.calibration_customer_share)
            split_dates = by.is_in(plan["customer_split_dates"])
            parts["train"] = rows(by.is_in(plan["train_dates"]) & ~(split_dates & group))
            parts["validation"] = rows(by.is_in(plan["validation_dates"]) & group)
            plan["calibration_customer_share"] = cfg.calibration_customer_share
        else:
            parts["train"] = rows(by.is_in(plan["train_dates"]))
            parts["validation"] = rows(by.is_in(plan["validation_dates"]))
        parts["matured"] = Rows()
        # a large book: the champion learns from every churner and a weighted sample of the non-churners
        sampling = {}
        for name in ("development", "matured"):
            parts[name], sampling[name] = non_churner_sample(frame, parts[name], cfg.max_train_rows, cfg.seed)
    else:
        latest = dates[-1]
        reason = (
            "single labelled snapshot" if len(dates) == 1 else "too few snapshots outside the label horizon"
        )
        train, validation, test = _random_split(
            frame.filter(pl.col("as_of_date") == latest), cfg.single_snapshot_fractions, cfg.seed
        )
        parts = {"train": train, "validation": validation, "test": test}
        sampling = {}
        for name, part in (
            ("development", pl.concat([train, validation])),
            ("matured", frame.filter(pl.col("as_of_date") == latest)),
        ):
            parts[name], sampling[name] = sample_non_churners(part, cfg.max_train_rows, cfg.seed)
        plan = {
            "method": "random_stratified",
            "reason": reason,
            "snapshot": latest,
            "dates_unused": dates[:-1],
        }
    labels = {name: _column(frame, part, LABEL) for name, part in parts.items()}
    for name in ("train", "validation", "test"):
        if labels[name].is_empty() or labels[name].n_unique() < 2:
            raise UserError(
                f"the {name} part of the split has no churner or no non-churner: cannot train honestly"
            )
    if any(sampling.values()):
        plan["non_churner_sampling"] = sampling
    if short:
        plan["dates_short_contact_history"] = short
        plan["min_contact_history_days"] = cfg.min_contact_history_days
    plan["matured_dates"] = _column(frame, parts["matured"], "as_of_date").unique().sort().to_list()
    plan.update({f"n_{k}": labels[k].len() for k in PARTS})
    plan.update({f"churn_rate_{k}": float(labels[k].mean()) for k in ("train", "test")})
    return TrainingSplit(frame, parts, _jsonable(plan))


def _column(frame: pl.DataFrame, part: pl.DataFrame | Rows, name: str) -> pl.Series:
    """One column of a part, without making the whole part into a table."""
    if isinstance(part, pl.DataFrame):
        return part[name]
    return frame[name] if part.mask is None else frame[name].filter(pl.Series(part.mask))


def _drop_short_history(frame: pl.DataFrame, cfg: ModelConfig) -> tuple[pl.DataFrame, list[dt.date]]:
    """Leave out the as-of dates whose contact history (``contact_history_days``) is shorter than
    ``cfg.min_contact_history_days``, unless what remains no longer allows a time split (then every date is
    kept). Returns the rows kept and the dates left out."""
    if cfg.min_contact_history_days <= 0 or "contact_history_days" not in frame.columns:
        return frame, []
    history = frame.group_by("as_of_date").agg(pl.col("contact_history_days").max()).to_dicts()
    short = sorted(
        r["as_of_date"] for r in history if (r["contact_history_days"] or 0) < cfg.min_contact_history_days
    )
    if not short:
        return frame, []
    kept = frame.filter(~pl.col("as_of_date").is_in(short))
    dates = kept["as_of_date"].unique().sort().to_list()
    if len(dates) < 2 or not _plan_time_split(
        dates,
        _window_end(kept),
        cfg.calibration_embargo_days,
        cfg.calibration_snapshots,
        cfg.calibration_holdout,
    ):
        return frame, []
    return kept, short


def _jsonable(plan: dict) -> dict:
    """Dates as ISO strings so the plan can go into model metadata as is."""

    def conv(v):
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v

    return {k: conv(v) for k, v in plan.items()}
