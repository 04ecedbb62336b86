"""Deterministic random streams: one independent stream per (seed, concern, chunk), never shared state.

Keys are explicit (SeedSequence spawn keys), so the order in which chunks are generated — or the process
that generates them — never changes the bytes written.
"""

from __future__ import annotations

import numpy as np

POPULATION, CHURN, INTERACTIONS, TEXTS, PRICES, COSTS, CONSUMPTION, DIRT, WEATHER = range(1, 10)


def stream(seed: int, concern: int, *chunk: int) -> np.random.Generator:
    """The random generator for one concern (and optional chunk ids) of a run with ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(concern, *chunk))))
