"""The raw data contract in code: per-file column rules (text → typed) and pandera schemas of the kept tables.

`docs/raw_contract.md` is the human version. The row rules here say how each column is read and what makes
a row unusable; :mod:`dataflow.validation` applies them, and the ``raw_*`` nodes attach the schemas below so
the kept tables are checked again, declaratively, on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

# Sales-channel codes as the utility writes them (after strip + lowercase). `unknown` and `desconocido`
# are both kept as written: they mean the same, but the raw layer does not merge them (silver maps both
# to "Unknown"), so a change in how often each one appears stays visible.
SALES_CHANNELS = (
    "presencial_comercial",
    "comparador",
    "oficina",
    "telemarketing",
    "web_propia",
    "desconocido",
    "unknown",
)
INTERACTION_CHANNELS = ("phone", "email", "chat", "office")
FLAG_VALUES = ("0", "1")
PROVINCE_CODES = (1, 52)  # INE province codes


@dataclass(frozen=True)
class Field:
    """How one raw column is read: its kind, whether it may be empty, and its allowed range."""

    name: str
    kind: str  # text | code (strip + lowercase) | float | int | flag | date | month
    required: bool = True
    dtype: type[pl.DataType] | None = None  # target integer type for kind="int"
    min: float | None = None
    min_inclusive: bool = True
    max: float | None = None
    zero_is_null: bool = False  # a 0 in the file means "missing" (prices)


@dataclass(frozen=True)
class DatasetContract:
    """One raw file: its columns in order, the key that must be unique, and the typed output columns."""

    dataset: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    derived: tuple[str, ...] = field(default=())  # typed columns computed by the node (e.g. month)
    key_conflicts: bool = True  # False: several rows per key are normal (interactions)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def output_columns(self) -> list[str]:
        return self.columns + list(self.derived)


def _flag(name: str) -> Field:
    return Field(name, "flag")


def _money(name: str) -> Field:
    return Field(name, "float", required=False, min=0.0, zero_is_null=True)


CUSTOMER_ATTRIBUTES = DatasetContract(
    dataset="customer_attributes",
    fields=(
        Field("customer_id", "text"),
        Field("contracted_power_kw", "float", min=0.0, min_inclusive=False),
        _flag("is_industrial"),
        _flag("is_second_residence"),
        Field("province_code", "int", dtype=pl.Int16),
        Field("region", "text", required=False),
        _flag("is_high_competition_province"),
        _flag("is_urban"),
        Field("sales_channel", "code", required=False),
    ),
    key=("customer_id",),
)

CUSTOMER_CONTRACTS = DatasetContract(
    dataset="customer_contracts",
    fields=(
        Field("customer_id", "text"),
        Field("customer_first_activation_date", "date"),
        Field("contract_start_date", "date"),
        Field("last_product_change_date", "date", required=False),
        Field("next_renewal_date", "date"),
    ),
    key=("customer_id",),
)

PRICE_COLUMNS = (
    "variable_price_tier1_eur_kwh",
    "variable_price_tier2_eur_kwh",
    "variable_price_tier3_eur_kwh",
    "elec_fixed_fee_eur_month",
    "elec_fixed_cost_eur_month",
    "gas_variable_price_eur_m3",
    "gas_fixed_revenue_eur_year",
    "gas_fixed_cost_eur_year",
)
PRICE_HISTORY = DatasetContract(
    dataset="price_history",
    fields=(Field("customer_id", "text"), Field("pricing_date", "date"), *(_money(c) for c in PRICE_COLUMNS)),
    key=("customer_id", "month"),
    derived=("month",),
)

COST_COLUMNS = ("elec_var_cost_eur_kwh", "gas_var_cost_eur_m3", "peaje_elec_eur_kwh")
COSTS_BY_PROVINCE_MONTH = DatasetContract(
    dataset="costs_by_province_month",
    fields=(
        Field("month", "month"),
        Field("province", "int", dtype=pl.Int16, min=PROVINCE_CODES[0], max=PROVINCE_CODES[1]),
        *(Field(c, "float", min=0.0) for c in COST_COLUMNS),
    ),
    key=("province", "month"),
)

CUSTOMER_INTERACTIONS = DatasetContract(
    dataset="customer_interactions",
    fields=(
        Field("customer_id", "text"),
        Field("date", "date"),
        Field("channel", "code", required=False),
        Field("interaction_summary", "text", required=False),
    ),
    key=("customer_id", "date"),
    key_conflicts=False,  # two different contacts on the same day are plausible; only exact copies go
)

CHURN_LABEL = DatasetContract(
    dataset="churn_label",
    fields=(
        Field("customer_id", "text"),
        Field("label_date", "date"),
        Field("horizon_days", "int", dtype=pl.Int32, min=1),
        _flag("churned_within_horizon"),
        Field("churn_effective_date", "date", required=False),
    ),
    key=("customer_id", "label_date", "horizon_days"),
)

LEGACY_CHURN_LABEL = DatasetContract(
    dataset="churn_label",
    fields=(Field("customer_id", "text"), _flag("churn")),
    key=("customer_id",),
)

CONTRACTS = {
    c.dataset: c
    for c in (
        CUSTOMER_ATTRIBUTES,
        CUSTOMER_CONTRACTS,
        PRICE_HISTORY,
        COSTS_BY_PROVINCE_MONTH,
        CUSTOMER_INTERACTIONS,
        CHURN_LABEL,
    )
}


# ---- pandera schemas of the kept (typed) tables ---------------------------------------------------------
def _first_of_month(data) -> pl.LazyFrame:
    return data.lazyframe.select(pl.col(data.key).dt.day() == 1)


def _normalised(data) -> pl.LazyFrame:
    return data.lazyframe.select(pl.col(data.key) == pl.col(data.key).str.strip_chars().str.to_lowercase())


def _label_consistent(data) -> pl.LazyFrame:
    """churn_effective_date is set exactly when churned, and then falls inside the horizon."""
    lf, eff, start = data.lazyframe, pl.col("churn_effective_date"), pl.col("label_date")
    end = start + pl.duration(days=pl.col("horizon_days"))
    churned = pl.col("churned_within_horizon") == 1
    ok = pl.when(churned).then(eff.is_not_null() & (eff >= start) & (eff < end)).otherwise(eff.is_null())
    # a legacy-form file has no effective dates at all: then only "no date for non-churners" applies
    legacy = eff.is_null().all()
    return lf.select(pl.when(legacy).then(True).otherwise(ok))


_ID = pa.Column(pl.Utf8, pa.Check.str_length(min_value=1), nullable=False)
_FLAG = pa.Column(pl.Int8, pa.Check.isin([0, 1]), nullable=False)
_POSITIVE_OR_NULL = pa.Column(pl.Float64, pa.Check.gt(0), nullable=True)
_NON_NEGATIVE = pa.Column(pl.Float64, pa.Check.ge(0), nullable=False)
_DATE = pa.Column(pl.Date, nullable=False)
_MONTH = pa.Column(pl.Date, pa.Check(_first_of_month, name="first_of_month"), nullable=False)

CUSTOMER_ATTRIBUTES_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _ID,
        "contracted_power_kw": pa.Column(pl.Float64, pa.Check.gt(0), nullable=False),
        "is_industrial": _FLAG,
        "is_second_residence": _FLAG,
        "province_code": pa.Column(pl.Int16, pa.Check.in_range(*PROVINCE_CODES), nullable=False),
        "region": pa.Column(pl.Utf8, nullable=True),
        "is_high_competition_province": _FLAG,
        "is_urban": _FLAG,
        "sales_channel": pa.Column(pl.Utf8, pa.Check(_normalised, name="stripped_lowercase"), nullable=True),
    },
    unique=["customer_id"],
    strict=True,
    ordered=True,
    name="raw_customer_attributes",
)

CUSTOMER_CONTRACTS_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _ID,
        "customer_first_activation_date": _DATE,
        "contract_start_date": _DATE,
        "last_product_change_date": pa.Column(pl.Date, nullable=True),
        "next_renewal_date": _DATE,
    },
    unique=["customer_id"],
    strict=True,
    ordered=True,
    name="raw_customer_contracts",
)

PRICE_HISTORY_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _ID,
        "pricing_date": _DATE,
        **{c: _POSITIVE_OR_NULL for c in PRICE_COLUMNS},
        "month": _MONTH,
    },
    unique=["customer_id", "month"],
    strict=True,
    ordered=True,
    name="raw_price_history",
)

COSTS_BY_PROVINCE_MONTH_SCHEMA = pa.DataFrameSchema(
    {
        "month": _MONTH,
        "province": pa.Column(pl.Int16, pa.Check.in_range(*PROVINCE_CODES), nullable=False),
        **{c: _NON_NEGATIVE for c in COST_COLUMNS},
    },
    unique=["province", "month"],
    strict=True,
    ordered=True,
    name="raw_costs_by_province_month",
)

CUSTOMER_INTERACTIONS_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _ID,
        "date": _DATE,
        "channel": pa.Column(pl.Utf8, nullable=True),
        "interaction_summary": pa.Column(pl.Utf8, nullable=True),
    },
    strict=True,
    ordered=True,
    name="raw_customer_interactions",
)

CHURN_LABEL_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _ID,
        "label_date": _DATE,
        "horizon_days": pa.Column(pl.Int32, pa.Check.gt(0), nullable=False),
        "churned_within_horizon": _FLAG,
        "churn_effective_date": pa.Column(pl.Date, nullable=True),
    },
    checks=[pa.Check(_label_consistent, name="label_consistent_with_effective_date")],
    unique=["customer_id", "label_date", "horizon_days"],
    strict=True,
    ordered=True,
    name="raw_churn_label",
)
