"""Gold layer: snapshots (customer × as-of date) and the seven feature tiers, as Hamilton node modules.

Every feature of a snapshot dated ``d`` uses only data strictly before ``d`` (docs/architecture.md); the shared
time rules live in :mod:`dataflow.gold._common`, the feature catalogue and experiments in
:mod:`dataflow.gold.catalog`.
"""

from dataflow.gold import (
    features,
    snapshots,
    tier_behavioral,
    tier_compound,
    tier_lifecycle,
    tier_market_core,
    tier_market_risk,
    tier_sentiment,
    tier_strings,
)

# the Hamilton node modules of the gold layer, in DAG order
MODULES = (
    snapshots,
    tier_lifecycle,
    tier_market_core,
    tier_market_risk,
    tier_behavioral,
    tier_sentiment,
    tier_compound,
    tier_strings,
    features,
)
