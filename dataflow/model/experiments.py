"""The experiment ladder: E0–E8 feature sets × {logistic regression, random forest, XGBoost}, all trained on
the same train snapshots, Platt-calibrated on the same validation snapshot and scored on the same test one.
"""

from __future__ import annotations

import logging
import time

import polars as pl
from hamilton.function_modifiers import tag

from dataflow.gold.catalog import BY_NAME, EXPERIMENT_NAMES, experiment_features
from dataflow.model.calibration import Calibrator
from dataflow.model.learners import MODEL_KINDS, VARIANT, Learner
from dataflow.model.matrix import FeatureEncoder
from dataflow.model.metrics import summary
from dataflow.model.settings import ModelConfig
from dataflow.model.training_set import LABEL, TrainingSplit

log = logging.getLogger("spanishgas.model")

RESULT_SCHEMA = {
    "experiment": pl.String,
    "model": pl.String,
    "pr_auc": pl.Float64,
    "roc_auc": pl.Float64,
    "brier": pl.Float64,
    "log_loss": pl.Float64,
    "ece": pl.Float64,
    "n_features": pl.Int64,
    "n_train": pl.Int64,
    "n_test": pl.Int64,
    "fit_seconds": pl.Float64,
}


def _ladder_features(experiment: str, kind: str) -> list[str]:
    """Feature list of one cell of the ladder; E8 must be free of anything derived from sentiment."""
    features = experiment_features(experiment, VARIANT[kind])
    if experiment.startswith("E8"):
        leaked = [f for f in features if BY_NAME[f].uses_sentiment or "sentiment" in f]
        if leaked:
            raise ValueError(f"the E8 ablation must be sentiment-free but lists {leaked}")
    if VARIANT[kind] == "tree":
        strings = [f for f in features if BY_NAME[f].kind == "string"]
        if strings:
            raise ValueError(f"tree models take no string crosses, {experiment} lists {strings}")
    return features


def _train_rows(train: pl.DataFrame, cap: int, seed: int) -> pl.DataFrame:
    """The train rows of the ladder: all of them, or a seeded random sample of ``cap`` rows."""
    if cap <= 0 or train.height <= cap:
        return train
    return train.sample(n=cap, seed=seed, shuffle=True)


def _run_cell(
    split: TrainingSplit, train: pl.DataFrame, experiment: str, kind: str, cfg: ModelConfig
) -> dict:
    """Fit one (experiment, model) on ``train``, calibrate on validation and measure on test."""
    t0 = time.perf_counter()
    features = _ladder_features(experiment, kind)
    encoder = FeatureEncoder.fit(train, features)
    learner = Learner(kind, cfg).fit(encoder.transform(train), train[LABEL].to_numpy(), encoder.columns)
    calibrator = Calibrator.fit(learner.score(encoder.transform(split.validation)), split.y("validation"))
    proba = calibrator(learner.score(encoder.transform(split.test)))
    m = summary(split.y("test"), proba)
    return {
        "experiment": EXPERIMENT_NAMES[experiment],
        "model": kind,
        "pr_auc": m["pr_auc"],
        "roc_auc": m["roc_auc"],
        "brier": m["brier"],
        "log_loss": m["log_loss"],
        "ece": m["ece"],
        "n_features": len(features),
        "n_train": train.height,
        "n_test": split.test.height,
        "fit_seconds": round(time.perf_counter() - t0, 2),
    }


class Ladder:
    """Runs the ladder with progress output (used by the node and by ``spanishgas experiments``)."""

    @staticmethod
    def run(
        split: TrainingSplit,
        cfg: ModelConfig,
        experiments: list[str] | None = None,
        kinds: tuple[str, ...] = MODEL_KINDS,
    ) -> pl.DataFrame:
        train = _train_rows(split.train, cfg.experiment_max_train_rows, cfg.seed)
        rows = []
        for exp in experiments or list(EXPERIMENT_NAMES):
            for kind in kinds:
                row = _run_cell(split, train, exp, kind, cfg)
                rows.append(row)
                log.info(
                    "  %-26s %-14s PR-AUC %.3f  ROC-AUC %.3f  (%.1fs)",
                    row["experiment"],
                    kind,
                    row["pr_auc"],
                    row["roc_auc"],
                    row["fit_seconds"],
                )
        return pl.DataFrame(rows, schema=RESULT_SCHEMA)


@tag(layer="model")
def experiment_results(training_split: TrainingSplit, model_config: ModelConfig) -> pl.DataFrame:
    """PR-AUC, ROC-AUC, Brier and log-loss of every experiment × model on the same held-out test snapshot."""
    return Ladder.run(training_split, model_config)
