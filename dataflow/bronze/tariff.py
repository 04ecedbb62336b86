"""Spanish 2.0TD time-of-use periods (punta / llano / valle) on local clock time, and national holidays.

Working days: peak 10–14 h and 18–22 h, standard 8–10 h, 14–18 h and 22–24 h, off-peak 0–8 h.
Saturdays, Sundays and national holidays are off-peak all day. Timestamps are the meter's local clock
time, so no time-zone conversion happens anywhere. Holidays are the national ones of the ``holidays``
package (``subdiv=None``), which includes Good Friday and excludes regional days such as Holy Thursday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import holidays

PEAK_HOURS = frozenset({10, 11, 12, 13, 18, 19, 20, 21})
STANDARD_HOURS = frozenset({8, 9, 14, 15, 16, 17, 22, 23})
OFFPEAK_HOURS = frozenset(range(24)) - PEAK_HOURS - STANDARD_HOURS  # 0–8 h

# Hour classes of the hourly calendar; class 3 is kept apart so holiday hours can be counted.
PEAK, STANDARD, OFFPEAK, HOLIDAY = 0, 1, 2, 3
CLASSES_PER_MONTH = 4
HOUR_US = 3_600_000_000  # microseconds in an hour


def national_holidays(years: Iterable[int]) -> list[dt.date]:
    """Spain's national public holidays in the given years (no regional or local ones), sorted."""
    years = sorted(set(years))
    if not years:
        return []
    return sorted(holidays.Spain(years=years, subdiv=None).keys())


def tariff_period(ts: dt.datetime, holiday_dates: Iterable[dt.date]) -> str:
    """The 2.0TD period of one local clock hour: 'peak', 'standard' or 'offpeak'."""
    if ts.isoweekday() >= 6 or ts.date() in set(holiday_dates):
        return "offpeak"
    if ts.hour in PEAK_HOURS:
        return "peak"
    return "standard" if ts.hour in STANDARD_HOURS else "offpeak"


def _hours(hours: frozenset[int]) -> str:
    return ", ".join(str(h) for h in sorted(hours))


def hour_calendar_sql(first: dt.datetime, last: dt.datetime) -> str:
    """SQL for one row per clock hour from ``first`` to ``last``: the hour (``ts``), its class
    ``c`` = month number × 4 + hour class, and its position in the month (``hm``, 0–743)."""
    first_h = int((first - dt.datetime(1970, 1, 1)).total_seconds() // 3600)
    last_h = int((last - dt.datetime(1970, 1, 1)).total_seconds() // 3600)
    days = national_holidays(range(first.year, last.year + 1))
    is_holiday = f"ts::DATE IN ({', '.join(f'DATE {d.isoformat()!r}' for d in days)})" if days else "FALSE"
    return f"""
        WITH x AS (SELECT range AS hh, make_timestamp(range * {HOUR_US}) AS ts
                   FROM range({first_h}, {last_h + 1}))
        SELECT ts,
               ((year(ts) * 12 + month(ts) - 1) * {CLASSES_PER_MONTH} + CASE
                   WHEN {is_holiday} THEN {HOLIDAY}
                   WHEN isodow(ts) >= 6 THEN {OFFPEAK}
                   WHEN hour(ts) IN ({_hours(PEAK_HOURS)}) THEN {PEAK}
                   WHEN hour(ts) IN ({_hours(STANDARD_HOURS)}) THEN {STANDARD}
                   ELSE {OFFPEAK} END)::INTEGER AS c,
               ((epoch_us(ts) - epoch_us(date_trunc('month', ts))) // {HOUR_US})::SMALLINT AS hm
        FROM x"""
