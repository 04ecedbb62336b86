"""A model's drift reference (histograms of one snapshot's inputs and predictions) and how a later population
is compared with it.

Kept as histograms (decile bins for PSI, percentile CDF for KS, category shares) — never the raw values. The
monitoring layer (:mod:`dataflow.monitor.drift`) builds the reference from the latest labelled snapshot and
compares each run's scoring population with it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from scipy.stats import distributions

from dataflow.model.matrix import MISSING_LEVEL, is_categorical

EPS = 1e-4  # floor of a bin share in PSI (an empty bin is not infinitely different)
PREDICTION = "churn_proba"
# as-of-date proxies: the same value for every customer of a province on one date, so they move between any two
# snapshot dates whatever the customers do. Reported in the drift table, never alarmed.
CALENDAR_FEATURES = {
    "province_avg_elec_cost_12m": "province wholesale electricity cost over the 12 months before the as-of date",
    "province_avg_gas_cost_12m": "province wholesale gas cost over the 12 months before the as-of date",
    "province_elec_cost_trend_12m": "province wholesale cost trend over the 12 months before the as-of date",
}
DRIFT_SCHEMA = {
    "feature": pl.String,
    "kind": pl.String,  # input | calendar | prediction
    "psi": pl.Float64,
    "ks_statistic": pl.Float64,
    "ks_pvalue": pl.Float64,
    "null_share_reference": pl.Float64,
    "null_share_current": pl.Float64,
    "drifted": pl.Boolean,  # alarmed: distribution or null-share drift of an input or the predictions
    "reason": pl.String,
    "reference_n": pl.Int64,
    "current_n": pl.Int64,
    "reference_date": pl.String,
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
                "null_share": null_share,
                "shares": dict(zip(shares[values.name], shares["share"], strict=True)),
            }
        x = np.sort(values.drop_nulls().drop_nans().cast(pl.Float64).to_numpy()) if n else np.array([])
        null_share = 1.0 - x.size / n if n else 0.0  # null or NaN: not a value
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
            null_now = float(values.null_count() / values.len()) if values.len() else 0.0
            return {"psi": _psi(ref, now), "ks_statistic": None, "ks_pvalue": None, "null_share": null_now}
        n = values.len()
        x = np.sort(values.drop_nulls().drop_nans().cast(pl.Float64).to_numpy()) if n else np.array([])
        null_now = 1.0 - x.size / n if n else 0.0
        edges = np.asarray(profile["psi_edges"])
        ref = np.asarray(profile["psi_shares"])
        # PSI over the present values only: a change in the share of missing values is its own check
        psi = _psi(ref, _bin_shares(x, edges)) if x.size and profile["psi_edges"] else 0.0
        out = {"psi": psi, "ks_statistic": None, "ks_pvalue": None, "null_share": null_now}
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
        null_share_threshold: float = 0.10,
        calendar: dict[str, str] | None = None,
        history_factor: float = 2.0,
    ) -> pl.DataFrame:
        """One row per input feature and for the predictions: PSI, KS, p-value (reported only), null shares,
        verdict and its reason. ``calendar`` features are reported with kind "calendar" and never alarmed.

        When the reference carries the labelled history's own movement over the same calendar span
        (``_history``, see :func:`drift_reference`), a statistic alarms only above ``history_factor`` × the
        largest such movement as well as above its threshold: a feature that always moves that much between two
        dates this far apart has not drifted."""
        calendar = CALENDAR_FEATURES if calendar is None else calendar
        history = reference.get("_history") or {}
        span = reference.get("_history_span", "")
        season_note = _season_note(reference.get("_as_of_date"), frame)
        rows = []
        for name, profile in reference.items():
            if name.startswith("_"):
                continue
            if name == PREDICTION:
                values, kind = pl.Series(PREDICTION, np.asarray(predictions, dtype=float)), "prediction"
            elif name in frame.columns:
                values, kind = frame[name], "calendar" if name in calendar else "input"
            else:
                continue
            stats = Profile.compare(profile, values)
            ks, psi = stats["ks_statistic"], stats["psi"]
            null_ref, null_now = float(profile.get("null_share", 0.0)), float(stats.pop("null_share"))
            usual = history.get(name, {})

            def limit(stat: str, threshold: float, usual=usual) -> float:
                seen = usual.get(stat)
                return threshold if seen is None else max(threshold, history_factor * seen)

            psi_lim, ks_lim = limit("psi", psi_threshold), limit("ks", ks_threshold)
            null_lim = limit("null", null_share_threshold)
            why, within = [], []
            if psi > psi_lim or (ks is not None and ks > ks_lim):
                why.append(
                    f"distribution moved: PSI {psi:.2f} (alarm > {psi_lim:.2f})"
                    + (f", KS {ks:.2f} (alarm > {ks_lim:.2f})" if ks is not None else "")
                )
            elif psi > psi_threshold or (ks is not None and ks > ks_threshold):
                within.append(
                    f"PSI {psi:.2f}" + (f", KS {ks:.2f}" if ks is not None else "") + " within the usual "
                    f"movement over {span} in the labelled history (PSI up to {usual.get('psi', 0):.2f}"
                    + (f", KS up to {usual['ks']:.2f}" if usual.get("ks") is not None else "")
                    + ")"
                )
            if abs(null_now - null_ref) > null_lim:
                why.append(
                    f"share of missing values {null_ref:.0%} → {null_now:.0%} (alarm at ±{null_lim:.0%})"
                )
            elif abs(null_now - null_ref) > null_share_threshold:
                within.append(
                    f"share of missing values {null_ref:.0%} → {null_now:.0%}, within the usual change over {span} "
                    f"(up to {usual.get('null', 0):.0%})"
                )
            if why and season_note and kind != "calendar":
                why.append(season_note)
            drifted = bool(why) and kind != "calendar"
            if kind == "calendar":
                reason = f"not alarmed: a function of the as-of date ({calendar[name]})" + (
                    f"; {'; '.join(why)}" if why else ""
                )
            else:
                reason = "; ".join(why) if why else ("not alarmed: " + "; ".join(within) if within else "")
            rows.append(
                {
                    "feature": name,
                    "kind": kind,
                    **stats,
                    "null_share_reference": null_ref,
                    "null_share_current": null_now,
                    "drifted": drifted,
                    "reason": reason,
                    "reference_n": int(profile["n"]),
                    "current_n": values.len(),
                    "reference_date": reference.get("_as_of_date"),
                }
            )
        return pl.DataFrame(rows, schema=DRIFT_SCHEMA)


def _season_note(reference_date: str | None, frame: pl.DataFrame) -> str:
    """ "reference October vs scoring January: …" when the two snapshots fall in different months."""
    if not reference_date or "as_of_date" not in frame.columns or frame.is_empty():
        return ""
    ref = dt.date.fromisoformat(str(reference_date))
    now = frame["as_of_date"].max()
    if not isinstance(now, dt.date) or now.month == ref.month:
        return ""
    return (
        f"season: reference snapshot in {ref:%B}, scoring snapshot in {now:%B} (features over recent months — "
        "consumption, margin, contacts, renewals due — move with the months their window covers)"
    )
