"""Hourly meter readings (consumption_hourly_*): one row per customer per hour of the active period.

Generated month by month in blocks of customers (one block = one Parquet row group) with vectorised numpy;
each (month, block) has its own random stream, so months can be produced by parallel workers and the bytes
never depend on scheduling. Readings are rounded to meter precision (0.001) and carry the real extracts'
dirt: a few small negative electricity and gas readings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dataflow.generate import calibration as C
from dataflow.generate import loadshapes as L
from dataflow.generate import rng
from dataflow.generate.population import SEGMENTS

ROWS_PER_GROUP = 2_000_000
SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("timestamp", pa.timestamp("us")),
        ("consumption_elec_kwh", pa.float64()),
        ("consumption_gas_m3", pa.float64()),
    ]
)
T0_US = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
HOUR_US = 3_600_000_000
DAILY_SD = np.array([0.15, 0.25, 0.10, 0.05], np.float32)  # day-to-day wobble by segment


@dataclass
class Meters:
    """What the readings of each customer depend on (arrays in book order)."""

    ids: np.ndarray
    segment: np.ndarray
    elec: np.ndarray  # expected kWh over a full 2024
    gas: np.ndarray  # expected m³ over a full 2024
    start_h: np.ndarray  # first hour with a reading (hours from 2024-01-01 00:00)
    end_h: np.ndarray  # first hour without (exclusive)
    elec_shape: np.ndarray
    gas_shape: np.ndarray
    noise: np.ndarray
    seed: int


def meters(book: dict[str, np.ndarray], seed: int) -> Meters:
    """Reading parameters from the book; shape variants drawn from their own stream."""
    g = rng.stream(seed, rng.CONSUMPTION, 9999)
    n = len(book["segment"])
    phase, amp = g.integers(0, 3, n), g.integers(0, 2, n)
    seg = book["segment"]
    start = np.clip(book["activation"], 0, L.DAYS) * 24
    end = np.clip(book["churn_day"], 0, C.READINGS_END_DAY) * 24
    noise = np.array([C.NOISE_SD[s] for s in SEGMENTS], np.float32)[seg]
    return Meters(
        book["customer_id"],
        seg,
        book["elec_kwh_year"].astype(np.float32),
        book["gas_m3_year"].astype(np.float32),
        start.astype(np.int64),
        end.astype(np.int64),
        L.elec_variant(seg, phase, amp),
        L.gas_variant(seg, phase),
        noise,
        seed,
    )


def blocks(m: Meters, month: int) -> Iterator[tuple[int, np.ndarray]]:
    """(block number, customer indices) of the customers with readings in ``month`` (0 = January)."""
    h0, h1 = L.MONTH_START_DAY[month] * 24, L.MONTH_START_DAY[month + 1] * 24
    active = np.flatnonzero((m.start_h < h1) & (m.end_h > h0))
    per = max(1, ROWS_PER_GROUP // (h1 - h0))
    for b, lo in enumerate(range(0, len(active), per)):
        yield b, active[lo : lo + per]


class Buffers:
    """Reusable work arrays for one block (fresh allocations dominate the cost otherwise)."""

    def __init__(self, rows: int = ROWS_PER_GROUP + 744):
        self.f32 = [np.empty(rows, np.float32) for _ in range(3)]
        self.f64 = [np.empty(rows, np.float64) for _ in range(2)]
        self.ts = np.empty(rows, np.int64)
        self.idx = np.empty(rows, np.int32)


def _series(out, level, shape_rows, shape_month, daily_sd, noise_sd, g, z) -> np.ndarray:
    """level × shape × daily wobble × hourly noise, written into ``out`` as a (customers, hours) array."""
    n, nh = len(level), shape_month.shape[1]
    x = out[: n * nh].reshape(n, nh)
    np.take(shape_month, shape_rows, axis=0, out=x)
    x *= level[:, None]
    daily = np.exp(daily_sd[:, None] * g.standard_normal((n, nh // 24), dtype=np.float32))
    x.reshape(n, nh // 24, 24)[:] *= daily[:, :, None]
    zz = z[: n * nh].reshape(n, nh)
    g.standard_normal(out=zz, dtype=np.float32)
    # lognormal-like hourly noise, exp(sd·z − sd²/2) ≈ (1 + u/8)^8: cheap and always positive
    zz *= noise_sd[:, None] / 8
    zz += 1 - noise_sd[:, None] ** 2 / 16
    np.maximum(zz, 0.05, out=zz)
    for _ in range(3):
        np.multiply(zz, zz, out=zz)
    x *= zz
    return x


def _f64(buf: np.ndarray, x32: np.ndarray, keep: np.ndarray | None, tmp: np.ndarray) -> np.ndarray:
    """x rounded to thousandths, as float64 thousandths (values still ×1000), selected by ``keep``."""
    np.multiply(x32, 1000, out=x32)
    np.rint(x32, out=x32)
    flat = x32.reshape(-1)
    if keep is not None:
        k = int(keep.sum())
        np.compress(keep, flat, out=tmp[:k])
        flat = tmp[:k]
    out = buf[: len(flat)]
    out[:] = flat
    return out


def _arrow(kind, values: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])


def block_table(m: Meters, month: int, block: int, cust: np.ndarray, buf: Buffers | None = None) -> pa.Table:
    """The readings of customers ``cust`` in ``month`` as an Arrow table (one row group).

    The table's columns share memory with ``buf``: write it out before building the next block.
    """
    buf = buf or Buffers(len(cust) * 744)
    g = rng.stream(m.seed, rng.CONSUMPTION, month, block)
    h0, h1 = int(L.MONTH_START_DAY[month] * 24), int(L.MONTH_START_DAY[month + 1] * 24)
    n, nh = len(cust), h1 - h0
    shp = L.shapes()
    seg = m.segment[cust]
    elec = _series(
        buf.f32[0],
        m.elec[cust],
        m.elec_shape[cust],
        np.ascontiguousarray(shp["elec"][:, h0:h1]),
        DAILY_SD[seg],
        m.noise[cust],
        g,
        buf.f32[2],
    )
    gas = buf.f32[1][: n * nh].reshape(n, nh)
    gas[:] = 0
    gc = np.flatnonzero(m.gas[cust] > 0)
    if len(gc):
        gas[gc] = _series(
            np.empty(len(gc) * nh, np.float32),
            m.gas[cust][gc],
            m.gas_shape[cust][gc],
            np.ascontiguousarray(shp["gas"][:, h0:h1]),
            DAILY_SD[seg[gc]],
            np.full(len(gc), 0.25, np.float32),
            g,
            buf.f32[2],
        )
    hours = np.arange(h0, h1)
    partial = (m.start_h[cust] > h0) | (m.end_h[cust] < h1)
    keep = None
    if partial.any():
        keep = ((hours[None, :] >= m.start_h[cust, None]) & (hours[None, :] < m.end_h[cust, None])).reshape(
            -1
        )
    elec_v = _f64(buf.f64[0], elec, keep, buf.f32[2])
    gas_v = _f64(buf.f64[1], gas, keep, buf.f32[2])
    ts, idx = buf.ts[: n * nh].reshape(n, nh), buf.idx[: n * nh].reshape(n, nh)
    ts[:] = T0_US + hours.astype(np.int64)[None, :] * HOUR_US
    idx[:] = np.arange(n, dtype=np.int32)[:, None]
    ts, idx = ts.reshape(-1), idx.reshape(-1)
    if keep is not None:
        ts, idx = ts[keep], idx[keep]
    _dirt(g, elec_v, gas_v)
    elec_v /= 1000.0
    gas_v /= 1000.0
    ids = pa.DictionaryArray.from_arrays(_arrow(pa.int32(), idx), pa.array(m.ids[cust], pa.string()))
    return pa.table(
        [ids, _arrow(pa.timestamp("us"), ts), _arrow(pa.float64(), elec_v), _arrow(pa.float64(), gas_v)],
        names=SCHEMA.names,
    )


def _dirt(g: np.random.Generator, elec_wh: np.ndarray, gas_l: np.ndarray) -> None:
    """Meter dirt in place (values in thousandths): small negative readings."""
    n = len(elec_wh)
    pos = g.integers(0, n, g.binomial(n, C.P_NEG_ELEC)) if n else np.zeros(0, np.int64)
    pos = pos[elec_wh[pos] > 0]
    elec_wh[pos] = -np.maximum(np.rint(elec_wh[pos] * g.uniform(0.2, 1.0, len(pos))), 1)
    gas_rows = np.flatnonzero(gas_l > 0) if n else np.zeros(0, np.int64)
    k = g.binomial(n, C.P_NEG_GAS_ROW) if len(gas_rows) else 0
    if k:
        pos = gas_rows[g.integers(0, len(gas_rows), k)]
        gas_l[pos] = -np.clip(np.rint(g.exponential(C.NEG_GAS_MEAN * 1000, k)), 1, 230)


def active_hours(m: Meters) -> int:
    """Total number of hourly rows the book produces."""
    return int(np.clip(m.end_h - m.start_h, 0, None).sum())
