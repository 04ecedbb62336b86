"""Where the run cache keeps node results and their keys.

Results: Polars frames as Arrow IPC files, everything else pickled as Hamilton does. Writing a frame as IPC takes
about a fifth of the time pickling it does (Polars pickles through its own serialiser) and needs no second copy
of the frame in memory; a cold default-size run writes ~80 frames. Keys: Hamilton's SQLite store in WAL mode,
so its commit after every node does not wait for the disk (the cache is rebuilt from the lake if ever lost).
"""

from __future__ import annotations

import contextlib
import io
import pickle
from typing import Any

import polars as pl
from hamilton.caching.stores.file import FileResultStore
from hamilton.caching.stores.sqlite import SQLiteMetadataStore

_IPC_MAGIC = b"ARROW1"  # the first bytes of every Arrow IPC file (a pickle starts with 0x80)


def _frame_from_ipc(data: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(data))


def _frame_to_ipc(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="uncompressed")
    return buffer.getvalue()


class _FramePickler(pickle.Pickler):
    """Pickles frames held inside other results (a training split, a source) as Arrow IPC bytes."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, pl.DataFrame):
            return _frame_from_ipc, (_frame_to_ipc(obj),)
        return NotImplemented


class FrameResultStore(FileResultStore):
    """Hamilton's file result store, with Polars frames written as uncompressed Arrow IPC (atomically: a crash
    leaves no half-written entry) and read back by their magic bytes."""

    def set(self, data_version: str, result: Any, saver_cls=None, loader_cls=None) -> None:
        if isinstance(result, pl.DataFrame) and saver_cls is None and loader_cls is None:
            self.path.mkdir(exist_ok=True, parents=True)
            path = self._path_from_data_version(data_version)
            partial = path.with_name(path.name + ".partial")
            try:
                result.write_ipc(partial, compression="uncompressed")
                partial.replace(path)
            finally:
                partial.unlink(missing_ok=True)
            return
        if saver_cls is not None or loader_cls is not None:
            super().set(data_version, result, saver_cls=saver_cls, loader_cls=loader_cls)
            return
        self.path.mkdir(exist_ok=True, parents=True)
        buffer = io.BytesIO()
        _FramePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(result)  # what Hamilton's load unpickles
        self._path_from_data_version(data_version).write_bytes(buffer.getvalue())

    def get(self, data_version: str) -> Any | None:
        path = self._path_from_data_version(data_version)
        with contextlib.suppress(FileNotFoundError), path.open("rb") as f:
            if f.read(len(_IPC_MAGIC)) == _IPC_MAGIC:
                return pl.read_ipc(path)
        return super().get(data_version)


class CacheMetadataStore(SQLiteMetadataStore):
    """Hamilton's SQLite store of cache keys, in write-ahead-log mode with ``synchronous=NORMAL``: a commit per
    node no longer syncs the disk (a crash may lose the last entries, never corrupt the file)."""

    def _get_connection(self):
        fresh = not hasattr(self._thread_local, "connection")
        connection = super()._get_connection()
        if fresh:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
        return connection
