"""The achievable ceiling: the best churn probability anyone could compute from what raw/ reveals.

The true probability (``churn.true_proba``) knows each customer's latent state: whether a dissatisfaction
episode runs before the 2025 renewal, and how dissatisfied they are (D). raw/ never shows those. Everything
else the process uses is observable: the causes behind eta (province, sales channel, tenure, the 2024 price
rise in price_history, gas supply), the renewal and activation dates, and the contacts with their dates
and what was said (the kind of contact reads off the text).

So the ceiling for a customer on the scoring date is

    1 − exp(−H) · (1 − E[p_renewal | observed])      (renewal inside the 90-day window; else 1 − exp(−H))
    E[p_renewal | observed] = π · E[p | episode] + (1 − π) · E[p | no episode]

where H, the background hazard, is observable exactly; E[p | episode] integrates the renewal decision over
D's Beta law exactly (400-point quantile grid, error < 1e-4); and π = P(episode | observed) is the one
approximation: a gradient-boosted classifier fitted, for the same world, on an independent simulated book
(``aux_size``: 10 × the book, between 20,000 and 120,000 customers; another seed) with the latent episode as target and the observable contact
history as features. Its error is measured on the world itself and written to truth/generator.json
(``ceiling_check``: mean π against the episode share, and its Brier score against the actual episodes next
to that of the exact-prior-only posterior). Only the scoring snapshot gets a ceiling.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import beta as beta_law

from dataflow.generate import calibration as C
from dataflow.generate import interactions, population, rng
from dataflow.generate.churn import hazard_integral, sigmoid

AUX_CUSTOMERS = 120_000  # the auxiliary book's size (10 × the world's book when smaller, at least 20,000)
AUX_MIN = 20_000
AUX_SEED_OFFSET = 1_000_003  # the auxiliary book's seed: world seed + this (never the world's own draws)
GRID = (np.arange(400) + 0.5) / 400
N_KINDS = len(interactions.KINDS)


def expected_renewal_p(eta_r: np.ndarray, episode: bool) -> np.ndarray:
    """E[P(leave at the renewal)] over D's Beta law, given the episode state and eta at that renewal."""
    d = beta_law.ppf(GRID, *(C.D_HIGH_BETA if episode else C.D_LOW_BETA))
    return sigmoid(C.RENEW_K0 + C.RENEW_KD * d[None, :] + C.RENEW_KX * eta_r[:, None]).mean(axis=1)


def in_window(book: dict[str, np.ndarray], idx: np.ndarray, day: int, horizon: int) -> np.ndarray:
    """Customers ``idx`` whose 2025 renewal falls inside [day, day + horizon)."""
    r = book["r25"][idx]
    return (r >= day) & (r < day + horizon)


def contact_features(
    book: dict[str, np.ndarray], sched: dict[str, np.ndarray], idx: np.ndarray, day: int
) -> np.ndarray:
    """What raw/ shows about customers ``idx`` before ``day`` that bears on the 2025 episode: eta, dates, and
    the contacts after the 2024 renewal (count, kinds, timing relative to the 2025 renewal)."""
    n_all = len(book["activation"])
    pos = np.full(n_all, -1)
    pos[idx] = np.arange(len(idx))
    r24, r25, act = book["r24"], book["r25"], book["activation"]
    seen = (sched["day"] < day) & (pos[sched["idx"]] >= 0)
    c = {k: v[seen] for k, v in sched.items()}
    row = pos[c["idx"]]
    after = c["day"] > r24[c["idx"]]
    kinds = np.zeros((len(idx), N_KINDS))
    np.add.at(kinds, (row[after], c["kind"][after]), 1.0)
    before = np.bincount(row[~after], minlength=len(idx)).astype(float)
    last_kind = np.zeros((len(idx), N_KINDS))
    last_off = np.full(len(idx), np.nan)
    first_off = np.full(len(idx), np.nan)
    first_since_act = np.full(len(idx), np.nan)
    ra, rows_after, days_after = c["kind"][after], row[after], c["day"][after]
    # the schedule is sorted by customer then day: later rows overwrite (last), reversed order gives the first
    lk = np.full(len(idx), -1)
    lk[rows_after] = ra
    last_off[rows_after] = r25[idx][rows_after] - days_after
    has = lk >= 0
    last_kind[np.flatnonzero(has), lk[has]] = 1.0
    first_off[rows_after[::-1]] = (r25[idx][rows_after] - days_after)[::-1]
    first_since_act[rows_after[::-1]] = (days_after - act[idx][rows_after])[::-1]
    visible_until = min(day, C.INTERACTIONS_END_DAY)
    return np.column_stack(
        [
            book["eta25"][idx],
            r25[idx] - day,
            day - act[idx],
            r25[idx] - visible_until,  # days before the renewal that no contact can be seen any more
            visible_until - np.maximum(r24[idx], np.maximum(act[idx], 0)),  # observable part of the cycle
            kinds.sum(axis=1),
            kinds,
            last_kind,
            last_off,
            first_off,
            first_since_act,
            before,
        ]
    )


def aux_size(customers: int) -> int:
    """Customers in the auxiliary book for a world of ``customers``: 10 ×, within [20,000, 120,000]."""
    return int(min(AUX_CUSTOMERS, max(AUX_MIN, 10 * customers)))


def posterior_model(seed: int, horizon: int, day: int = C.SCORING_DAY, aux_customers: int = AUX_CUSTOMERS):
    """P(episode before the 2025 renewal | observable history), fitted on an independent book of this world."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    aux_seed = seed + AUX_SEED_OFFSET
    book = population.draw_book(aux_customers, aux_seed)
    sched = interactions.schedule(rng.stream(aux_seed, rng.INTERACTIONS), book)
    alive = np.flatnonzero((book["activation"] < day) & (book["churn_day"] >= day))
    idx = alive[in_window(book, alive, day, horizon) & ~book["expired"][alive]]
    x = contact_features(book, sched, idx, day)
    y = book["episode25"][idx].astype(int)
    model = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.08,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        early_stopping=False,
        random_state=0,
    )
    return model.fit(x, y)


def ceiling_proba(
    book: dict[str, np.ndarray],
    sched: dict[str, np.ndarray],
    idx: np.ndarray,
    day: int,
    horizon: int,
    seed: int,
) -> tuple[np.ndarray, dict]:
    """The achievable ceiling for customers ``idx`` active on ``day`` (the scoring date), and its check
    against the latent episodes (see module doc)."""
    sub = {k: book[k][idx] for k in ("eta25", "expired", "r24")}
    survive_bg = np.exp(-hazard_integral(sub, np.full(len(idx), day), np.full(len(idx), day + horizon)))
    win = in_window(book, idx, day, horizon) & ~book["expired"][idx]
    p_renew = np.zeros(len(idx))
    aux = aux_size(len(idx))
    check: dict = {"aux_customers": aux, "in_window": int(win.sum())}
    if win.any():
        w = idx[win]
        post = posterior_model(seed, horizon, day, aux).predict_proba(contact_features(book, sched, w, day))[
            :, 1
        ]
        e = book["eta25"][w]
        p_renew[win] = post * expected_renewal_p(e, True) + (1 - post) * expected_renewal_p(e, False)
        ep = book["episode25"][w].astype(float)
        prior = sigmoid(C.EPISODE_A + e)
        check.update(
            {
                "posterior_mean": round(float(post.mean()), 5),
                "episode_share": round(float(ep.mean()), 5),
                "posterior_brier": round(float(np.mean((post - ep) ** 2)), 5),
                "prior_only_brier": round(float(np.mean((prior - ep) ** 2)), 5),
            }
        )
    return 1.0 - survive_bg * (1.0 - p_renew), check
