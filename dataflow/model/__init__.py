"""Modeling layer: the training set, the champion candidate, its evaluation and the promotion gate.

``MODULES`` are the Hamilton node modules of the layer.
"""

from __future__ import annotations

import os

# XGBoost's OpenMP threads spin while waiting by default; on a shared 2-core box that made a fit 4-6x slower
# (measured 28-41 s vs 7 s). Must be set before xgboost is first imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from dataflow.model import (  # noqa: E402 - after the OpenMP setting above
    champion,
    evaluation,
    experiments,
    holdout,
    promotion,
    registry,
    settings,
    training_set,
)

# the Hamilton node modules of the modeling layer, in DAG order
MODULES = (settings, training_set, champion, evaluation, holdout, registry, promotion, experiments)
