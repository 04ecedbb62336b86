"""Named worlds: the same contract files, different realities a churn model may meet.

A world is the default calibration (``calibration.py``) with a few constants changed: how strongly the
causes drive churn (signal strength), how many customers leave per quarter (base rate), how many ever get
in touch (contact share) and how the agents write (text style). ``spanishgas generate --world NAME`` uses
one; ``default`` is the world the platform was built on. Every preset keeps the generator deterministic:
same world, size and seed → the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from dataflow.errors import UserError
from dataflow.generate import calibration as C

DEFAULT_WORLD = "default"
# every world's default size: the book of the retailer the platform serves. Worlds differ only in what drives
# churn, so their rows of the all-worlds table compare like with like; at 12,000 customers the rare-churn world
# had ~130 churners on the scoring date and its PR-AUC moved ±0.05 with the luck of the outcomes alone
BOOK = 20_099


@dataclass(frozen=True)
class World:
    """One named world: what it stands for, its default size and the calibration constants it changes."""

    name: str
    description: str
    customers: int
    overrides: dict = field(default_factory=dict)


WORLDS: dict[str, World] = {
    w.name: w
    for w in (
        World(
            "default",
            "the reference book: true ROC-AUC ≈ 0.89, ~2.1% quarterly churn, ~31% of customers in touch, English "
            "CRM shorthand and prose",
            BOOK,
        ),
        World(
            "faint",
            "weak signal (true ROC-AUC ≈ 0.75), high churn (~4%/quarter), chatty customers (~49% in touch), mixed "
            "Spanish/English notes with abbreviations and typos",
            BOOK,
            {
                "RENEW_K0": -3.6,
                "RENEW_KD": 2.6,
                "RENEW_KX": 0.6,
                "EPISODE_A": -1.2,
                "BG_HAZARD_PER_DAY": 0.0002,
                "CONTACT_P_HIGH": 0.85,
                "CONTACT_P_LOW": {"24": 0.30, "25": 0.70},
                "TEXT_STYLE": "mixed",
                "TYPO_RATE": 0.04,
            },
        ),
        World(
            "sharp",
            "strong signal (true ROC-AUC ≈ 0.94), rare churn (~1.1%/quarter), few contacts (~17%), English CRM shorthand",
            BOOK,
            {
                "RENEW_K0": -8.6,
                "RENEW_KD": 10.8,
                "EPISODE_A": -3.1,
                "BG_HAZARD_PER_DAY": 0.000012,
                "CONTACT_P_LOW": {"24": 0.08, "25": 0.25},
            },
        ),
        World(
            "quiet",
            "mid signal (true ROC-AUC ≈ 0.83), ~3%/quarter, half the unhappy never call (~14% in touch), terse "
            "Spanish/English notes",
            BOOK,
            {
                "RENEW_K0": -5.2,
                "RENEW_KD": 6.0,
                "EPISODE_A": -2.1,
                "BG_HAZARD_PER_DAY": 0.00011,
                "CONTACT_P_HIGH": 0.45,
                "CONTACT_P_LOW": {"24": 0.06, "25": 0.20},
                "TEXT_STYLE": "mixed",
                "TYPO_RATE": 0.02,
            },
        ),
    )
}


def get_world(name: str) -> World:
    """The preset called ``name`` (a UserError listing the presets otherwise)."""
    if name not in WORLDS:
        raise UserError(f"unknown world {name!r}; presets: {', '.join(WORLDS)}")
    return WORLDS[name]


@contextmanager
def applied(world: World | str) -> Iterator[World]:
    """Run the generator inside ``world``: its constants replace the calibration's, restored on exit."""
    w = get_world(world) if isinstance(world, str) else world
    unknown = [k for k in w.overrides if not hasattr(C, k)]
    if unknown:
        raise ValueError(f"world {w.name} overrides unknown calibration constants {unknown}")
    saved = {k: getattr(C, k) for k in w.overrides}
    try:
        for k, v in w.overrides.items():
            setattr(C, k, v)
        yield w
    finally:
        for k, v in saved.items():
            setattr(C, k, v)
