"""How a run holds its intermediate tables: each one only until the last node that reads it has started, and
in Hamilton's cache as Arrow files written straight from the frame (no in-memory copy).

Hamilton's task-based executor keeps every node's result in one dictionary until the run ends, so a run's
memory is the sum of all its tables (10 GB at 200,000 customers). :class:`ReleasingGraphExecutor` counts, per
result, the tasks that will read it and drops it after the last read; the values the caller asked for stay,
except those it said it takes care of itself as they are computed (``handed_off``: tables written to the run
folder by :class:`dataflow.staging.Publisher`), and collects the garbage once a task that dropped a result has
ended (Hamilton's per-task reference cycle would keep it in memory). The wiring is in
:func:`dataflow.driver.build`.
"""

from __future__ import annotations

import collections
import gc
import os
import pickle
from pathlib import Path
from typing import Any

import polars as pl
from hamilton.caching.stores.base import ResultRetrievalError
from hamilton.caching.stores.file import FileResultStore
from hamilton.caching.stores.sqlite import SQLiteMetadataStore
from hamilton.driver import TaskBasedGraphExecutor
from hamilton.execution import executors, graph_functions, grouping, state
from hamilton.execution.grouping import NodeGroupPurpose


class ReleasingResults(state.DictBasedResultCache):
    """Hamilton's result dictionary, minus every result whose readers have all been handed it.

    ``readers`` counts, per node name, the tasks of the plan that read it; a stored result (one per map item
    inside a map) is dropped after that many reads unless its name is in ``keep``. Results read by the map's
    own tasks, whose number is known only once the map expands, are in ``keep`` too (they are small: the file
    list and the run's inputs)."""

    def __init__(self, cache: dict[str, Any], readers: dict[str, int], keep: set[str]):
        super().__init__(cache)
        self.readers, self.keep = readers, keep
        self.remaining: dict[str, int] = {}  # stored key → reads still to come
        self.released: list[str] = []  # keys dropped, in order (for tests and debugging)
        self.collect = False  # a result was dropped: collect the garbage when the task that read it ends

    def write(
        self, results: dict[str, Any], group_id: str | None = None, spawning_task_id: str | None = None
    ):
        super().write(results, group_id, spawning_task_id)
        if self.collect:
            # Hamilton runs each task through a recursive closure (``execute_subdag.<locals>.dfs_traverse``),
            # a reference cycle that holds the task's inputs and results after it ends, until Python's
            # occasional full collection: at 200,000 customers up to 2 GB of dropped tables. The objects that
            # live through the run are frozen (:meth:`ReleasingGraphExecutor.execute`), so this takes < 1 ms.
            gc.collect()
            self.collect = False
        for name in results:
            if name not in self.keep and self.readers.get(name, 0) > 0:
                self.remaining[self._format_key(group_id, spawning_task_id, name)] = self.readers[name]

    def read(
        self,
        keys: list[str],
        group_id: str | None = None,
        spawning_task_id: str | None = None,
        optional: bool = False,
    ) -> dict[str, Any]:
        out = super().read(keys, group_id, spawning_task_id, optional)
        for name in out:
            key = self._format_key(group_id, spawning_task_id, name)
            if key in self.remaining:
                self.remaining[key] -= 1
                if self.remaining[key] == 0:
                    del self.remaining[key], self.cache[key]
                    self.released.append(key)
                    self.collect = True
        return out


def plan_readers(tasks: list[grouping.TaskSpec]) -> tuple[dict[str, int], set[str]]:
    """Per node name, how many tasks of the plan read it; and the names never to release (read by a map task,
    whose copies are made at run time, or produced by the step that expands a map)."""
    readers: collections.Counter[str] = collections.Counter()
    pinned: set[str] = set()
    for task in tasks:
        required, optional = task.get_input_vars()
        if task.purpose == NodeGroupPurpose.EXECUTE_BLOCK:
            pinned.update(required, optional)
        elif task.purpose.is_expander():
            pinned.update(n.name for n in task.nodes)
        readers.update([*required, *optional])
    return dict(readers), pinned


class ReleasingGraphExecutor(TaskBasedGraphExecutor):
    """Hamilton's task-based executor with a result dictionary that releases what no later task reads."""

    def __init__(self, base: TaskBasedGraphExecutor, handed_off: set[str] | frozenset[str] = frozenset()):
        super().__init__(base.execution_manager, base.grouping_strategy, base.adapter)
        self.handed_off = set(handed_off)
        self.last_results: ReleasingResults | None = None

    def execute(
        self, fg, final_vars: list[str], overrides: dict[str, Any], inputs: dict[str, Any], run_id: str
    ):
        """As Hamilton's, with the releasing result dictionary; returns the asked-for values not handed off."""
        inputs = graph_functions.combine_config_and_inputs(fg.config, inputs)
        transform_nodes, user_nodes = fg.get_upstream_nodes(
            final_vars, runtime_inputs=inputs, runtime_overrides=overrides
        )
        groups = self.grouping_strategy.group_nodes(list(set(transform_nodes).union(user_nodes)))
        tasks = grouping.create_task_plan(groups, final_vars, overrides, self.adapter)
        readers, pinned = plan_readers(tasks)
        keep = pinned | (set(final_vars) - self.handed_off)
        results = self.last_results = ReleasingResults({**overrides, **inputs}, readers, keep)
        if self.adapter.does_hook("post_task_group", is_async=False):
            self.adapter.call_all_lifecycle_hooks_sync(
                "post_task_group", run_id=run_id, task_ids=[t.base_id for t in tasks]
            )
        gc.collect()
        gc.freeze()  # the libraries' and the graph's objects: not scanned by the collections after each task
        try:
            executors.run_graph_to_completion(
                state.ExecutionState(tasks, results, run_id), self.execution_manager
            )
        finally:
            gc.unfreeze()
        return results.read([v for v in final_vars if v not in self.handed_off or v in results.cache])


# ---- Hamilton's cache, with tables as Arrow files ----------------------------------------------------------
class _FramePickler(pickle.Pickler):
    """Pickles a value, writing every Polars table in it to its own Arrow IPC file next to the pickle."""

    def __init__(self, file, stem: Path):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.stem, self.parts = stem, 0

    def persistent_id(self, obj: Any) -> str | None:
        if isinstance(obj, pl.DataFrame):
            name = f"{self.stem.name}.{self.parts}.arrow"
            self.parts += 1
            obj.write_ipc(self.stem.parent / name, compression="uncompressed")
            return name
        return None


class _FrameUnpickler(pickle.Unpickler):
    def __init__(self, file, folder: Path):
        super().__init__(file)
        self.folder = folder

    def persistent_load(self, pid: str) -> pl.DataFrame:
        return pl.read_ipc(self.folder / pid)


class FrameResultStore(FileResultStore):
    """Hamilton's file result store, streaming: a result is pickled straight to its file and every Polars table
    in it is written as an Arrow file, where Hamilton's own store pickles the whole result into memory first
    (a second copy of the largest tables). A result is visible only once all its files are written."""

    def set(self, data_version: str, result: Any, saver_cls=None, loader_cls=None) -> None:
        if saver_cls is not None or loader_cls is not None:  # a node with @cache(format=…): Hamilton's way
            return super().set(data_version, result, saver_cls, loader_cls)
        self.path.mkdir(parents=True, exist_ok=True)
        final = self._path_from_data_version(data_version)
        if final.exists():
            # the same data version is the same content, written whole (the file appears last): a checked
            # table and its unchecked original (``@check_output_custom``) are one table, stored once
            return
        partial = final.with_name(f"{final.name}.{os.getpid()}.partial")
        with partial.open("wb") as fh:
            _FramePickler(fh, final).dump(result)
        partial.replace(final)

    def get(self, data_version: str) -> Any | None:
        path = self._path_from_data_version(data_version)
        try:
            with path.open("rb") as fh:
                return _FrameUnpickler(fh, self.path).load()
        except FileNotFoundError:
            return None
        except (pickle.UnpicklingError, EOFError, OSError, AttributeError, ImportError) as exc:
            raise ResultRetrievalError(f"cached result {path.name} is unreadable: {exc}") from exc

    def delete(self, data_version: str) -> None:
        path = self._path_from_data_version(data_version)
        for part in self.path.glob(f"{path.name}.*.arrow"):
            part.unlink(missing_ok=True)
        path.unlink(missing_ok=True)


class CacheMetadataStore(SQLiteMetadataStore):
    """Hamilton's SQLite store of cache keys, in write-ahead-log mode with ``synchronous=NORMAL``: its commit
    after every node no longer waits for the disk (a crash may lose the last entries, never corrupt the file;
    the cache is rebuilt from the lake if ever lost)."""

    def _get_connection(self):
        fresh = not hasattr(self._thread_local, "connection")
        connection = super()._get_connection()
        if fresh:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
        return connection
