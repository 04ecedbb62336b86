"""The champion candidate: XGBoost on the configured experiment, fitted on the train snapshots, calibrated
on the later validation snapshot(s), with its decision threshold chosen on those calibrated probabilities.
"""

from __future__ import annotations

from dataclasses import replace

from hamilton.function_modifiers import tag

from dataflow.gold.catalog import BY_NAME, experiment_features
from dataflow.model.calibration import Calibrator, choose_threshold
from dataflow.model.drift_reference import Reference
from dataflow.model.evaluation import ModelEvaluation
from dataflow.model.learners import fit_booster, xgb_params
from dataflow.model.matrix import FeatureEncoder
from dataflow.model.metrics import summary
from dataflow.model.registry import ChampionModel
from dataflow.model.settings import ModelConfig
from dataflow.model.training_set import TrainingSplit


def _model_features(experiment: str, variant: str) -> list[str]:
    """An experiment's feature list, refusing business-only columns (margins, totals) and labels."""
    features = experiment_features(experiment, variant)
    leaked = [f for f in features if f in BY_NAME and not BY_NAME[f].model_use]
    if leaked:
        raise ValueError(f"experiment {experiment} lists non-model columns {leaked}")
    return features


@tag(layer="model")
def champion_fit(training_split: TrainingSplit, model_config: ModelConfig) -> ChampionModel:
    """Champion model fitted on train, calibrated on validation, thresholded on calibrated validation
    probabilities (max precision with recall ≥ target, F1 fallback). Not yet evaluated on test."""
    cfg = model_config
    features = _model_features(cfg.champion_experiment, "tree")
    encoder = FeatureEncoder.fit(training_split.train, features)
    y_train, y_val = training_split.y("train"), training_split.y("validation")
    booster = fit_booster(encoder.transform(training_split.train), y_train, encoder.columns, cfg)
    draft = ChampionModel(booster, encoder, Calibrator("sigmoid"), {}, cfg.champion_experiment)
    calibrator = Calibrator.fit(draft.margin(training_split.validation), y_val, cfg.calibration_method)
    model = ChampionModel(
        booster=booster,
        encoder=encoder,
        calibrator=calibrator,
        threshold={},
        experiment=cfg.champion_experiment,
        model=cfg.champion_model,
        params={**xgb_params(cfg), "num_boost_round": cfg.xgb_rounds},
        split=training_split.plan,
        risk_tiers=cfg.risk_tiers,
    )
    p_val = model.predict_proba(training_split.validation)
    threshold = choose_threshold(y_val, p_val, cfg.threshold_rule, cfg.target_recall)
    p_train = model.predict_proba(training_split.train)
    reference = Reference.build(training_split.train, features, p_train)
    return replace(
        model, threshold=threshold, drift_reference=reference, metrics={"validation": summary(y_val, p_val)}
    )


@tag(layer="model", publish="model")
def champion_candidate(
    champion_fit: ChampionModel, model_evaluation: ModelEvaluation, run_id: str = ""
) -> ChampionModel:
    """The candidate of this run with its one test evaluation attached (written as model/champion.ubj + .json)."""
    test = {
        k: model_evaluation.report[k]
        for k in ("pr_auc", "roc_auc", "brier", "log_loss", "ece", "n", "positives")
    }
    test["confusion"] = model_evaluation.report["confusion"]
    metrics = {
        **test,
        "validation": champion_fit.metrics.get("validation", {}),
        "test_date": model_evaluation.report["test_date"],
    }
    return champion_fit.with_metrics(metrics).with_run_id(run_id)
