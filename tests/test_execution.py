"""A run holds each result only until its last reader has started, keeps what it was asked for, and caches
tables as Arrow files that come back equal."""

from __future__ import annotations

import dataclasses
import sys
import types

import polars as pl
import pytest
from hamilton.function_modifiers import tag
from polars.testing import assert_frame_equal

from dataflow import driver as dag
from dataflow.execution import FrameResultStore, ReleasingResults


def _module() -> types.ModuleType:
    """a → b, a → c, (b, c) → d: ``a`` has two readers, ``b`` and ``c`` one each."""
    mod = types.ModuleType("release_dag")

    @tag(layer="raw")
    def a(n: int) -> pl.DataFrame:
        return pl.DataFrame({"x": list(range(n))})

    @tag(layer="raw")
    def b(a: pl.DataFrame) -> pl.DataFrame:
        return a.with_columns(y=pl.col("x") * 2)

    @tag(layer="raw")
    def c(a: pl.DataFrame) -> int:
        return a.height

    @tag(layer="raw")
    def d(b: pl.DataFrame, c: int) -> int:
        return int(b["y"].sum()) + c

    for f in (a, b, c, d):
        f.__module__ = mod.__name__
        setattr(mod, f.__name__, f)
    sys.modules[mod.__name__] = mod
    return mod


def test_results_are_dropped_after_their_last_reader_and_asked_for_ones_kept():
    dr = dag.build([_module()], cache=False)
    out = dr.execute(["d", "b"], inputs={"n": 4})
    assert set(out) == {"d", "b"} and out["d"] == 2 * (0 + 1 + 2 + 3) + 4
    assert out["b"]["y"].to_list() == [0, 2, 4, 6]
    results = dr.graph_executor.last_results
    # a: read by b and c, then dropped; c: read by d, dropped; b and d: asked for, kept
    assert sorted(results.released) == ["a", "c"]
    assert "a" not in results.cache and "c" not in results.cache and "b" in results.cache


def test_handed_off_results_are_released_and_not_returned():
    dr = dag.build([_module()], cache=False)
    dag.hand_off(dr, {"b"})
    out = dr.execute(["d", "b"], inputs={"n": 4})
    assert set(out) == {"d"} and out["d"] == 16
    assert "b" in dr.graph_executor.last_results.released


def test_counting_is_per_stored_key():
    cache = ReleasingResults({}, readers={"t": 2}, keep={"kept"})
    cache.write({"t": 1, "kept": 2})
    cache.read(["t"])
    assert "t" in cache.cache
    cache.read(["t", "kept"])
    assert "t" not in cache.cache and cache.cache["kept"] == 2
    with pytest.raises(KeyError):
        cache.read(["t"])


@dataclasses.dataclass
class _Box:
    frames: dict
    note: str


def test_frame_store_round_trip_writes_tables_as_arrow_files(tmp_path):
    store = FrameResultStore(str(tmp_path / "results"))
    big = pl.DataFrame({"id": ["a", "b", None], "v": [1.5, None, 3.0]})
    value = _Box({"kept": big, "empty": pl.DataFrame(schema={"z": pl.Int8})}, "hello")
    store.set("v1", value)
    assert store.exists("v1")
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["v1", "v1.0.arrow", "v1.1.arrow"]
    back = store.get("v1")
    assert back.note == "hello"
    assert_frame_equal(back.frames["kept"], big)
    assert_frame_equal(back.frames["empty"], value.frames["empty"])
    assert store.get("missing") is None
    store.delete("v1")
    assert list((tmp_path / "results").iterdir()) == []


def test_cached_run_is_served_from_arrow_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SPANISHGAS_CACHE", str(tmp_path / "cache"))
    mod = _module()
    first = dag.build([mod])
    assert first.execute(["d"], inputs={"n": 5})["d"] == 2 * 10 + 5
    again = dag.build([mod])
    assert again.execute(["b"], inputs={"n": 5})["b"]["y"].to_list() == [0, 2, 4, 6, 8]
    assert dag.executed_nodes(again) == []  # a and b came back from the Arrow files


def test_a_dropped_table_is_freed_before_the_next_task_even_without_automatic_collection():
    """Hamilton's per-task closure is a reference cycle that keeps a task's inputs alive after it ends; the
    executor collects it once a task that dropped a result has ended, so ``a`` is gone by the time ``d`` runs
    (with Python's automatic collection off, as it mostly is between the rare full collections of a run)."""
    import gc
    import weakref

    alive: dict[str, bool] = {}
    mod = types.ModuleType("freed_dag")
    seen: list[weakref.ref] = []

    @tag(layer="raw")
    def a(n: int) -> pl.DataFrame:
        frame = pl.DataFrame({"x": list(range(n))})
        seen.append(weakref.ref(frame))
        return frame

    @tag(layer="raw")
    def b(a: pl.DataFrame) -> int:
        return a.height

    @tag(layer="raw")
    def d(b: int) -> int:
        alive["a when d runs"] = seen[0]() is not None
        return b

    for f in (a, b, d):
        f.__module__ = mod.__name__
        setattr(mod, f.__name__, f)
    sys.modules[mod.__name__] = mod
    dr = dag.build([mod], cache=False)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        assert dr.execute(["d"], inputs={"n": 5})["d"] == 5
    finally:
        if was_enabled:
            gc.enable()
    assert dr.graph_executor.last_results.released == ["a", "b"]
    assert alive == {"a when d runs": False}
    assert gc.get_freeze_count() == 0  # the run unfroze what it froze
