"""Promotion gate (DESIGN §6): relative, so it means the same on any data. The candidate is judged on the
held-out test snapshot with paired bootstrap intervals over the same test customers:

1. skill — the lower bound of its PR-AUC is at least ``gate_skill_multiple`` × the test prevalence (a random
   ranking scores about 1× the prevalence);
2. baseline — it beats a transparent baseline, logistic regression on the lifecycle features (E0) fitted on
   the same train rows: the lower bound of the PR-AUC difference is above 0;
3. non-inferiority — against the current champion (when there is one), the lower bound of the difference is
   at least −``gate_noninferiority`` × the champion's PR-AUC on the same customers;
4. floor (off by default) — the old absolute policy, PR-AUC ≥ ``min_pr_auc``.

When the candidate fails, the previous champion keeps serving and the candidate is recorded as rejected,
with the failed test and by how much. The evidence goes to ``model/promotion.json``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from hamilton.function_modifiers import tag

from dataflow.errors import UserError
from dataflow.gold.catalog import experiment_features
from dataflow.lake import Lake
from dataflow.model.bootstrap import average_precision, interval, paired_bootstrap
from dataflow.model.learners import Learner
from dataflow.model.matrix import FeatureEncoder
from dataflow.model.registry import ChampionModel, RegistryEntry
from dataflow.model.settings import ModelConfig
from dataflow.model.training_set import LABEL, TrainingSplit
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


BASELINE_EXPERIMENT = "E0"  # lifecycle features only
BASELINE_NAME = "logistic regression on lifecycle features (E0)"
BASELINE_MAX_ROWS = 50_000


def _baseline_scores(split: TrainingSplit, cfg: ModelConfig) -> np.ndarray | None:
    """Test-snapshot scores of the transparent baseline: logistic regression on the lifecycle features, fitted
    on the rows the evaluated candidate learned from (its development rows; a seeded sample of at most 50,000)."""
    train = split.development if split.development.height else split.train
    features = [f for f in experiment_features(BASELINE_EXPERIMENT, "linear") if f in train.columns]
    if not features:
        return None
    if train.height > BASELINE_MAX_ROWS:  # a linear model on ~40 columns: 50,000 rows pin it down
        train = train.sample(n=BASELINE_MAX_ROWS, seed=cfg.seed)
    y = train[LABEL].cast(pl.Int8).to_numpy()
    if np.unique(y).size < 2:
        return None
    encoder = FeatureEncoder.fit(train, features)
    learner = Learner("logistic", cfg).fit(encoder.transform(train), y, encoder.columns)
    return learner.score(encoder.transform(split.test))


@tag(layer="model", publish="model")
def promotion_decision(
    champion_candidate: ChampionModel,
    champion_fit: ChampionModel,
    current_champion: RegistryEntry,
    training_split: TrainingSplit,
    model_config: ModelConfig,
    run_id: str = "",
) -> PromotionDecision:
    """Apply the relative gate (skill over prevalence, beats the lifecycle baseline, non-inferior to the
    champion; optional absolute floor) with paired bootstrap intervals on the test snapshot.

    The candidate is judged by the evaluated model (``champion_fit``, which never saw the test snapshot), not by
    the served refit (``champion_candidate``, which learned from every matured snapshot, the test date included)."""
    cfg, cand, split = model_config, champion_candidate, training_split
    y = split.y("test")
    prevalence = float(y.mean())
    scores = {"candidate": champion_fit.predict_proba(split.test)}
    base = _baseline_scores(split, cfg) if cfg.gate_baseline else None
    if base is not None:
        scores["baseline"] = base
    cur = current_champion.model
    fair = cur is not None and _fair_on_test(cur, split)
    if fair:
        scores["champion"] = cur.predict_proba(split.test)
    points = {k: float(average_precision(y, v)[0]) for k, v in scores.items()}
    boot = paired_bootstrap(y, scores, cfg.gate_bootstrap, cfg.seed)
    conf = cfg.gate_confidence
    pr_auc = points["candidate"]
    cand_iv = interval(boot["candidate"], pr_auc, conf)
    tests: list[dict] = []

    def check(name: str, passed: bool, value: float, required: float, text: str) -> None:
        tests.append(
            {"test": name, "passed": bool(passed), "value": value, "required": required, "detail": text}
        )

    need = cfg.gate_skill_multiple * prevalence
    check(
        "skill",
        cand_iv["lower"] >= need,
        cand_iv["lower"],
        need,
        f"PR-AUC {pr_auc:.3f} (lower bound {cand_iv['lower']:.3f}) vs {cfg.gate_skill_multiple:g} × prevalence "
        f"{prevalence:.4f} = {need:.3f}",
    )
    evidence: dict = {
        "test_date": split.plan.get("test_date", split.plan.get("snapshot")),
        "n_test": int(y.size),
        "positives": int(y.sum()),
        "prevalence": prevalence,
        "bootstrap_resamples": cfg.gate_bootstrap,
        "confidence": conf,
        "candidate": {**cand_iv, "lift": pr_auc / prevalence if prevalence else None},
    }
    if "baseline" in scores:
        diff = boot["candidate"] - boot["baseline"]
        d_iv = interval(diff, pr_auc - points["baseline"], conf)
        evidence["baseline"] = {
            "name": BASELINE_NAME,
            **interval(boot["baseline"], points["baseline"], conf),
            "difference": d_iv,
        }
        check(
            "baseline",
            d_iv["lower"] > 0,
            d_iv["lower"],
            0.0,
            f"PR-AUC {pr_auc:.3f} vs {points['baseline']:.3f} for the {BASELINE_NAME}: difference "
            f"{d_iv['point']:+.3f} (lower bound {d_iv['lower']:+.3f}) must be above 0",
        )
    current: dict = {}
    if cur is not None:
        if fair:
            cur_pr = points["champion"]
            diff = boot["candidate"] - boot["champion"]
            d_iv = interval(diff, pr_auc - cur_pr, conf)
            margin = -cfg.gate_noninferiority * cur_pr
            basis = "same test snapshot"
            current_iv = {**interval(boot["champion"], cur_pr, conf), "difference": d_iv}
            value, text = (
                d_iv["lower"],
                f"PR-AUC {pr_auc:.3f} vs the champion's {cur_pr:.3f} on the same customers: difference "
                f"{d_iv['point']:+.3f} (lower bound {d_iv['lower']:+.3f}) must be ≥ {margin:+.3f} "
                f"(−{cfg.gate_noninferiority:.0%} of the champion's)",
            )
        else:  # not comparable customer by customer: compare lift over each snapshot's own prevalence
            cur_pr = float(cur.metrics.get("pr_auc", 0.0))
            cur_prev = cur.metrics.get("positives", 0) / max(cur.metrics.get("n", 0) or 1, 1)
            basis = "recorded at its own promotion (lift over its own test prevalence, not paired)"
            cur_lift = cur_pr / cur_prev if cur_prev else 0.0
            cand_lift = cand_iv["lower"] / prevalence if prevalence else 0.0
            margin = (1 - cfg.gate_noninferiority) * cur_lift
            current_iv = {"point": cur_pr, "lift": cur_lift}
            value, text = (
                cand_lift,
                f"PR-AUC lift lower bound {cand_lift:.2f}× vs the champion's recorded {cur_lift:.2f}× "
                f"(must be ≥ {margin:.2f}×)",
            )
        current = {
            "run_id": cur.run_id,
            "experiment": cur.experiment,
            "pr_auc": cur_pr,
            "basis": basis,
            "recorded_pr_auc": cur.metrics.get("pr_auc"),
        }
        evidence["champion"] = {**current_iv, "run_id": cur.run_id, "basis": basis}
        check("non_inferiority", value >= margin, value, margin, text)
    if cfg.min_pr_auc > 0:
        check(
            "floor",
            pr_auc >= cfg.min_pr_auc,
            pr_auc,
            cfg.min_pr_auc,
            f"PR-AUC {pr_auc:.3f} vs the absolute floor {cfg.min_pr_auc:.2f}",
        )
    failed = [t for t in tests if not t["passed"]]
    promoted = not failed
    if promoted:
        reasons = [
            "passed "
            + ", ".join(t["test"] for t in tests)
            + (" (no previous champion)" if cur is None else ""),
            *(t["detail"] for t in tests),
        ]
    else:
        reasons = [
            f"failed the {t['test']} test by {abs(t['required'] - t['value']):.3f}: {t['detail']}"
            for t in failed
        ]
    candidate = {
        "run_id": run_id or cand.run_id,
        "experiment": cand.experiment,
        "model": cand.model,
        "pr_auc": pr_auc,
        "metrics": {k: cand.metrics.get(k) for k in ("pr_auc", "roc_auc", "brier", "ece")},
        "threshold": cand.threshold.get("threshold"),
    }
    gate = {
        "gate_skill_multiple": cfg.gate_skill_multiple,
        "gate_baseline": cfg.gate_baseline,
        "gate_noninferiority": cfg.gate_noninferiority,
        "min_pr_auc": cfg.min_pr_auc,
        "tests": tests,
        "evidence": evidence,
    }
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
        "Improve the model or data, or relax the gate explicitly (model settings gate_skill_multiple, "
        "gate_baseline, min_pr_auc)."
    )
