"""Check the churn process's calibration fast: population-only simulation, no hourly data, no files.

``uv run python -m dataflow.generate.calibrate [--customers N] [--seed S] [--observable]`` prints annual churn,
label rates, the oracle PR-AUC on the 2025-01-01 snapshot, driver ratios and the survivors' interaction mix;
``--observable`` also trains a model on observable-only features (2024 labels) and scores the snapshot.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from dataflow.generate import calibration as C
from dataflow.generate import interactions, population, rng
from dataflow.generate.churn import true_proba
from dataflow.generate.labels import AS_OF_DEFAULT, as_of_days, renewal_as_of


def figures(customers: int = 20_099, seed: int = 42, observable: bool = False) -> dict[str, float]:
    """The calibration figures of one simulated book (see module doc)."""
    from sklearn.metrics import average_precision_score

    book = population.draw_book(customers, seed)
    churn_day, act = book["churn_day"], book["activation"]
    f: dict[str, float] = {"customers_drawn": len(act)}
    cohort = act < 0
    f["annual_churn_2024_cohort"] = float((churn_day[cohort] < C.SCORING_DAY).mean())
    rates = []
    for d in as_of_days(AS_OF_DEFAULT):
        alive = (act < d) & (churn_day >= d)
        rates.append(float((churn_day[alive] < d + 90).mean()))
    f["mean_label_rate_90d"] = float(np.mean(rates))
    f["annualised_from_labels"] = 1 - (1 - f["mean_label_rate_90d"]) ** (365 / 90)
    surv = np.flatnonzero(churn_day >= C.SCORING_DAY)
    y = (churn_day[surv] < C.SCORING_DAY + 90).astype(int)
    p = true_proba(book, surv, np.full(len(surv), C.SCORING_DAY), 90)
    f["snapshot_rate"] = float(y.mean())
    f["snapshot_mean_true_proba"] = float(p.mean())
    f["oracle_pr_auc"] = float(average_precision_score(y, p))
    hc = book["high_comp"][surv]
    f["competition_ratio"] = float(y[hc].mean() / y[~hc].mean())
    ren = renewal_as_of(book["next_renewal"][surv], C.SCORING_DAY)
    inside = ren < C.SCORING_DAY + 90
    inside &= ren >= C.SCORING_DAY
    f["in_window_rate"], f["outside_rate"] = float(y[inside].mean()), float(y[~inside].mean())
    f["churn_at_renewal_share"] = float(book["churn_at_renewal"][churn_day < C.SIM_END_DAY].mean())
    f["episode_share_25"] = float(book["episode25"][surv].mean())
    # interactions among survivors (the reference extract's population)
    sch = interactions.schedule(rng.stream(seed, rng.INTERACTIONS), book)
    is_surv = np.zeros(len(act), bool)
    is_surv[surv] = True
    s = {k: v[is_surv[sch["idx"]]] for k, v in sch.items()}
    last = np.r_[s["idx"][1:] != s["idx"][:-1], True]
    f["interaction_coverage"] = last.sum() / len(surv)
    counts = np.bincount(s["idx"], minlength=len(act))
    f["multi_share"] = float((counts[surv] >= 2).sum() / max(1, (counts[surv] >= 1).sum()))
    days_to = book["next_renewal"][s["idx"][last]] - s["day"][last]
    f["days_to_renewal_median"] = float(np.median(days_to))
    kinds = [interactions.KINDS[k] for k in s["kind"][last]]
    intents = Counter(interactions.EXPECTED[k][0] for k in kinds)
    senti = Counter(interactions.EXPECTED[k][1] for k in kinds)
    for k, v in sorted(intents.items()):
        f[f"intent {k}"] = v / len(kinds)
    for k, v in sorted(senti.items()):
        f[f"sentiment {k}"] = v / len(kinds)
    if observable:
        f.update(_observable(book, sch, surv, y, p))
    return f


def _features(book, sch, idx: np.ndarray, day: int) -> np.ndarray:
    """Observable-only features of customers ``idx`` as of ``day`` (what a pipeline could compute)."""
    ren = renewal_as_of(book["next_renewal"][idx], day) - day
    tenure = day - book["activation"][idx]
    seen = sch["day"] < day
    last_kind = np.full(len(book["activation"]), -1)
    n_contacts = np.bincount(sch["idx"][seen], minlength=len(last_kind))
    order = np.flatnonzero(seen)
    last_kind[sch["idx"][order]] = sch["kind"][order]  # later rows overwrite: the latest contact wins
    last_day = np.full(len(last_kind), -10_000)
    last_day[sch["idx"][order]] = sch["day"][order]
    lk = last_kind[idx]
    onehot = np.stack([(lk == k) for k in range(len(interactions.KINDS))], axis=1)
    elapsed = min(max(day, 0), 365) / 365
    cols = [
        ren,
        tenure,
        book["high_comp"][idx],
        book["channel"][idx],
        book["dual_fuel"][idx],
        book["price_rise"][idx] * elapsed,
        book["segment"][idx],
        n_contacts[idx],
        onehot,
        day - last_day[idx],
        ren + day - last_day[idx],
    ]
    return np.column_stack(cols).astype(float)


def _observable(book, sch, surv, y, p) -> dict[str, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score

    act, churn_day = book["activation"], book["churn_day"]
    xs, ys = [], []
    for d in as_of_days(AS_OF_DEFAULT):
        alive = np.flatnonzero((act < d) & (churn_day >= d))
        xs.append(_features(book, sch, alive, d))
        ys.append((churn_day[alive] < d + 90).astype(int))
    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
    model.fit(np.vstack(xs), np.concatenate(ys))
    q = model.predict_proba(_features(book, sch, surv, C.SCORING_DAY))[:, 1]
    ap = float(average_precision_score(y, q))
    return {"observable_pr_auc": ap, "observable_over_oracle": ap / average_precision_score(y, p)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=20_099)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--observable", action="store_true")
    a = ap.parse_args(argv)
    for k, v in figures(a.customers, a.seed, a.observable).items():
        print(f"{k:40s} {v:10.4f}")


if __name__ == "__main__":
    main()
