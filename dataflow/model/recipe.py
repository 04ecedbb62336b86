"""The champion's training recipe, on a set of labelled snapshots: (1) boosting rounds by early stopping on a
time-ordered validation fold (the latest date's rows of a customer group, the model fitted on earlier dates of
the other customers); (2) the booster fitted on every row with those rounds; (3) Platt calibration out-of-fold:
customers fall in ``calibration_folds`` groups, each group's rows on the latest ``oof_calibration_snapshots``
dates are scored by a booster fitted without that group; (4) the decision threshold on those out-of-fold
probabilities. The nodes that run it live in :mod:`dataflow.model.champion`.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import polars as pl
import xgboost as xgb

from dataflow.gold.catalog import BY_NAME, experiment_features
from dataflow.model.calibration import Calibrator, choose_threshold
from dataflow.model.learners import early_stopped_rounds, fit_booster, xgb_params
from dataflow.model.matrix import FeatureEncoder
from dataflow.model.metrics import summary
from dataflow.model.registry import ChampionModel
from dataflow.model.sampling import row_weights
from dataflow.model.settings import ModelConfig
from dataflow.model.training_set import LABEL


def model_features(experiment: str, variant: str) -> list[str]:
    """An experiment's feature list, refusing business-only columns (margins, totals) and labels."""
    features = experiment_features(experiment, variant)
    leaked = [f for f in features if f in BY_NAME and not BY_NAME[f].model_use]
    if leaked:
        raise ValueError(f"experiment {experiment} lists non-model columns {leaked}")
    return features


def customer_folds(frame: pl.DataFrame, k: int, salt: str = "fold") -> np.ndarray:
    """A fixed fold 0…k−1 per row from its customer id (sha256, so it never depends on row order or date)."""
    ids = frame["customer_id"].unique().sort()
    fold = [
        int.from_bytes(hashlib.sha256(f"{salt}:{c}".encode()).digest()[:8], "big") % k for c in ids.to_list()
    ]
    lookup = pl.DataFrame({"customer_id": ids, "_fold": pl.Series(fold, dtype=pl.Int32)})
    return (
        frame.select("customer_id")
        .join(lookup, on="customer_id", how="left", maintain_order="left")["_fold"]
        .to_numpy()
    )


def _y(frame: pl.DataFrame) -> np.ndarray:
    return frame[LABEL].cast(pl.Int8).to_numpy()


def boosting_rounds(frame: pl.DataFrame, encoder: FeatureEncoder, cfg: ModelConfig) -> dict:
    """Rounds by early stopping: fit on the dates before the latest for customers outside a 1-in-5 group,
    validate on the latest date's rows of that group (later in time, no customer shared)."""
    if cfg.xgb_early_stopping_rounds <= 0:
        return {"rounds": cfg.xgb_rounds, "method": "fixed"}
    dates = frame["as_of_date"].unique().sort().to_list()
    group = customer_folds(frame, 5, "early-stopping") == 0
    latest = (frame["as_of_date"] == dates[-1]).to_numpy()
    fit_rows, val_rows = (~latest) & ~group, latest & group
    if len(dates) < 2 or len(set(_y(frame.filter(pl.Series(val_rows))))) < 2:
        fit_rows, val_rows = ~group, group  # one date only: a customer group of the same date
    fit_part, val_part = frame.filter(pl.Series(fit_rows)), frame.filter(pl.Series(val_rows))
    if len(set(_y(fit_part))) < 2 or len(set(_y(val_part))) < 2:
        return {"rounds": cfg.xgb_rounds, "method": "fixed (no usable validation fold)"}
    rounds, loss = early_stopped_rounds(
        encoder.transform(fit_part),
        _y(fit_part),
        encoder.transform(val_part),
        _y(val_part),
        encoder.columns,
        cfg,
        row_weights(fit_part),  # case weights: None unless the non-churners were sampled
        row_weights(val_part),
    )
    return {
        "rounds": rounds,
        "method": "early stopping",
        "validation_date": str(val_part["as_of_date"].max()),
        "validation_rows": val_part.height,
        "validation_log_loss": round(loss, 6),
        "patience": cfg.xgb_early_stopping_rounds,
    }


def fit_recipe(
    frame: pl.DataFrame, features: list[str], cfg: ModelConfig, rounds: dict | None = None
) -> ChampionModel:
    """The recipe of the module docstring on ``frame``: booster on every row, out-of-fold calibrator and
    threshold. ``rounds`` reuses an earlier early-stopping result instead of searching. (The drift reference
    is built at monitoring time from the served model, not here.)"""
    encoder = FeatureEncoder.fit(frame, features)
    rounds = rounds or boosting_rounds(frame, encoder, cfg)
    n = rounds["rounds"]
    x, y = encoder.transform(frame), _y(frame)
    w = row_weights(frame)  # case weights: None unless the non-churners were sampled
    booster = fit_booster(x, y, encoder.columns, cfg, n, w)
    dates = frame["as_of_date"].unique().sort().to_list()
    cal_dates = dates[-cfg.oof_calibration_snapshots :]
    on_cal = frame["as_of_date"].is_in(cal_dates).to_numpy()
    folds = customer_folds(frame, cfg.calibration_folds, "calibration")
    oof = np.full(frame.height, np.nan)
    for g in range(cfg.calibration_folds):
        out = folds == g
        fold_booster = fit_booster(x[~out], y[~out], encoder.columns, cfg, n, None if w is None else w[~out])
        rows = out & on_cal
        oof[rows] = fold_booster.predict(
            xgb.DMatrix(x[rows], feature_names=encoder.columns, nthread=cfg.n_jobs), output_margin=True
        )
    y_cal = y[on_cal]
    w_cal = None if w is None else w[on_cal]
    calibrator = Calibrator.fit(oof[on_cal], y_cal, cfg.calibration_method, w_cal)
    p_cal = calibrator(oof[on_cal])
    threshold = choose_threshold(y_cal, p_cal, cfg.threshold_rule, cfg.target_recall, w_cal)
    model = ChampionModel(
        booster=booster,
        encoder=encoder,
        calibrator=calibrator,
        threshold=threshold,
        experiment=cfg.champion_experiment,
        model=cfg.champion_model,
        params={**xgb_params(cfg), "num_boost_round": n, "rounds_chosen_by": rounds},
        risk_tiers=cfg.risk_tiers,
    )
    fitted_on = {
        "as_of_dates": [str(d) for d in dates],
        "rows": frame.height,
        "positives": int(y.sum()),
        "calibration": {
            "method": f"{cfg.calibration_method}, out-of-fold by customer group",
            "folds": cfg.calibration_folds,
            "as_of_dates": [str(d) for d in cal_dates],
            "rows": int(on_cal.sum()),
            "positives": int(y_cal.sum()),
        },
    }
    return replace(
        model,
        metrics={"validation": summary(y_cal, p_cal), "fitted_on": fitted_on},
    )
