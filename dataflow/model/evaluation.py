"""The one evaluation of the champion candidate on the test snapshot: curves, confusion matrix at the
threshold, reliability and ECE, observed churn per risk tier and feature importance (gain, mean |SHAP|).
"""

from __future__ import annotations

from dataclasses import dataclass

from hamilton.function_modifiers import tag

from dataflow.lake import Lake
from dataflow.model.calibration import sigmoid
from dataflow.model.explain import importance
from dataflow.model.metrics import (
    confusion,
    curves,
    expected_calibration_error,
    reliability,
    summary,
)
from dataflow.model.registry import ChampionModel
from dataflow.model.settings import ModelConfig
from dataflow.model.tiers import tier_table
from dataflow.model.training_set import TrainingSplit


@dataclass(frozen=True)
class ModelEvaluation:
    """Test-snapshot evaluation report (written as model/evaluation.json)."""

    report: dict

    def write_to(self, lake: Lake, prefix: str) -> None:
        lake.write_json(prefix + "evaluation.json", self.report)


def _evaluate(model: ChampionModel, split: TrainingSplit, cfg: ModelConfig) -> dict:
    """The evaluation report of a model on the split's test rows."""
    test = split.test
    y = split.y("test")
    margin = model.margin(test)
    proba = model.predict_proba(test)
    threshold = model.threshold["threshold"]
    return {
        **summary(y, proba),
        **curves(y, proba),
        "reliability": reliability(y, proba),
        "confusion": confusion(y, proba, threshold),
        "ece_uncalibrated": expected_calibration_error(y, sigmoid(margin)),
        "tiers": tier_table(y, proba, test, cfg),
        "feature_importance": importance(model, test),
        "threshold": model.threshold,
        "test_date": split.plan.get("test_date", split.plan.get("snapshot")),
        "split": split.plan,
        "experiment": model.experiment,
        "model": model.model,
    }


@tag(layer="model", publish="model")
def model_evaluation(
    champion_fit: ChampionModel, training_split: TrainingSplit, model_config: ModelConfig | None = None
) -> ModelEvaluation:
    """The candidate evaluated once on the held-out test snapshot (never seen in fit, calibration or threshold)."""
    return ModelEvaluation(_evaluate(champion_fit, training_split, model_config or ModelConfig()))
