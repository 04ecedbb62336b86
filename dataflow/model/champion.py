"""The champion: XGBoost on the configured experiment, fitted by one recipe twice.

The recipe, on a set of labelled snapshots: (1) boosting rounds by early stopping on a time-ordered
validation fold (the latest date's rows of a customer group, the model fitted on earlier dates of the other
customers); (2) the booster fitted on every row with those rounds; (3) Platt calibration out-of-fold: customers
fall in ``calibration_folds`` groups, each group's rows on the latest ``oof_calibration_snapshots`` dates are
scored by a booster fitted without that group; (4) the decision threshold on those out-of-fold probabilities.
Customers renewing in more than 3 months are scored by a logistic regression of their own (segments by the
renewal window, :mod:`dataflow.model.recipe`).

``champion_fit`` runs it on the development snapshots (label windows closed by the test date) and is evaluated
once on the held-out test snapshot; ``champion_candidate`` then refits the same recipe on every matured
snapshot for serving and records in its metadata what it was fitted on.
"""

from __future__ import annotations

from dataclasses import replace

from hamilton.function_modifiers import tag

from dataflow.model.evaluation import ModelEvaluation
from dataflow.model.recipe import fit_recipe, model_features
from dataflow.model.registry import ChampionModel
from dataflow.model.settings import ModelConfig
from dataflow.model.training_set import TrainingSplit


@tag(layer="model")
def champion_fit(training_split: TrainingSplit, model_config: ModelConfig) -> ChampionModel:
    """The champion recipe run on the development snapshots (every label window closed by the test date):
    the model that is evaluated once on the held-out test snapshot. Not yet evaluated."""
    cfg = model_config
    features = model_features(cfg.champion_experiment, "tree")
    model = fit_recipe(training_split.development, features, cfg)
    return replace(model, split=training_split.plan)


@tag(layer="model", publish="model")
def champion_candidate(
    champion_fit: ChampionModel,
    model_evaluation: ModelEvaluation,
    training_split: TrainingSplit,
    model_config: ModelConfig,
    run_id: str = "",
) -> ChampionModel:
    """The served candidate: the evaluated recipe refitted on every matured snapshot (same boosting rounds and
    outside-window regularisation, its own out-of-fold calibration), with the evaluated model's one test evaluation attached and what each was
    fitted on (written as model/champion.ubj + .json)."""
    cfg = model_config
    serving = champion_fit
    if cfg.refit_on_all_matured and training_split.matured.height > training_split.development.height:
        rounds = champion_fit.params.get("rounds_chosen_by")
        part = champion_fit.outside_window
        serving = fit_recipe(
            training_split.matured, champion_fit.features, cfg, rounds, part.linear.c if part else None
        )
        fitted = serving.metrics["fitted_on"]
        # what the served booster saw: every matured date (so a later run never tests it on data it learned)
        split = {
            **training_split.plan,
            "train_dates": fitted["as_of_dates"],
            "validation_dates": fitted["calibration"]["as_of_dates"],
            "customer_split_dates": [],
            "refit_on_all_matured": True,
        }
        serving = replace(serving, split=split)
    test = {
        k: model_evaluation.report[k]
        for k in ("pr_auc", "roc_auc", "brier", "log_loss", "ece", "n", "positives")
    }
    test["confusion"] = model_evaluation.report["confusion"]
    metrics = {
        **test,
        "validation": serving.metrics.get("validation", {}),
        "test_date": model_evaluation.report["test_date"],
        "evaluated_model_fitted_on": champion_fit.metrics.get("fitted_on", {}),
        "served_model_fitted_on": serving.metrics.get("fitted_on", {}),
        "served_model": "refitted on all matured snapshots"
        if serving is not champion_fit
        else "evaluated model",
    }
    return serving.with_metrics(metrics).with_run_id(run_id)
