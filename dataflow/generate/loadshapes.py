"""How energy use moves through 2024, hour by hour: daily, weekly and seasonal load shapes per segment.

Homes peak in the evening and in winter (heating, lighting; some summer air-conditioning); second homes wake
up at weekends, Easter, August and Christmas; SMEs work weekday office hours; Corporate sites run a base load
plus a working-day shift. Spanish national holidays behave like Sundays. Gas follows heating and hot water.
Every shape sums to 1 over the 8,784 hours of 2024.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

HOURS = 8784
DAYS = 366
# 2024 national holidays (Año Nuevo, Reyes, Viernes Santo, Trabajo, Asunción, Hispanidad, Todos los Santos,
# Constitución, Inmaculada, Navidad) as day-of-year (0-based)
HOLIDAYS_2024 = (
    "2024-01-01",
    "2024-01-06",
    "2024-03-29",
    "2024-05-01",
    "2024-08-15",
    "2024-10-12",
    "2024-11-01",
    "2024-12-06",
    "2024-12-08",
    "2024-12-25",
)
MONTH_START_DAY = np.array(
    [(np.datetime64(f"2024-{m:02d}-01") - np.datetime64("2024-01-01")).astype(int) for m in range(1, 13)]
    + [DAYS]
)

_RES_WORK = [
    0.45,
    0.38,
    0.35,
    0.34,
    0.34,
    0.36,
    0.50,
    0.80,
    0.90,
    0.75,
    0.65,
    0.62,
    0.65,
    0.75,
    0.85,
    0.75,
    0.70,
    0.75,
    0.95,
    1.2,
    1.45,
    1.55,
    1.35,
    0.90,
]
_RES_FREE = [
    0.55,
    0.45,
    0.40,
    0.38,
    0.37,
    0.38,
    0.42,
    0.55,
    0.70,
    0.90,
    0.95,
    0.95,
    0.98,
    1.0,
    1.05,
    0.90,
    0.85,
    0.85,
    1.0,
    1.2,
    1.4,
    1.5,
    1.3,
    0.95,
]
_SME_WORK = [
    0.12,
    0.12,
    0.12,
    0.12,
    0.12,
    0.14,
    0.20,
    0.35,
    0.80,
    1.0,
    1.0,
    1.0,
    1.0,
    0.95,
    0.80,
    0.90,
    1.0,
    1.0,
    1.0,
    0.70,
    0.35,
    0.18,
    0.15,
    0.12,
]
_SME_FREE = [0.12] * 8 + [0.18] * 6 + [0.14] * 10
_GAS_DAY = [
    0.25,
    0.2,
    0.2,
    0.2,
    0.25,
    0.45,
    1.3,
    1.6,
    1.3,
    0.8,
    0.6,
    0.5,
    0.5,
    0.55,
    0.6,
    0.55,
    0.6,
    0.8,
    1.2,
    1.4,
    1.4,
    1.2,
    0.8,
    0.4,
]


@lru_cache(maxsize=1)
def calendar() -> dict[str, np.ndarray]:
    """Per day of 2024: free day (weekend/holiday), month, heating and cooling intensity in [0, 1]."""
    day = np.arange(DAYS)
    weekday = (day + 0) % 7  # 2024-01-01 was a Monday → 0
    holiday = np.isin(np.datetime64("2024-01-01") + day, np.array(HOLIDAYS_2024, dtype="datetime64[D]"))
    month = np.searchsorted(MONTH_START_DAY, day, side="right") - 1
    season = np.cos(2 * np.pi * (day - 15) / DAYS)  # +1 mid-January, −1 mid-July
    heat = np.clip(season, 0, None) ** 1.5
    cool = np.clip(-season - 0.35, 0, None) / 0.65
    d = np.datetime64("2024-01-01") + day
    holiday_home = (
        ((d >= np.datetime64("2024-03-23")) & (d <= np.datetime64("2024-03-31")))
        | (month == 7)
        | (d >= np.datetime64("2024-12-22"))
    )
    return {
        "free": (weekday >= 5) | holiday,
        "holiday": holiday,
        "saturday": weekday == 5,
        "month": month,
        "heat": heat,
        "cool": cool,
        "holiday_home": holiday_home,
    }


def _by_hour(work: list[float], free: list[float], phase: int) -> np.ndarray:
    c = calendar()
    w, f = np.roll(np.array(work), phase), np.roll(np.array(free), phase)
    return np.where(c["free"][:, None], f[None, :], w[None, :])  # (days, 24)


def _normalise(x: np.ndarray) -> np.ndarray:
    x = x.reshape(-1)
    return (x / x.sum()).astype(np.float32)


@lru_cache(maxsize=1)
def shapes() -> dict[str, np.ndarray]:
    """Electricity shapes (segment × 3 phases × 2 seasonalities) and gas shapes, each (variants, 8784)."""
    c = calendar()
    heat, cool = c["heat"][:, None], c["cool"][:, None]
    elec, gas = [], []
    for seg in range(4):
        for phase in (-1, 0, 1):
            for amp in (0.7, 1.3):
                if seg == 0:  # home
                    x = _by_hour(_RES_WORK, _RES_FREE, phase) * (1 + amp * (0.45 * heat + 0.3 * cool))
                elif seg == 1:  # second home: standby unless occupied
                    occ = c["free"] | c["holiday_home"]
                    x = _by_hour(_RES_FREE, _RES_FREE, phase) * np.where(occ, 1.0, 0.12)[:, None]
                    x = x * (1 + amp * 0.3 * heat)
                elif seg == 2:  # SME
                    x = _by_hour(_SME_WORK, _SME_FREE, phase) * (1 + amp * (0.15 * heat + 0.25 * cool))
                    x = x * np.where(c["month"] == 7, 0.75, 1.0)[:, None]
                else:  # Corporate: base load plus a working-day shift
                    x = 0.55 + 0.45 * _by_hour(_SME_WORK, [0.0] * 24, phase)
                    x = x * (1 + amp * (0.10 * heat + 0.20 * cool))
                elec.append(_normalise(x))
    for phase in (-1, 0, 1):
        day = np.roll(np.array(_GAS_DAY), phase)[None, :]
        gas.append(_normalise((0.12 + 1.3 * heat**1.2) * day * np.ones((DAYS, 1))))  # homes
        work = _by_hour(_SME_WORK, _SME_FREE, phase)
        gas.append(_normalise((0.20 + 1.0 * heat) * work))  # businesses
    return {"elec": np.stack(elec), "gas": np.stack(gas)}


def elec_variant(segment: np.ndarray, phase: np.ndarray, amp: np.ndarray) -> np.ndarray:
    """Row of ``shapes()['elec']`` for each customer (phase 0..2, amplitude 0..1)."""
    return segment.astype(np.int64) * 6 + phase * 2 + amp


def gas_variant(segment: np.ndarray, phase: np.ndarray) -> np.ndarray:
    return phase.astype(np.int64) * 2 + (segment >= 2)
