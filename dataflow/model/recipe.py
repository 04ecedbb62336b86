"""The champion's training recipe, on a set of labelled snapshots: (1) boosting rounds by early stopping on a
time-ordered validation fold (the latest date's rows of a customer group, the model fitted on earlier dates of
the other customers); (2) the booster fitted on every row with those rounds; (3) Platt calibration out-of-fold:
customers fall in ``calibration_folds`` groups, each group's rows on the latest ``oof_calibration_snapshots``
dates are scored by a booster fitted without that group; (4) the decision threshold on those out-of-fold
probabilities. With ``segment_by_renewal_window`` the booster is still fitted on every row but calibrated on
the rows inside the renewal window only, and the rows outside it get their own model (:func:`fit_outside`: a
logistic regression with its own out-of-fold calibration); the threshold is chosen on both segments'
out-of-fold probabilities together. The nodes that run it live in :mod:`dataflow.model.champion`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
from sklearn.metrics import log_loss
from threadpoolctl import threadpool_limits

from dataflow.gold.catalog import BY_NAME, experiment_features
from dataflow.model.calibration import Calibrator, choose_threshold, sigmoid
from dataflow.model.learners import early_stopped_rounds, fit_booster, margins, xgb_params
from dataflow.model.linear import LinearModel, Standardiser, fit_logistic
from dataflow.model.matrix import FeatureEncoder
from dataflow.model.metrics import summary
from dataflow.model.registry import ChampionModel
from dataflow.model.sampling import customer_hash, row_weights
from dataflow.model.segments import OutsideWindowModel, inside_renewal_window
from dataflow.model.settings import ModelConfig
from dataflow.model.training_set import LABEL

# fewer churners than this outside the renewal window (or none among its calibration rows): no segmentation
MIN_OUTSIDE_POSITIVES = 20


def model_features(experiment: str, variant: str) -> list[str]:
    """An experiment's feature list, refusing business-only columns (margins, totals) and labels."""
    features = experiment_features(experiment, variant)
    leaked = [f for f in features if f in BY_NAME and not BY_NAME[f].model_use]
    if leaked:
        raise ValueError(f"experiment {experiment} lists non-model columns {leaked}")
    return features


def customer_folds(frame: pl.DataFrame, k: int, salt: str = "fold") -> np.ndarray:
    """A fixed fold 0…k−1 per row from its customer id (sha256, so it never depends on row order or date)."""
    return (customer_hash(frame, salt) % k).cast(pl.Int32).to_numpy()


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


def _outside_rows(frame: pl.DataFrame, y: np.ndarray, on_cal: np.ndarray, cfg: ModelConfig) -> tuple:
    """Rows for the outside-window model, or an all-False mask and the reason there is none."""
    none = np.zeros(frame.height, dtype=bool)
    if not cfg.segment_by_renewal_window:
        return none, "off (segment_by_renewal_window=false)"
    out = ~inside_renewal_window(frame)
    if y[out].sum() < MIN_OUTSIDE_POSITIVES or len(set(y[out & on_cal])) < 2 or out.all():
        return none, f"off: fewer than {MIN_OUTSIDE_POSITIVES} churners outside the renewal window"
    return out, "renewal window"


def fit_outside(
    frame: pl.DataFrame,
    y: np.ndarray,
    on_cal: np.ndarray,
    folds: np.ndarray,
    cfg: ModelConfig,
    c: float | None = None,
) -> tuple[OutsideWindowModel, np.ndarray]:
    """The model of the rows outside the renewal window (all of ``frame``): a logistic regression on the
    lifecycle and market features of ``outside_window_experiment``, fitted on every row. Its strength is ``c``,
    or else the value of ``outside_window_c_grid`` whose out-of-fold margins (each customer group scored by a
    regression fitted without it) have the lowest log-loss; Platt calibration on the out-of-fold margins of
    the ``on_cal`` rows at that strength. Imputation and scaling statistics come from every row (no outcomes).
    Returns the model and the out-of-fold calibrated probabilities of the ``on_cal`` rows."""
    # One BLAS thread: OpenBLAS threads on these small products made the fits 7–10× slower on a busy machine
    # (4.9 s against 0.45 s for 48,607 rows and five strengths under load ≈ 4 on 2 cores).
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_outside(frame, y, on_cal, folds, cfg, c)


def _fit_outside(frame, y, on_cal, folds, cfg: ModelConfig, c: float | None):
    features = model_features(cfg.outside_window_experiment, "linear")
    standardiser = Standardiser.fit(frame, features)
    z = standardiser.transform(frame)
    w = row_weights(frame)  # case weights: None unless the non-churners were sampled
    best = None
    for strength in sorted({c} if c else set(cfg.outside_window_c_grid)):
        oof = np.zeros(frame.height)
        for g in range(cfg.calibration_folds):
            held = folds == g
            coef, intercept = fit_logistic(z[~held], y[~held], strength, None if w is None else w[~held])
            oof[held] = z[held] @ coef + intercept
        loss = log_loss(y, sigmoid(oof), labels=[0, 1], sample_weight=w)
        if best is None or loss < best[0]:  # ascending strengths: ties keep the stronger regularisation
            best = (loss, strength, oof)
    loss, strength, oof = best
    coef, intercept = fit_logistic(z, y, strength, w)
    linear = LinearModel(standardiser, tuple(map(float, coef)), intercept, float(strength))
    calibrator = Calibrator.fit(
        oof[on_cal], y[on_cal], cfg.calibration_method, None if w is None else w[on_cal]
    )
    fitted_on = {
        "rows": frame.height,
        "positives": int(y.sum()),
        "features": cfg.outside_window_experiment,
        "inverse_l2_strength": linear.c,
        "out_of_fold_log_loss": round(loss, 6),
        "calibration_rows": int(on_cal.sum()),
        "calibration_positives": int(y[on_cal].sum()),
    }
    return OutsideWindowModel(linear, calibrator, fitted_on), calibrator(oof[on_cal])


def _booster_oof(x, y, columns, folds, on_cal, cfg: ModelConfig, n: int, w: np.ndarray | None) -> np.ndarray:
    """Out-of-fold booster margins of the ``on_cal`` rows (each fold scored by a booster fitted without it;
    ``w``: case weights of sampled rows)."""
    oof = np.full(len(y), np.nan)
    for g in range(cfg.calibration_folds):
        out = folds == g
        fold_booster = fit_booster(x[~out], y[~out], columns, cfg, n, None if w is None else w[~out])
        rows = out & on_cal
        oof[rows] = margins(fold_booster, x[rows])
    return oof


def fit_recipe(
    frame: pl.DataFrame,
    features: list[str],
    cfg: ModelConfig,
    rounds: dict | None = None,
    outside_c: float | None = None,
) -> ChampionModel:
    """The recipe of the module docstring on ``frame``: booster on every row, out-of-fold calibrator and
    threshold (and the outside-window model when segmenting). ``rounds`` and ``outside_c`` reuse an earlier
    fit's early-stopping result and logistic-regression strength instead of searching. (The drift reference is
    built at monitoring time from the served model.)"""
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
    out, segmentation = _outside_rows(frame, y, on_cal, cfg)
    booster_cal = on_cal & ~out
    oof = _booster_oof(x, y, encoder.columns, folds, booster_cal, cfg, n, w)
    calibrator = Calibrator.fit(
        oof[booster_cal], y[booster_cal], cfg.calibration_method, None if w is None else w[booster_cal]
    )
    p_oof = np.full(frame.height, np.nan)
    p_oof[booster_cal] = calibrator(oof[booster_cal])
    outside = None
    if out.any():
        sub = pl.Series(out)
        outside, p_out = fit_outside(frame.filter(sub), y[out], on_cal[out], folds[out], cfg, outside_c)
        p_oof[np.flatnonzero(out)[on_cal[out]]] = p_out
    y_cal, p_cal = y[on_cal], p_oof[on_cal]
    w_cal = None if w is None else w[on_cal]
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
        outside_window=outside,
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
        "segments": {
            "rule": segmentation,
            "booster_calibration_rows": int(booster_cal.sum()),
            "outside_window": outside.fitted_on if outside else None,
        },
    }
    return replace(
        model,
        metrics={"validation": summary(y_cal, p_cal), "fitted_on": fitted_on},
    )
