"""The run cache keeps Polars frames as Arrow IPC and anything else pickled; both come back equal."""

from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from dataflow.cache_store import CacheMetadataStore, FrameResultStore


def test_frames_round_trip_as_arrow_ipc_and_other_values_as_pickle(tmp_path):
    store = FrameResultStore(path=str(tmp_path))
    frame = pl.DataFrame(
        {
            "customer_id": ["C1", "C2", None],
            "tier": pl.Series(
                ["Critical", "Low", "Low"], dtype=pl.Enum(["Critical", "High", "Medium", "Low"])
            ),
            "p": [0.25, None, 1.0],
            "at": [dt.datetime(2025, 1, 1, 3, tzinfo=dt.UTC), None, None],
            "months": [[1, 2], [], None],
        }
    )
    store.set("frame-v1", frame)
    assert (tmp_path / "frame-v1").read_bytes()[:6] == b"ARROW1"  # not a pickle
    assert_frame_equal(store.get("frame-v1"), frame)  # dtypes too: Enum, time zone, lists, nulls

    empty = pl.DataFrame(schema={"customer_id": pl.Utf8, "n": pl.Int64})
    store.set("empty-v1", empty)
    assert_frame_equal(store.get("empty-v1"), empty)

    store.set("dict-v1", {"threshold": 0.31, "dates": [dt.date(2024, 10, 1)]})
    assert store.get("dict-v1") == {"threshold": 0.31, "dates": [dt.date(2024, 10, 1)]}
    assert store.get("never-written") is None
    assert not list(tmp_path.glob("*.partial"))


def test_cache_keys_are_kept_in_write_ahead_log_mode(tmp_path):
    store = CacheMetadataStore(path=str(tmp_path))
    assert store.connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store.connection.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL


def test_frames_inside_other_results_come_back_equal(tmp_path):
    """A training split holds several frames: they are pickled as Arrow IPC inside it, and read by Hamilton's
    own unpickling."""
    from dataflow.model.training_set import TrainingSplit

    part = pl.DataFrame({"customer_id": ["C1", "C2"], "churned_within_horizon": [True, False]})
    split = TrainingSplit(
        train=part, validation=part.head(1), test=part.tail(1), plan={"test_date": "2024-10-01"}
    )
    store = FrameResultStore(path=str(tmp_path))
    store.set("split-v1", split)
    back = store.get("split-v1")
    assert isinstance(back, TrainingSplit) and back.plan == {"test_date": "2024-10-01"}
    assert_frame_equal(back.train, part)
    assert_frame_equal(back.test, part.tail(1))
    assert back.development.is_empty()
