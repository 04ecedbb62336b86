"""Scoring (probabilities, risk tiers, expected loss, reason codes) and margin-safe retention offers."""
