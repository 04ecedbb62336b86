"""The synthetic world: a realistic raw/ folder (the seven contract files) plus truth/ for evaluation.

``generate(lake_uri, customers, seed, consumption_format, progress, world=...)`` (in :mod:`.book`) writes
byte-identical files for the same arguments. ``worlds`` holds the named presets (``default`` is the reference
book). Modules: population (who), churn (why they leave), interactions + texts (what they said), prices (what
they pay), loadshapes + consumption + writer (hourly readings), labels (labels and truth), ceiling (the best
probability the raw files allow), calibration (every constant), calibrate (a fast check of the churn
calibration).

The package itself imports nothing heavy: ``spanishgas run`` lists the world presets for its help text without
loading the generator (SciPy and the text models cost seconds at start-up).
"""

from __future__ import annotations

from typing import Any

_BOOK = ("generate", "GenerateSummary", "DEFAULT_CUSTOMERS", "TRUTH_FILES", "write_ready_marker")


def __getattr__(name: str) -> Any:
    """``from dataflow.generate import generate`` (the public names of :mod:`.book`), loaded on first use; any
    other name is left to the import system, so ``from dataflow.generate import worlds`` stays light."""
    if name not in _BOOK:
        raise AttributeError(f"module 'dataflow.generate' has no attribute {name!r}")
    from dataflow.generate import book

    return getattr(book, name)
