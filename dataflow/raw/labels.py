"""Churn labels: did the customer leave within the horizon after the as-of date (label_date)?

Accepts the contract form (customer_id, label_date, horizon_days, churned_within_horizon,
churn_effective_date) and the predecessor's legacy ``customer_id,churn`` form, whose as-of date and horizon
come from configuration (``legacy_label_as_of``, ``legacy_label_horizon_days``).
"""

from __future__ import annotations

import datetime

import polars as pl
from hamilton.function_modifiers import check_output_custom, extract_fields, tag

from dataflow.contract import CHURN_LABEL, CHURN_LABEL_SCHEMA, LEGACY_CHURN_LABEL
from dataflow.errors import UserError
from dataflow.raw.inventory import RawInventory
from dataflow.validation import (
    REASON,
    PanderaPolarsValidator,
    Screen,
    output_fields,
    read_csv_text,
    require_columns,
)

LEGACY_NOTE = "legacy customer_id,churn form: as-of {as_of}, horizon {days} days from configuration"


def _is_legacy(header: list[str]) -> bool:
    return "churn" in header and not {"label_date", "churned_within_horizon"} & set(header)


def _check_consistency(screen: Screen) -> None:
    """churn_effective_date must be set exactly when churned, and fall in [label_date, label_date + horizon)."""
    t = screen.typed
    start, eff, churned = t("label_date"), t("churn_effective_date"), t("churned_within_horizon")
    end = start + pl.duration(days=t("horizon_days"))
    clean = pl.col(REASON).is_null()  # rows already rejected for a bad value are not judged again
    shown = pl.col("churn_effective_date")
    outside = (churned == 1) & (eff.is_null() | (eff < start) | (eff >= end))
    screen.reject(
        clean & outside,
        pl.when(eff.is_null())
        .then(pl.lit("churned_within_horizon is 1 but churn_effective_date is empty"))
        .otherwise(
            pl.format(
                "churned_within_horizon is 1 but churn_effective_date '{}' is outside the label "
                "window [{}, {})",
                shown,
                start,
                end.cast(pl.Date),
            )
        ),
        "churn_effective_date",
        "a churned label needs a churn_effective_date inside its window",
        among=clean,
    )
    screen.reject(
        pl.col(REASON).is_null() & (churned == 0) & eff.is_not_null(),
        pl.format("churn_effective_date is set ('{}') but churned_within_horizon is 0", shown),
        "churn_effective_date",
        "must be empty when churned_within_horizon is 0",
        among=clean,
    )


@tag(layer="raw", target_=...)
@tag(publish="quarantine", dataset="churn_label", target_="quarantine_churn_label")
@check_output_custom(PanderaPolarsValidator(CHURN_LABEL_SCHEMA), target_="raw_churn_label")
@extract_fields(output_fields("churn_label"))
def churn_label_screening(
    raw_inventory: RawInventory,
    raw_customer_attributes: pl.DataFrame,
    quarantined_customers: pl.DataFrame,
    legacy_label_as_of: datetime.date,
    legacy_label_horizon_days: int,
) -> dict[str, pl.DataFrame]:
    """Labels of known customers in the time-aware form (legacy form converted); inconsistent ones set aside."""
    raw = raw_inventory.files["churn_label"]
    text = read_csv_text(raw.local_path, raw.key)
    legacy = _is_legacy(text.columns)
    contract = LEGACY_CHURN_LABEL if legacy else CHURN_LABEL
    require_columns(text, raw.key, contract.columns)
    screen = Screen(text, raw.key, contract)
    if legacy:
        if legacy_label_horizon_days <= 0:
            raise UserError(
                f"legacy_label_horizon_days must be a positive number of days, got "
                f"{legacy_label_horizon_days} (needed to read the legacy {raw.key})"
            )
        screen.derive("label_date", pl.lit(legacy_label_as_of, dtype=pl.Date))
        screen.derive("horizon_days", pl.lit(legacy_label_horizon_days, dtype=pl.Int32))
        screen.derive("churned_within_horizon", screen.typed("churn"))
        screen.derive("churn_effective_date", pl.lit(None, dtype=pl.Date))
        screen.note(
            None, LEGACY_NOTE.format(as_of=legacy_label_as_of, days=legacy_label_horizon_days), pl.lit(True)
        )
    else:
        _check_consistency(screen)
    screen.require_customer(raw_customer_attributes, quarantined_customers)
    return screen.finish(columns=CHURN_LABEL.output_columns).fields("churn_label")
