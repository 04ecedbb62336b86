"""Modeling settings: every knob of training, calibration, promotion, offers and drift in one frozen object.

Defaults follow the modeling rules of docs/architecture.md; a run may override any field through the optional ``model_overrides`` input.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from hamilton.function_modifiers import cache, tag

from dataflow.errors import UserError
from dataflow.gold.catalog import EXPERIMENTS

CALIBRATION_METHODS = ("sigmoid", "isotonic")
THRESHOLD_RULES = ("precision_at_recall", "f1")
SERVABLE_MODELS = ("xgboost",)
TIER_BASES = ("rank", "loss", "probability")


@dataclass(frozen=True)
class ModelConfig:
    """What the modeling half of a run is asked to do (part of the run's config)."""

    champion_experiment: str = "E5"
    champion_model: str = "xgboost"
    # time-based split: snapshots whose label window reaches a later holdout's as-of date are purged;
    # -1 = embargo equal to the label horizon (no shared churn events), 0 = no embargo
    calibration_embargo_days: int = -1
    calibration_snapshots: int = 1
    # "customers": snapshots inside the embargo stay in training for customers outside a fixed calibration
    # group (calibration_customer_share of customers); "dates": they are dropped
    calibration_holdout: str = "customers"
    calibration_customer_share: float = 0.3
    single_snapshot_fractions: tuple[float, float] = (0.2, 0.2)  # validation, test shares (random split)
    calibration_method: str = "sigmoid"
    threshold_rule: str = "precision_at_recall"
    target_recall: float = 0.70
    # risk tiers (DESIGN §6: relative, never tuned to one world). "rank": by rank of the calibrated
    # probability; "loss": by rank of the expected monthly loss (p × margin); "probability": the legacy
    # absolute cut-offs risk_tiers. tier_shares = (Critical, High, Medium) shares of the scored customers.
    tier_basis: str = "rank"
    tier_shares: tuple[float, float, float] = (0.01, 0.04, 0.10)
    risk_tiers: tuple[float, float, float] = (0.40, 0.60, 0.80)  # only with tier_basis="probability"
    # promotion gate, judged on the test snapshot with paired bootstrap intervals over the same customers
    gate_skill_multiple: float = 2.0  # PR-AUC lower bound ≥ k × prevalence (a random ranking scores ≈ 1×)
    gate_baseline: bool = (
        True  # must beat logistic regression on lifecycle features (difference lower bound > 0)
    )
    gate_noninferiority: float = 0.10  # lower bound of (candidate − champion) ≥ −this × champion's PR-AUC
    gate_bootstrap: int = 500  # paired bootstrap resamples of the test customers
    gate_confidence: float = 0.90  # two-sided interval; its lower bound is a one-sided 95% bound
    min_pr_auc: float = 0.0  # absolute PR-AUC floor (the old policy used 0.70); 0 = off
    # XGBoost champion hyper-parameters (hist, 2 cores); xgb_rounds is the cap: early stopping on a
    # time-ordered validation fold picks the number actually used (0 patience = always xgb_rounds)
    xgb_rounds: int = 400
    xgb_early_stopping_rounds: int = 40
    xgb_reg_lambda: float = 5.0  # L2 on leaf weights: a 2% base rate overfits with the default 1
    xgb_learning_rate: float = (
        0.1  # with early stopping: ~120 rounds on the default world (0.05: ~165, same quality)
    )
    # depth 2 (pairwise interactions): with a few hundred churners per snapshot, shallower trees generalise
    # better. On the eight world rows of docs/modeling.md (renewal-window segments on) against depth 3: mean PR-AUC
    # ratio to the ceiling over redrawn outcomes 0.908 → 0.913, soft PR ratio 0.908 → 0.913, ROC-AUC gap
    # −0.0153 → −0.0145; early stopping keeps ~1.5× the rounds (model stage ≈ +1 s on the default book).
    # Depth 4–6 measured no better than 3
    xgb_max_depth: int = 2
    xgb_subsample: float = 0.8
    xgb_colsample: float = 0.8
    xgb_min_child_weight: float = 5.0
    n_jobs: int = 2
    seed: int = 42
    # out-of-fold calibration of the champion: customers in calibration_folds groups; each group's rows on the
    # latest oof_calibration_snapshots dates are scored by a model fitted without that group. The level of the
    # calibration dates' outcomes carries straight into the scores, so the calibrator takes every matured date
    # up to a year back (each season once; all seven on the 2024 extract): on the eight world rows of
    # docs/modeling.md, mean |Σp/Σ ceiling p − 1| 6.1% with 3 dates, 4.7% with 6, 3.9% with 7 (largest 9.7%)
    calibration_folds: int = 2
    oof_calibration_snapshots: int = 12
    # segment by the renewal window (dataflow/model/segments.py): rows whose renewal is more than 3 months away
    # (background churn: moves, closures) are scored by an L2 logistic regression on the lifecycle and market
    # features of outside_window_experiment, fitted on those rows, its strength the value of
    # outside_window_c_grid with the lowest out-of-fold log-loss over the calibration folds and its own
    # out-of-fold Platt calibration; the booster (fitted on every row) scores the rest and is calibrated on
    # them. Measured on the eight world rows of docs/modeling.md: mean ROC-AUC gap to the ceiling 0.020 → 0.015,
    # every row better. False: the booster scores every row
    segment_by_renewal_window: bool = True
    outside_window_experiment: str = "E2"
    outside_window_c_grid: tuple[float, ...] = (0.0001, 0.0003, 0.001, 0.003, 0.01)
    # serve the chosen recipe refitted on every matured snapshot (False: serve the evaluated model as is)
    refit_on_all_matured: bool = True
    # labelled snapshots with less contact history than this before their as-of date (the extract's earliest
    # interaction to the date) are left out of training, calibration and test: their churners' renewal calls
    # fall before the extract, so they would teach a weaker text signal than the scoring snapshot shows.
    # 0 = keep every snapshot; never leaves fewer than min_snapshots_kept dates
    min_contact_history_days: int = 0
    # champion on a large book: above this many rows, its development and matured sets keep every churner and a
    # customer-hashed share of the non-churners, weighted back to their count (0 = never sample). The default
    # world (20,099 customers, ~150,000 matured rows) stays below it. 300,000 since the depth-2 trees: they need
    # ~2.5× the rounds at 200,000 customers (212 vs 77), and on that book 300,000 rows kept the model stage at
    # 27.6 s (400,000: 37.8 s) for a redrawn PR ratio to the ceiling of 0.939 instead of 0.942
    max_train_rows: int = 300_000
    # experiments ladder: cap on training rows per fit (0 = all), to keep 27 fits within minutes
    experiment_max_train_rows: int = 120_000
    # drift (effect sizes are the trigger; p-values are only reported)
    drift_psi_threshold: float = 0.2
    drift_ks_threshold: float = 0.1
    drift_null_share_threshold: float = 0.10  # |change in the share of missing values| that alarms
    # a statistic alarms only above this × its largest movement between labelled snapshots the same span apart
    drift_history_factor: float = 2.0
    # offers
    contact_budget: int = 0  # 0 = no limit on the number of offers selected
    control_share: float = 0.05
    months_protected: int = 12
    save_rates: dict = field(default_factory=dict)  # action → assumed save rate, overrides the offer table
    code_version: str = ""  # fingerprint of the modeling code: a code change invalidates cached model nodes

    def __post_init__(self) -> None:
        if self.calibration_method not in CALIBRATION_METHODS:
            raise UserError(
                f"calibration_method must be one of {CALIBRATION_METHODS}, got {self.calibration_method!r}"
            )
        if self.calibration_holdout not in ("customers", "dates"):
            raise UserError(
                f"calibration_holdout must be 'customers' or 'dates', got {self.calibration_holdout!r}"
            )
        if self.threshold_rule not in THRESHOLD_RULES:
            raise UserError(f"threshold_rule must be one of {THRESHOLD_RULES}, got {self.threshold_rule!r}")
        if self.champion_model not in SERVABLE_MODELS:
            raise UserError(
                f"champion_model {self.champion_model!r} cannot be served: the champion is saved in XGBoost's own "
                f"format and explained with TreeSHAP, so it must be one of {SERVABLE_MODELS} "
                "(logistic regression and random forest are compared by `spanishgas experiments`)"
            )
        if self.calibration_folds < 2:
            raise UserError(f"calibration_folds must be ≥ 2, got {self.calibration_folds}")
        if self.outside_window_experiment.split("_", 1)[0] not in EXPERIMENTS:
            raise UserError(
                f"outside_window_experiment must be one of {sorted(EXPERIMENTS)}, got {self.outside_window_experiment!r}"
            )
        if not self.outside_window_c_grid or min(self.outside_window_c_grid) <= 0:
            raise UserError(f"outside_window_c_grid must list values > 0, got {self.outside_window_c_grid}")
        if self.oof_calibration_snapshots < 1:
            raise UserError(f"oof_calibration_snapshots must be ≥ 1, got {self.oof_calibration_snapshots}")
        if not 0 < self.target_recall <= 1:
            raise UserError(f"target_recall must be in (0, 1], got {self.target_recall}")
        if not 0 <= self.control_share < 1:
            raise UserError(f"control_share must be in [0, 1), got {self.control_share}")
        lo, mid, hi = self.risk_tiers
        if not 0 < lo < mid < hi < 1:
            raise UserError(f"risk_tiers must be increasing in (0, 1), got {self.risk_tiers}")
        if self.tier_basis not in TIER_BASES:
            raise UserError(f"tier_basis must be one of {TIER_BASES}, got {self.tier_basis!r}")
        if len(self.tier_shares) != 3 or min(self.tier_shares) < 0 or sum(self.tier_shares) > 1:
            raise UserError(
                f"tier_shares (Critical, High, Medium) must be three shares ≥ 0 summing to at most 1, "
                f"got {self.tier_shares}"
            )
        if self.gate_skill_multiple < 0 or not 0 <= self.gate_noninferiority < 1:
            raise UserError("gate_skill_multiple must be ≥ 0 and gate_noninferiority in [0, 1)")
        if not 0 < self.gate_confidence < 1 or self.gate_bootstrap < 50:
            raise UserError("gate_confidence must be in (0, 1) and gate_bootstrap at least 50")

    def as_dict(self) -> dict:
        return asdict(self)


_CODE = ("model", "score", "monitor/drift.py", "gold/catalog.py")


def _code_version() -> str:
    """sha256 over the modeling, scoring and drift sources and the feature catalogue."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for part in _CODE:
        path = root / part
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            h.update(f.relative_to(root).as_posix().encode() + f.read_bytes())
    return h.hexdigest()[:12]


@tag(layer="model")
@cache(behavior="recompute")
def model_config(
    champion_experiment: str = "E5", champion_model: str = "xgboost", model_overrides: dict | None = None
) -> ModelConfig:
    """The modeling settings of this run: defaults, the configured champion, then any explicit overrides.
    Always recomputed (cheap), so new defaults or modeling code invalidate the cached model nodes."""
    overrides = dict(model_overrides or {})
    known = {f.name for f in fields(ModelConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise UserError(f"unknown model settings {unknown}; known: {sorted(known)}")
    for key in ("single_snapshot_fractions", "risk_tiers", "tier_shares", "outside_window_c_grid"):
        if key in overrides:
            overrides[key] = tuple(overrides[key])
    base = ModelConfig(
        champion_experiment=champion_experiment, champion_model=champion_model, code_version=_code_version()
    )
    return replace(base, **overrides)
