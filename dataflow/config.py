"""Settings of the platform: dates, horizons, file names and the environment variables the app reads.

Every knob lives here so that the CLI, the driver, the dashboard and the container agree on names.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from datetime import date

# ---- the raw contract: file names under <lake>/raw/ ---------------------------------------------
RAW_PREFIX = "raw/"
TRUTH_PREFIX = "truth/"
RAW_FILES = {
    "customer_attributes": "customer_attributes.csv",
    "customer_contracts": "customer_contracts.csv",
    "price_history": "price_history.csv",
    "costs_by_province_month": "costs_by_province_month.csv",
    "customer_interactions": "customer_interactions.json",
    "churn_label": "churn_label.csv",
}
CONSUMPTION_GLOB = "consumption_hourly_*"  # .csv or .parquet, one or many files

# ---- business constants ---------------------------------------------------------------------------
SCORING_DATE = date(2025, 1, 1)  # the generator's default scoring date (day after the last 2024 reading)
LABEL_HORIZON_DAYS = 90
GAS_KWH_PER_M3 = 11.0
# risk tiers are defined once, in ModelConfig (tier_basis, tier_shares; the old absolute cut-offs are
# ModelConfig.risk_tiers with tier_basis="probability") and applied by dataflow/score/tiers.py

# ---- environment variables the application reads (the container's whole configuration) ----------
ENV_LAKE = "SPANISHGAS_LAKE"  # folder or s3://bucket/prefix
ENV_RUNS_TABLE = "SPANISHGAS_RUNS_TABLE"  # DynamoDB run-history table (AWS mode)
ENV_ALERTS_TOPIC = "SPANISHGAS_ALERTS_TOPIC_ARN"  # SNS topic for alerts (optional)
ENV_METRICS_NAMESPACE = "SPANISHGAS_METRICS_NAMESPACE"  # CloudWatch namespace (optional)
ENV_CACHE = "SPANISHGAS_CACHE"  # local cache folder for S3 downloads and Hamilton's cache
ENV_LOG_LEVEL = "SPANISHGAS_LOG_LEVEL"
APP_ENV_VARS = (
    ENV_LAKE,
    ENV_RUNS_TABLE,
    ENV_ALERTS_TOPIC,
    ENV_METRICS_NAMESPACE,
    ENV_CACHE,
    ENV_LOG_LEVEL,
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
)


@dataclass(frozen=True)
class PipelineConfig:
    """What a run of the pipeline is asked to do; part of the run id, so a change means a new run."""

    scoring_date: date | None = None  # default: the day after the latest reading
    legacy_label_as_of: date = date(2024, 12, 31)  # as-of date for a legacy customer_id,churn label file
    legacy_label_horizon_days: int = LABEL_HORIZON_DAYS
    sentiment_backend: str = "vader"  # or "transformer:<local model dir>"
    champion_experiment: str = "E5"
    champion_model: str = "xgboost"
    model_overrides: dict = field(default_factory=dict)  # any ModelConfig field, e.g. {"min_pr_auc": 0.6}
    extra: dict = field(default_factory=dict)  # free-form, recorded in the manifest and the run id

    def as_dict(self) -> dict:
        d = asdict(self)
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in d.items()}

    @classmethod
    def from_dict(cls, saved: dict) -> PipelineConfig:
        """The config a manifest recorded (``as_dict`` form; unknown keys ignored, missing ones default)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in saved.items() if k in known}
        for name in ("scoring_date", "legacy_label_as_of"):  # ISO strings in the manifest
            if isinstance(values.get(name), str):
                values[name] = date.fromisoformat(values[name])
        return cls(**values)


def env(name: str, default: str | None = None) -> str | None:
    """An application environment variable (empty counts as unset)."""
    value = os.environ.get(name)
    return value if value else default
