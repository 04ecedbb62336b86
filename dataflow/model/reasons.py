"""The fixed catalogue of plain-language churn reasons: one entry per model feature, with its value filled in.

Each entry gives a reason code (several features may share one) and a function of the feature's value
that writes the sentence an agent reads, e.g. "price rose 12% this year".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dataflow.gold.catalog import BY_NAME

FALLBACK_CODE = "no_strong_driver"
FALLBACK_TEXT = "no strong individual risk driver"


@dataclass(frozen=True)
class Reason:
    """``neutral(value)`` is true when the value describes no risk (a flag at 0, a neutral or positive tone, no
    complaint): such a value is never given as a reason, whatever the model's contribution."""

    code: str
    text: Callable[[object], str]
    neutral: Callable[[object], bool] | None = None
    missing: str | None = None  # the sentence when the value is not on record (default: from the catalogue)

    def is_neutral(self, value) -> bool:
        try:
            return bool(self.neutral(value)) if self.neutral is not None else False
        except (TypeError, ValueError):
            return False


def _off(v) -> bool:
    """A 0/1 flag that is not set (or unknown)."""
    return v in (None, 0, 0.0, False)


def _calm_tone(v) -> bool:
    """A tone that is not negative (score above −0.05), or no contact at all."""
    return v is None or float(v) > -0.05


def _num(v, fmt: str = ".0f") -> str:
    """A number in ``fmt``; a missing value raises, and :func:`reason_text` says the value is not on record."""
    if v is None:
        raise ValueError("missing value")
    return format(float(v), fmt)


def _flag(if_one: str, if_zero: str) -> Callable[[object], str]:
    return lambda v: if_one if v not in (None, 0, 0.0, False) else if_zero


def _renewal(v) -> str:
    if v is None:
        return "renewal date unknown"
    v = float(v)
    if v <= 0:
        return (
            "renewal date reached now"
            if v > -0.5
            else f"contract past its renewal date ({-v:.0f} months ago)"
        )
    if v <= 3:
        return f"renewal within 3 months ({v:.1f} months away)"
    return f"renewal in {v:.0f} months"


def _tenure(v) -> str:
    if v is None:
        return "tenure unknown"
    return f"only {float(v):.0f} months with us" if float(v) < 24 else f"{float(v) / 12:.0f} years with us"


def _price_trend(v) -> str:
    if v is None:
        return "no price history this year"
    v = float(v)
    return f"price rose {v:.0%} this year" if v > 0 else f"price changed {v:+.0%} this year"


def _tone(v) -> str:
    if v is None:
        return "no contact on record"
    word = "negative" if float(v) <= -0.05 else "positive" if float(v) >= 0.05 else "neutral"
    return f"{word} tone in the latest contact (score {float(v):+.2f})"


_INTENT_TEXT = {
    "Cancellation / Switch": "asked to cancel or switch supplier",
    "Complaint / Escalation": "made a complaint",
    "Pricing Offers": "asked about prices or offers",
    "No interaction": "has never contacted us",
}
_SEVERITY_TEXT = {
    3: "asked to cancel or switch supplier",
    2: "made a complaint",
    1: "asked about prices or offers",
}
_RENEWAL_BUCKET_TEXT = {
    "expired": "contract past its renewal date",
    "0-3m": "renewal within 3 months",
    "3-6m": "renewal in 3-6 months",
    "6-12m": "renewal in 6-12 months",
    "12m+": "renewal more than a year away",
}

CATALOGUE: dict[str, Reason] = {
    # lifecycle
    "months_to_renewal": Reason("renewal_timing", _renewal),
    "renewal_bucket": Reason(
        "renewal_timing",
        lambda v: _RENEWAL_BUCKET_TEXT.get(v, f"renewal window {v}"),
        missing="renewal date unknown",
    ),
    "is_within_3m_of_renewal": Reason(
        "renewal_timing", _flag("renewal within 3 months", "renewal more than 3 months away"), _off
    ),
    "is_expired_contract": Reason(
        "contract_expired", _flag("contract past its renewal date", "contract not yet due"), _off
    ),
    "tenure_months": Reason("tenure", _tenure),
    "tenure_bucket": Reason("tenure", lambda v: f"tenure band {v}", missing="tenure unknown"),
    "segment": Reason("segment", lambda v: f"{v} customer", missing="segment not on record"),
    "sales_channel": Reason(
        "sales_channel", lambda v: f"acquired via {v}", missing="acquisition channel not on record"
    ),
    "is_high_competition_province": Reason(
        "competition",
        _flag("lives in a high-competition province", "lives in a low-competition province"),
        _off,
    ),
    "is_second_residence": Reason(
        "second_residence", _flag("supply point is a second home", "supply point is a main home"), _off
    ),
    "is_dual_fuel": Reason(
        "fuel_mix", _flag("dual-fuel customer", "single-fuel customer (electricity only)"), _off
    ),
    "portfolio_type": Reason(
        "fuel_mix",
        lambda v: f"portfolio {str(v).replace('_', ', ')}",
        missing="fuel mix not on record",
    ),
    "is_digital_channel": Reason("sales_channel", _flag("acquired online", "acquired offline"), _off),
    "is_comparison_channel": Reason(
        "price_shopper",
        _flag("came through a price-comparison website", "not acquired via a comparison website"),
        _off,
    ),
    "is_own_website_channel": Reason(
        "sales_channel", _flag("signed up on our website", "not acquired via our website"), _off
    ),
    # market core
    "avg_monthly_elec_kwh_12m": Reason("consumption", lambda v: f"uses {_num(v)} kWh of electricity a month"),
    "avg_monthly_gas_m3_12m": Reason("gas_consumption", lambda v: f"uses {_num(v)} m³ of gas a month"),
    "gas_share_of_revenue_12m": Reason("gas_consumption", lambda v: f"gas is {_num(v, '.0%')} of the bill"),
    "province_avg_elec_cost_12m": Reason(
        "market_cost", lambda v: f"province wholesale electricity cost {_num(v, '.3f')} €/kWh"
    ),
    "province_avg_gas_cost_12m": Reason(
        "market_cost", lambda v: f"province wholesale gas cost {_num(v, '.3f')} €/m³"
    ),
    "price_change_count_12m": Reason("price_changes", lambda v: f"price changed {_num(v)} times this year"),
    # market risk
    "std_monthly_elec_kwh_12m": Reason(
        "unstable_consumption", lambda v: f"electricity use swings by ±{_num(v)} kWh a month"
    ),
    "std_monthly_gas_m3_12m": Reason(
        "unstable_consumption", lambda v: f"gas use swings by ±{_num(v)} m³ a month"
    ),
    "std_margin_12m": Reason("unstable_margin", lambda v: f"margin swings by ±€{_num(v)} a month"),
    "min_monthly_margin_12m": Reason("loss_months", lambda v: f"worst month margin €{_num(v)}"),
    "negative_margin_months_12m": Reason("loss_months", lambda v: f"{_num(v)} loss-making months this year"),
    "elec_price_trend_12m": Reason("price_rise", _price_trend),
    "elec_price_volatility_12m": Reason(
        "price_volatility",
        lambda v: (
            "no price history this year"
            if v is None
            else f"electricity price moved by ±{_num(v, '.3f')} €/kWh this year"
        ),
    ),
    "province_elec_cost_trend_12m": Reason(
        "market_cost", lambda v: f"province wholesale cost changed {_num(v, '+.0%')} this year"
    ),
    "elec_price_vs_province_cost_spread": Reason(
        "expensive_tariff",
        lambda v: f"tariff {_num(v, '.3f')} €/kWh above the province's wholesale cost",
        missing="tariff or province cost not on record",
    ),
    "is_price_increase": Reason(
        "price_rise", _flag("electricity price went up this year", "no price rise this year"), _off
    ),
    "rolling_margin_trend_3m": Reason(
        "margin_trend",
        lambda v: f"monthly margin changed €{_num(v, '+.1f')} in the last quarter",
        missing="no margin trend yet (under six months of history)",
    ),
    # behavioral
    "has_interaction": Reason(
        "contact", _flag("has contacted customer service", "has never contacted us"), _off
    ),
    "interaction_count_12m": Reason("contact", lambda v: f"{_num(v)} contacts with us this year"),
    "customer_intent": Reason(
        "intent", lambda v: _INTENT_TEXT.get(v, f"latest contact: {v}"), missing="has never contacted us"
    ),
    "recent_complaint_flag": Reason(
        "complaint", _flag("recent complaint or cancellation request", "no recent complaint"), _off
    ),
    "interaction_within_3m_of_renewal": Reason(
        "contact_near_renewal", _flag("contacted us shortly before renewal", "no contact near renewal"), _off
    ),
    "is_interaction_within_30d_of_renewal": Reason(
        "contact_near_renewal",
        _flag("contacted us in the month before renewal", "no contact in the month before renewal"),
        _off,
    ),
    "complaint_near_renewal": Reason(
        "complaint_near_renewal", _flag("complaint shortly before renewal", "no complaint near renewal"), _off
    ),
    "is_cancellation_intent": Reason(
        "cancellation_request", _flag("asked to cancel or switch supplier", "no cancellation request"), _off
    ),
    "is_complaint_intent": Reason("complaint", _flag("made a complaint", "no complaint"), _off),
    "intent_severity_score": Reason(
        "intent",
        lambda v: _SEVERITY_TEXT.get(int(v or 0), "no complaint or cancellation request"),
        lambda v: int(v or 0) not in _SEVERITY_TEXT,
    ),
    "last_interaction_days_ago": Reason(
        "recent_contact",
        lambda v: "no contact on record" if v is None else f"last contact {_num(v)} days ago",
    ),
    "months_since_last_change": Reason(
        "product_change",
        lambda v: "never changed product" if v is None else f"changed product {_num(v)} months ago",
    ),
    # sentiment
    "sentiment_label": Reason(
        "negative_sentiment",
        lambda v: (
            "negative tone in the latest contact"
            if v == "negative"
            else "no contact on record"
            if v in (None, "", "none")
            else f"tone of the latest contact: {v}"
        ),
        lambda v: v != "negative",
    ),
    "sentiment_compound": Reason("negative_sentiment", lambda v: _tone(v), _calm_tone),
    "is_negative_sentiment": Reason(
        "negative_sentiment",
        _flag("negative tone in the latest contact", "latest contact not negative"),
        _off,
    ),
    "negative_contact_count": Reason(
        "negative_contacts",
        lambda v: f"{_num(v)} negative contacts (complaints, cancellation requests or a negative tone)",
        lambda v: v is None or float(v) == 0,
        missing="no contact on record",
    ),
    "negative_contact_share": Reason(
        "negative_contacts",
        lambda v: "no contact on record" if v is None else f"{float(v):.0%} of contacts were negative",
        lambda v: v is None or float(v) == 0,
    ),
    "most_negative_compound": Reason(
        "negative_sentiment",
        lambda v: (
            "no contact on record" if v is None else f"most negative contact scored {float(v):+.2f} in tone"
        ),
        _calm_tone,
    ),
    "days_since_negative_contact": Reason(
        "recent_negative_contact",
        lambda v: (
            "no negative contact on record" if v is None else f"last negative contact {_num(v)} days ago"
        ),
        lambda v: v is None,
    ),
    "cancellation_intent_ever": Reason(
        "cancellation_request",
        _flag("has asked to cancel or switch before", "never asked to cancel or switch"),
        _off,
    ),
    "complaint_x_negative_sentiment": Reason(
        "angry_complaint", _flag("complaint with negative sentiment", "no angry complaint"), _off
    ),
    # compound
    "is_price_sensitive": Reason(
        "price_sensitive", _flag("asked about prices or offers", "no price enquiry"), _off
    ),
    "is_high_risk_lifecycle": Reason(
        "new_customer_at_renewal",
        _flag("first-year customer at renewal", "not a first-year customer at renewal"),
        _off,
    ),
    "is_competition_x_renewal": Reason(
        "competition_at_renewal",
        _flag("renewal within 3 months in a high-competition province", "no competitive renewal"),
        _off,
    ),
    "dual_fuel_x_renewal": Reason(
        "dual_fuel_at_renewal",
        _flag("dual-fuel customer within 3 months of renewal", "no dual-fuel renewal"),
        _off,
    ),
    "dual_fuel_x_competition": Reason(
        "dual_fuel_competition",
        _flag("dual-fuel customer in a high-competition province", "no dual-fuel competition"),
        _off,
    ),
    "dual_fuel_x_intent": Reason(
        "dual_fuel_complaint",
        _flag("dual-fuel customer who complained or asked to leave", "no dual-fuel complaint"),
        _off,
    ),
}


def reason_for(feature: str) -> Reason:
    """The catalogue entry of a feature; a feature not listed reads as its catalogue meaning and value."""
    if feature in CATALOGUE:
        return CATALOGUE[feature]
    meaning = BY_NAME[feature].meaning.rstrip(".") if feature in BY_NAME else feature.replace("_", " ")
    return Reason(feature, lambda v: f"{meaning}: {v}")


def reason_text(feature: str, value) -> str:
    """The sentence for one feature and value (never empty)."""
    reason = reason_for(feature)
    if (value is None or value == "") and reason.missing:
        return reason.missing
    try:
        text = reason.text(value)
    except (TypeError, ValueError):
        if value is None:
            meaning = (
                BY_NAME[feature].meaning.rstrip(".") if feature in BY_NAME else feature.replace("_", " ")
            )
            return f"{meaning[:1].lower()}{meaning[1:]}: not on record"
        text = f"{feature.replace('_', ' ')}: {value}"
    return text or feature.replace("_", " ")
