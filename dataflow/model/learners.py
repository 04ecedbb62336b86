"""The three model families compared in the experiments, each as fit → raw score (log-odds scale).

Logistic regression (imputed, scaled, one-hot, class-balanced), random forest (imputed, class-balanced)
and XGBoost (hist, missing values native). All sized for 2 cores.
"""

from __future__ import annotations

import numpy as np
import xgboost as xgb
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dataflow.model.calibration import logit
from dataflow.model.settings import ModelConfig

MODEL_KINDS = ("logistic", "random_forest", "xgboost")
VARIANT = {"logistic": "linear", "random_forest": "tree", "xgboost": "tree"}


def xgb_params(cfg: ModelConfig) -> dict:
    """Booster parameters of the champion family (binary log-loss, hist trees)."""
    return {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "max_depth": cfg.xgb_max_depth,
        "eta": cfg.xgb_learning_rate,
        "subsample": cfg.xgb_subsample,
        "colsample_bytree": cfg.xgb_colsample,
        "min_child_weight": cfg.xgb_min_child_weight,
        "lambda": cfg.xgb_reg_lambda,
        "nthread": cfg.n_jobs,
        "seed": cfg.seed,
    }


def fit_booster(
    x: np.ndarray,
    y: np.ndarray,
    columns: list[str],
    cfg: ModelConfig,
    rounds: int | None = None,
    weight: np.ndarray | None = None,
) -> xgb.Booster:
    """Train the XGBoost booster on a matrix with named columns (``rounds`` boosting rounds, default the cap;
    ``weight``: case weights of sampled rows)."""
    dtrain = xgb.DMatrix(x, label=y, weight=weight, feature_names=columns, nthread=cfg.n_jobs)
    return xgb.train(xgb_params(cfg), dtrain, num_boost_round=rounds or cfg.xgb_rounds)


def margins(booster: xgb.Booster, x: np.ndarray) -> np.ndarray:
    """The booster's log-odds for the rows of a matrix, predicted in place (no ``DMatrix`` copy)."""
    return booster.inplace_predict(x, predict_type="margin").astype(float)


def early_stopped_rounds(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    columns: list[str],
    cfg: ModelConfig,
    w_train: np.ndarray | None = None,
    w_val: np.ndarray | None = None,
) -> tuple[int, float]:
    """Boosting rounds that minimise log-loss on a later validation fold (stops after
    ``xgb_early_stopping_rounds`` rounds without improvement); returns (rounds, best validation log-loss).
    ``w_train`` / ``w_val``: case weights of sampled rows."""
    dtrain = xgb.DMatrix(x_train, label=y_train, weight=w_train, feature_names=columns, nthread=cfg.n_jobs)
    dval = xgb.DMatrix(x_val, label=y_val, weight=w_val, feature_names=columns, nthread=cfg.n_jobs)
    booster = xgb.train(
        xgb_params(cfg),
        dtrain,
        num_boost_round=cfg.xgb_rounds,
        evals=[(dval, "validation")],
        early_stopping_rounds=cfg.xgb_early_stopping_rounds,
        verbose_eval=False,
    )
    return int(booster.best_iteration) + 1, float(booster.best_score)


class Learner:
    """One fitted model of a family: ``score(x)`` returns log-odds (monotone in the churn probability)."""

    def __init__(self, kind: str, cfg: ModelConfig):
        if kind not in MODEL_KINDS:
            raise ValueError(f"unknown model kind {kind!r}; expected one of {MODEL_KINDS}")
        self.kind, self.cfg = kind, cfg
        self.model = None

    def fit(self, x: np.ndarray, y: np.ndarray, columns: list[str]) -> Learner:
        cfg = self.cfg
        if self.kind == "xgboost":
            self.model = fit_booster(x, y, columns, cfg)
        elif self.kind == "random_forest":
            forest = RandomForestClassifier(
                n_estimators=150,
                min_samples_leaf=10,
                max_features="sqrt",
                max_samples=min(1.0, 40_000 / len(y)),
                class_weight="balanced_subsample",
                n_jobs=cfg.n_jobs,
                random_state=cfg.seed,
            )
            self.model = make_pipeline(
                SimpleImputer(strategy="median", keep_empty_features=True), forest
            ).fit(x, y)
        else:
            logistic = LogisticRegression(class_weight="balanced", max_iter=2000, C=1.0)
            self.model = make_pipeline(
                SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(), logistic
            ).fit(x, y)
        self.columns = columns
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "xgboost":
            return margins(self.model, x)
        return logit(self.model.predict_proba(x)[:, 1])
