"""Scoring (probabilities, risk tiers, expected loss, reason codes) and margin-safe retention offers."""

from dataflow.score import campaign, recommendations, scoring

# the Hamilton node modules of the scoring layer, in DAG order
MODULES = (scoring, recommendations, campaign)
