"""Promotion gate: the candidate serves only if its test PR-AUC clears the floor and is not worse than the
current champion's (on the same test snapshot when that is fair) beyond a tolerance; otherwise the previous
champion keeps serving and the candidate is recorded as rejected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hamilton.function_modifiers import tag

from dataflow.errors import UserError
from dataflow.lake import Lake
from dataflow.model.metrics import summary
from dataflow.model.registry import ChampionModel, RegistryEntry
from dataflow.model.settings import ModelConfig
from dataflow.model.training_set import TrainingSplit
from dataflow.runs import run_id_in, utc_now


@dataclass(frozen=True)
class PromotionDecision:
    """Whether this run's candidate becomes the champion, and why (written as model/promotion.json)."""

    promoted: bool
    reasons: list[str]
    candidate: dict
    current: dict = field(default_factory=dict)
    gate: dict = field(default_factory=dict)
    decided_at: str = ""

    @property
    def decision(self) -> str:
        return "promoted" if self.promoted else "rejected"

    def registry_record(self) -> dict:
        """What registry/champion.json should hold once this run is published (only if promoted)."""
        c = self.candidate
        return {
            "run_id": c["run_id"],
            "experiment": c["experiment"],
            "model": c["model"],
            "metrics": c["metrics"],
            "threshold": c["threshold"],
            "promoted_at": utc_now(),
        }

    def to_dict(self) -> dict:
        return {
            "decision": self.decision,
            "promoted": self.promoted,
            "reasons": self.reasons,
            "candidate": self.candidate,
            "current_champion": self.current,
            "gate": self.gate,
            "decided_at": self.decided_at,
        }

    def write_to(self, lake: Lake, prefix: str) -> None:
        """Write promotion.json; the candidate's run id is taken from the run folder when not given as input."""
        self.candidate["run_id"] = self.candidate.get("run_id") or run_id_in(prefix)
        lake.write_json(prefix + "promotion.json", self.to_dict())


def _fair_on_test(model: ChampionModel, split: TrainingSplit) -> bool:
    """True when the model never trained or calibrated on rows whose label window reaches the test date."""
    test_date = split.plan.get("test_date")
    if split.plan.get("method") != "time" or model.split.get("method") != "time" or not test_date:
        return False
    if any(f not in split.test.columns for f in model.features):
        return False
    horizon = int(split.test["horizon_days"].max())
    used = [*model.split.get("train_dates", []), *model.split.get("validation_dates", [])]
    last = max(dt.date.fromisoformat(d) for d in used)
    return last + dt.timedelta(days=horizon) <= dt.date.fromisoformat(test_date)


@tag(layer="model", publish="model")
def promotion_decision(
    champion_candidate: ChampionModel,
    current_champion: RegistryEntry,
    training_split: TrainingSplit,
    model_config: ModelConfig,
    run_id: str = "",
) -> PromotionDecision:
    """Apply the gate: PR-AUC ≥ floor (0.70) and not below the current champion's minus the tolerance (0.02)."""
    cfg, cand = model_config, champion_candidate
    pr_auc = float(cand.metrics["pr_auc"])
    reasons = []
    if pr_auc < cfg.min_pr_auc:
        reasons.append(f"test PR-AUC {pr_auc:.3f} is below the gate {cfg.min_pr_auc:.2f}")
    current = {}
    if current_champion.model is not None:
        cur = current_champion.model
        if _fair_on_test(cur, training_split):
            cur_pr, basis = (
                summary(training_split.y("test"), cur.predict_proba(training_split.test))["pr_auc"],
                "same test snapshot",
            )
        else:
            cur_pr, basis = float(cur.metrics.get("pr_auc", 0.0)), "recorded at its own promotion"
        current = {
            "run_id": cur.run_id,
            "experiment": cur.experiment,
            "pr_auc": cur_pr,
            "basis": basis,
            "recorded_pr_auc": cur.metrics.get("pr_auc"),
        }
        if pr_auc < cur_pr - cfg.pr_auc_tolerance:
            reasons.append(
                f"test PR-AUC {pr_auc:.3f} is worse than the current champion's {cur_pr:.3f} "
                f"({basis}, run {cur.run_id}) by more than {cfg.pr_auc_tolerance:.2f}"
            )
    promoted = not reasons
    if promoted:
        reasons.append(
            f"test PR-AUC {pr_auc:.3f} clears the gate {cfg.min_pr_auc:.2f}"
            + (
                f" and is within {cfg.pr_auc_tolerance:.2f} of the current champion"
                if current
                else " (no previous champion)"
            )
        )
    candidate = {
        "run_id": run_id or cand.run_id,
        "experiment": cand.experiment,
        "model": cand.model,
        "pr_auc": pr_auc,
        "metrics": {k: cand.metrics.get(k) for k in ("pr_auc", "roc_auc", "brier", "ece")},
        "threshold": cand.threshold.get("threshold"),
    }
    gate = {"min_pr_auc": cfg.min_pr_auc, "pr_auc_tolerance": cfg.pr_auc_tolerance}
    return PromotionDecision(promoted, reasons, candidate, current, gate, utc_now())


@tag(layer="model")
def serving_model(
    champion_candidate: ChampionModel,
    promotion_decision: PromotionDecision,
    current_champion: RegistryEntry,
) -> ChampionModel:
    """The model that scores this run: the candidate if promoted, else the previous champion from the lake."""
    if promotion_decision.promoted:
        return champion_candidate
    if current_champion.model is not None:
        return current_champion.model
    raise UserError(
        "the champion candidate was rejected by the promotion gate ("
        + "; ".join(promotion_decision.reasons)
        + ") and no previous champion is registered (registry/champion.json), so no customer can be scored. "
        "Improve the model or data, or lower the gate explicitly (model setting min_pr_auc)."
    )
