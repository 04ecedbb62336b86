"""The run cache: tables of every dtype the pipeline uses come back equal from their Arrow files, and the cache
keys are kept in SQLite's write-ahead-log mode."""

from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from dataflow.execution import CacheMetadataStore, FrameResultStore


def test_frames_of_every_dtype_round_trip(tmp_path):
    store = FrameResultStore(str(tmp_path))
    frame = pl.DataFrame(
        {
            "customer_id": ["C1", "C2", None],
            "tier": pl.Series(
                ["Critical", "Low", "Low"], dtype=pl.Enum(["Critical", "High", "Medium", "Low"])
            ),
            "p": [0.25, None, 1.0],
            "at": [dt.datetime(2025, 1, 1, 3, tzinfo=dt.UTC), None, None],
            "day": [dt.date(2024, 10, 1), None, dt.date(2025, 1, 1)],
            "months": [[1, 2], [], None],
        }
    )
    store.set("frame-v1", frame)
    assert_frame_equal(store.get("frame-v1"), frame)  # dtypes too: Enum, time zone, lists, nulls
    assert not list(tmp_path.glob("*.partial"))


def test_cache_keys_are_kept_in_write_ahead_log_mode(tmp_path):
    store = CacheMetadataStore(path=str(tmp_path))
    assert store.connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store.connection.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
