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
READY_KEY = RAW_PREFIX + "_READY"  # written last by an upload: the one object whose arrival starts a run
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
# ModelConfig.risk_tiers with tier_basis="probability") and applied by dataflow/model/tiers.py

# ---- environment variables the application reads (the container's whole configuration) ----------
ENV_LAKE = "SPANISHGAS_LAKE"  # folder or s3://bucket/prefix
ENV_RUNS_TABLE = "SPANISHGAS_RUNS_TABLE"  # DynamoDB run-history table (AWS mode)
ENV_ALERTS_TOPIC = "SPANISHGAS_ALERTS_TOPIC_ARN"  # SNS topic for alerts (optional)
ENV_METRICS_NAMESPACE = "SPANISHGAS_METRICS_NAMESPACE"  # CloudWatch namespace (optional)
ENV_SCRATCH = "SPANISHGAS_SCRATCH"  # the one local folder the app writes (default: system temp dir)
ENV_LOG_LEVEL = "SPANISHGAS_LOG_LEVEL"  # DEBUG | INFO | WARNING | ERROR
ENV_RUN_TIMEOUT = (
    "SPANISHGAS_RUN_TIMEOUT_MINUTES"  # a run stops itself after this; stale claims expire with it
)
APP_ENV_VARS = (
    ENV_LAKE,
    ENV_RUNS_TABLE,
    ENV_ALERTS_TOPIC,
    ENV_METRICS_NAMESPACE,
    ENV_SCRATCH,
    ENV_LOG_LEVEL,
    ENV_RUN_TIMEOUT,
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
)
# Optional overrides (unset everywhere by default; dataflow/runtime.py documents each).
ENV_CACHE = "SPANISHGAS_CACHE"  # caches (Hamilton, S3 downloads) elsewhere than <scratch>/cache
ENV_DUCKDB_THREADS = "SPANISHGAS_DUCKDB_THREADS"  # default: the container's CPU limit
ENV_DUCKDB_MEMORY = "SPANISHGAS_DUCKDB_MEMORY"  # e.g. 4GB; default: 40 % of the container's memory limit
ENV_LOG_FORMAT = "SPANISHGAS_LOG_FORMAT"  # json | text; default json on ECS/Fargate, text elsewhere
OVERRIDE_ENV_VARS = (ENV_CACHE, ENV_DUCKDB_THREADS, ENV_DUCKDB_MEMORY, ENV_LOG_FORMAT)


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
    # error budgets per quality gate, e.g. {"raw_reconciliation: customers set aside": {"max_share": 0.02,
    # "max_rows": 50}}; defaults in dataflow/monitor/checks.py, documented in docs/raw_contract.md
    quality_budgets: dict = field(default_factory=dict)
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
