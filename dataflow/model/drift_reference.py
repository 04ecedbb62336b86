"""A model's training reference for drift monitoring, and how a later population is compared with it.

The champion stores its training reference as histograms (decile bins for PSI, percentile CDF for KS,
category shares) — never the raw values. The monitoring layer compares each run's scoring population with it.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import distributions

from dataflow.model.matrix import MISSING_LEVEL, is_categorical

EPS = 1e-4  # floor of a bin share in PSI (an empty bin is not infinitely different)
PREDICTION = "churn_proba"
DRIFT_SCHEMA = {
    "feature": pl.String,
    "kind": pl.String,
    "psi": pl.Float64,
    "ks_statistic": pl.Float64,
    "ks_pvalue": pl.Float64,
    "drifted": pl.Boolean,
    "reference_n": pl.Int64,
    "current_n": pl.Int64,
}


class Profile:
    """Build and compare the binned profile of one column (numeric or categorical)."""

    @staticmethod
    def build(values: pl.Series, categorical: bool) -> dict:
        """The reference profile of a column's training values."""
        n = values.len()
        null_share = float(values.null_count() / n) if n else 0.0
        if categorical:
            shares = (
                values.cast(pl.String).fill_null(MISSING_LEVEL).value_counts(normalize=True, name="share")
            )
            return {
                "kind": "categorical",
                "n": n,
                "shares": dict(zip(shares[values.name], shares["share"], strict=True)),
            }
        x = np.sort(values.drop_nulls().drop_nans().cast(pl.Float64).to_numpy()) if n else np.array([])
        if x.size == 0:
            return {
                "kind": "numeric",
                "n": n,
                "null_share": null_share,
                "psi_edges": [],
                "psi_shares": [1.0],
                "ks_edges": [],
                "ks_cdf": [],
            }
        psi_edges = np.unique(np.quantile(x, np.linspace(0.1, 0.9, 9)))
        ks_edges = np.unique(np.quantile(x, np.linspace(0, 1, 101)))
        return {
            "kind": "numeric",
            "n": n,
            "null_share": null_share,
            "psi_edges": psi_edges.tolist(),
            "psi_shares": _bin_shares(x, psi_edges).tolist(),
            "ks_edges": ks_edges.tolist(),
            "ks_cdf": (np.searchsorted(x, ks_edges, side="right") / x.size).tolist(),
        }

    @staticmethod
    def compare(profile: dict, values: pl.Series) -> dict:
        """PSI, KS statistic and KS p-value of current values against a reference profile."""
        if profile["kind"] == "categorical":
            cur = values.cast(pl.String).fill_null(MISSING_LEVEL).value_counts(normalize=True, name="share")
            current = dict(zip(cur[values.name], cur["share"], strict=True))
            levels = sorted(set(profile["shares"]) | set(current))
            ref = np.array([profile["shares"].get(k, 0.0) for k in levels])
            now = np.array([current.get(k, 0.0) for k in levels])
            return {"psi": _psi(ref, now), "ks_statistic": None, "ks_pvalue": None}
        n = values.len()
        x = np.sort(values.drop_nulls().drop_nans().cast(pl.Float64).to_numpy()) if n else np.array([])
        null_now = 1.0 - x.size / n if n else 0.0
        edges = np.asarray(profile["psi_edges"])
        ref = np.append(
            np.asarray(profile["psi_shares"]) * (1 - profile["null_share"]), profile["null_share"]
        )
        now = (
            np.append(_bin_shares(x, edges) * (1 - null_now), null_now)
            if x.size
            else np.append(np.zeros(len(edges) + 1), 1.0)
        )
        out = {"psi": _psi(ref, now), "ks_statistic": None, "ks_pvalue": None}
        if x.size and profile["ks_edges"]:
            cdf_now = np.searchsorted(x, np.asarray(profile["ks_edges"]), side="right") / x.size
            d = float(np.max(np.abs(cdf_now - np.asarray(profile["ks_cdf"]))))
            m = profile["n"] * (1 - profile["null_share"])
            n_eff = max(int(round(m * x.size / (m + x.size))), 1)
            out.update(ks_statistic=d, ks_pvalue=float(distributions.kstwo.sf(d, n_eff)))
        return out


def _bin_shares(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values in (-inf, e1], (e1, e2], …, (ek, inf)."""
    idx = np.searchsorted(edges, x, side="left")
    return np.bincount(idx, minlength=len(edges) + 1) / max(x.size, 1)


def _psi(ref: np.ndarray, now: np.ndarray) -> float:
    """Population stability index Σ (now − ref) · ln(now / ref), shares floored at 1e-4."""
    ref, now = np.clip(ref, EPS, None), np.clip(now, EPS, None)
    return float(np.sum((now - ref) * np.log(now / ref)))


class Reference:
    """A model's training reference (one profile per input and one for its predictions) and the comparison."""

    @staticmethod
    def build(frame: pl.DataFrame, features: list[str], predictions: np.ndarray) -> dict:
        """Training reference of a model: a profile per input feature plus one of its predictions."""
        ref = {f: Profile.build(frame[f], is_categorical(f, frame.schema[f])) for f in features}
        ref[PREDICTION] = Profile.build(pl.Series(PREDICTION, np.asarray(predictions, dtype=float)), False)
        return ref

    @staticmethod
    def compare(
        reference: dict,
        frame: pl.DataFrame,
        predictions: np.ndarray,
        psi_threshold: float,
        ks_threshold: float,
    ) -> pl.DataFrame:
        """One row per input feature and for the predictions: PSI, KS, p-value (reported only), verdict."""
        rows = []
        for name, profile in reference.items():
            if name == PREDICTION:
                values, kind = pl.Series(PREDICTION, np.asarray(predictions, dtype=float)), "prediction"
            elif name in frame.columns:
                values, kind = frame[name], "input"
            else:
                continue
            stats = Profile.compare(profile, values)
            ks = stats["ks_statistic"]
            drifted = stats["psi"] > psi_threshold or (ks is not None and ks > ks_threshold)
            rows.append(
                {
                    "feature": name,
                    "kind": kind,
                    **stats,
                    "drifted": drifted,
                    "reference_n": int(profile["n"]),
                    "current_n": values.len(),
                }
            )
        return pl.DataFrame(rows, schema=DRIFT_SCHEMA)
