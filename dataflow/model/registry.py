"""The champion model as files: XGBoost's own format (``champion.ubj``) plus JSON metadata — never pickle.

A run writes its candidate under ``runs/<run_id>/model/``; ``registry/champion.json`` names the run whose
model is served. :func:`current_champion` reads that pointer back from the lake.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
import xgboost as xgb
from hamilton.function_modifiers import cache, tag

from dataflow.errors import UserError
from dataflow.lake import Lake, LakeError
from dataflow.model.calibration import Calibrator
from dataflow.model.learners import margins
from dataflow.model.matrix import FeatureEncoder
from dataflow.model.segments import OutsideWindowModel, inside_renewal_window
from dataflow.runs import run_id_in

CHAMPION_KEY = "registry/champion.json"
MODEL_FILE, META_FILE = "champion.ubj", "champion.json"


@dataclass(frozen=True)
class ChampionModel:
    """A fitted, calibrated churn model with its threshold, evaluation and training reference. With
    ``outside_window`` set, rows outside the renewal window are scored by that model instead of the booster
    (dataflow.model.segments)."""

    booster: xgb.Booster
    encoder: FeatureEncoder
    calibrator: Calibrator
    threshold: dict
    experiment: str
    model: str = "xgboost"
    params: dict = field(default_factory=dict)
    split: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    risk_tiers: tuple[float, float, float] = (0.40, 0.60, 0.80)
    run_id: str = ""
    outside_window: OutsideWindowModel | None = None

    @property
    def features(self) -> list[str]:
        return self.encoder.features

    def _dmatrix(self, frame: pl.DataFrame) -> xgb.DMatrix:
        return xgb.DMatrix(self.encoder.transform(frame), feature_names=self.encoder.columns, nthread=2)

    def outside(self, frame: pl.DataFrame) -> np.ndarray:
        """True per row scored by the outside-window model (all False without one)."""
        if self.outside_window is None:
            return np.zeros(frame.height, dtype=bool)
        return ~inside_renewal_window(frame)

    def _by_segment(self, frame: pl.DataFrame, booster_fn, outside_fn) -> np.ndarray:
        """``booster_fn`` on the rows the booster scores, ``outside_fn`` on the others, in row order."""
        out = self.outside(frame)
        if not out.any():
            return booster_fn(frame)
        result = np.empty(frame.height, dtype=float)
        if (~out).any():
            result[~out] = booster_fn(frame.filter(pl.Series(~out)))
        result[out] = outside_fn(frame.filter(pl.Series(out)))
        return result

    def booster_margin(self, frame: pl.DataFrame) -> np.ndarray:
        return margins(self.booster, self.encoder.transform(frame))

    def margin(self, frame: pl.DataFrame) -> np.ndarray:
        """Raw score (log-odds) per row, of the model that scores the row's segment."""
        part = self.outside_window
        return self._by_segment(frame, self.booster_margin, part.margin if part else None)

    def predict_proba(self, frame: pl.DataFrame) -> np.ndarray:
        """Calibrated churn probability per row, in [0, 1] (each segment by its own model and calibrator)."""
        part = self.outside_window
        return self._by_segment(
            frame, lambda f: self.calibrator(self.booster_margin(f)), part.predict_proba if part else None
        )

    def contributions(self, frame: pl.DataFrame) -> np.ndarray:
        """TreeSHAP contributions of the booster per matrix column (last column = bias); rows sum to the
        booster's margin. (Rows outside the renewal window: dataflow.model.explain asks the linear model.)"""
        return self.booster.predict(self._dmatrix(frame), pred_contribs=True).astype(float)

    def with_metrics(self, metrics: dict) -> ChampionModel:
        return replace(self, metrics=metrics)

    def with_run_id(self, run_id: str) -> ChampionModel:
        return replace(self, run_id=run_id)

    def metadata(self) -> dict:
        """Everything but the trees, as JSON-ready data."""
        return {
            "format": "xgboost-ubj",
            "model_file": MODEL_FILE,
            "run_id": self.run_id,
            "experiment": self.experiment,
            "model": self.model,
            "features": self.features,
            "encoder": self.encoder.to_dict(),
            "calibration": self.calibrator.to_dict(),
            "threshold": self.threshold,
            "params": self.params,
            "split": self.split,
            "training_as_of_dates": self.split.get("train_dates", [self.split.get("snapshot")]),
            "metrics": self.metrics,
            "risk_tiers": list(self.risk_tiers),
            "outside_renewal_window": self.outside_window.to_dict() if self.outside_window else None,
        }

    def write_to(self, lake: Lake, prefix: str) -> None:
        """Write ``champion.ubj`` and ``champion.json`` under ``prefix`` (a run's ``model/`` folder)."""
        lake.write_bytes(prefix + MODEL_FILE, bytes(self.booster.save_raw(raw_format="ubj")))
        meta = self.metadata()
        meta["run_id"] = meta["run_id"] or run_id_in(prefix)
        lake.write_json(prefix + META_FILE, meta)

    @classmethod
    def read_from(cls, lake: Lake, prefix: str, run_id: str = "") -> ChampionModel:
        """Load a model written by :meth:`write_to`."""
        meta = lake.read_json(prefix + META_FILE)
        booster = xgb.Booster()
        booster.load_model(bytearray(lake.read_bytes(prefix + meta.get("model_file", MODEL_FILE))))
        booster.set_param({"nthread": 2})
        encoder = FeatureEncoder.from_dict(meta["encoder"])
        if list(booster.feature_names or []) != encoder.columns:
            raise ValueError(f"{prefix}{MODEL_FILE} columns do not match the encoder in {prefix}{META_FILE}")
        return cls(
            booster=booster,
            encoder=encoder,
            calibrator=Calibrator.from_dict(meta["calibration"]),
            threshold=meta["threshold"],
            experiment=meta["experiment"],
            model=meta.get("model", "xgboost"),
            params=meta.get("params", {}),
            split=meta.get("split", {}),
            metrics=meta.get("metrics", {}),
            risk_tiers=tuple(meta.get("risk_tiers", (0.40, 0.60, 0.80))),
            run_id=run_id or meta.get("run_id", ""),
            outside_window=OutsideWindowModel.from_dict(meta["outside_renewal_window"])
            if meta.get("outside_renewal_window")
            else None,
        )


@dataclass(frozen=True)
class RegistryEntry:
    """The champion currently served according to ``registry/champion.json`` (model None when there is none)."""

    model: ChampionModel | None = None
    record: dict = field(default_factory=dict)

    @classmethod
    def load(cls, lake: Lake) -> RegistryEntry:
        """The served champion from the lake, or an empty entry when no model was ever promoted."""
        return _load_registered(lake)


def _load_registered(lake: Lake) -> RegistryEntry:
    if not lake.exists(CHAMPION_KEY):
        return RegistryEntry()
    record = lake.read_json(CHAMPION_KEY)
    run_id = record.get("run_id", "")
    prefix = f"runs/{run_id}/model/"
    try:
        model = ChampionModel.read_from(lake, prefix, run_id=run_id)
    except (LakeError, KeyError, ValueError, xgb.core.XGBoostError) as exc:
        raise UserError(
            f"{lake.uri_of(CHAMPION_KEY)} names run {run_id!r} as champion but its model files under "
            f"{lake.uri_of(prefix)} cannot be read ({exc}); restore them or remove the registry entry"
        ) from exc
    return RegistryEntry(model, record)


@tag(layer="model")
@cache(behavior="recompute")
def current_champion(lake_uri: str) -> RegistryEntry:
    """The champion served before this run (from registry/champion.json); always re-read from the lake."""
    return RegistryEntry.load(Lake.open(lake_uri))
