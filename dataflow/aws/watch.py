"""Watch ``raw/`` and start ONE run per completed upload: the local stand-in for the S3 -> EventBridge rule.

The rule is the same as in AWS (terraform/scheduler.tf): an upload is complete when ``raw/_READY`` is written,
last, after every data file (``spanishgas generate`` does this; uploaders must too). The watcher starts a run
when that marker appears or is rewritten and the listing has then stayed unchanged for ``debounce_s`` seconds;
data files changing without a new marker start nothing.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from dataflow.config import RAW_PREFIX, READY_KEY
from dataflow.lake import Lake, LakeError, LocalLake, S3Lake, lake_uri

log = logging.getLogger("spanishgas.watch")
Listing = dict[str, tuple]


def raw_listing(lake: Lake) -> Listing:
    """Every key under ``raw/`` with what identifies a write: (size, ETag, time) on S3, (size, mtime) locally."""
    if isinstance(lake, S3Lake):
        prefix = f"{lake.prefix}/{RAW_PREFIX}" if lake.prefix else RAW_PREFIX
        strip = len(lake.prefix) + 1 if lake.prefix else 0
        out: Listing = {}
        try:
            for page in lake.client.get_paginator("list_objects_v2").paginate(
                Bucket=lake.bucket, Prefix=prefix
            ):
                for obj in page.get("Contents", []):
                    # the time too: a marker rewritten with the same bytes is a new upload batch
                    out[obj["Key"][strip:]] = (
                        obj["Size"],
                        obj.get("ETag", ""),
                        str(obj.get("LastModified", "")),
                    )
        except Exception as exc:  # botocore errors: report as a lake problem
            raise LakeError(f"cannot list {lake.uri_of(RAW_PREFIX)}: {exc}") from exc
        return out
    if isinstance(lake, LocalLake):
        out = {}
        for key in lake.list(RAW_PREFIX):
            st = (lake.root / key).stat()
            out[key] = (st.st_size, st.st_mtime_ns)
        return out
    return {key: (lake.size(key), None) for key in lake.list(RAW_PREFIX)}


def _default_run(uri: str) -> Any:
    from dataflow.pipeline import run_pipeline  # lazy: the watcher must not import the whole pipeline

    return run_pipeline(uri)


class Watcher:
    """One poll at a time: remembers the last listing, when it last changed, and which marker already ran."""

    def __init__(
        self,
        uri: str,
        *,
        debounce_s: float = 60,
        run: Callable[[str], Any] | None = None,
        progress: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.uri = uri
        self.lake = Lake.open(uri)
        self.debounce_s, self.run, self.progress, self.clock = (
            debounce_s,
            run or _default_run,
            progress,
            clock,
        )
        self._last: Listing | None = None
        self._changed_at = 0.0
        self._handled: tuple | None = None  # identity of the raw/_READY marker last run
        self.results: list[Any] = []  # what each triggered run returned (or the exception it raised)

    def poll(self) -> bool:
        """List ``raw/`` once; start a run if it changed and has been stable long enough. True if it ran."""
        try:
            listing = raw_listing(self.lake)
        except LakeError as exc:
            self.progress(f"watch: {exc}; will retry")
            return False
        now = self.clock()
        marker = listing.get(READY_KEY)
        if listing != self._last:
            self._last, self._changed_at = listing, now
            if marker is None and listing:
                self.progress(
                    f"watch: raw/ changed ({len(listing)} files); no {READY_KEY} yet: upload not complete"
                )
            elif marker is not None and marker != self._handled:
                self.progress(
                    f"watch: {READY_KEY} written ({len(listing) - 1} files); waiting {self.debounce_s:g}s "
                    "for raw/ to stay still"
                )
            return False
        if marker is None or marker == self._handled or now - self._changed_at < self.debounce_s:
            return False
        self._handled = marker
        self.progress(f"watch: upload complete ({READY_KEY}, {len(listing) - 1} files): starting a run")
        try:
            result = self.run(self.uri)
            self.progress(
                f"watch: run {getattr(result, 'run_id', '?')} ended: {getattr(result, 'status', result)}"
            )
        except Exception as exc:  # noqa: BLE001 - the watcher outlives a failed run; the next upload retries
            log.exception("run on %s failed", self.uri)
            self.progress(f"watch: run failed: {type(exc).__name__}: {exc}")
            result = exc
        self.results.append(result)
        return True


def wait_until_settled(
    uri: str | None = None,
    *,
    quiet_s: float = 60,
    timeout_s: float = 900,
    poll_s: float = 10,
    progress: Callable[[str], None] = print,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Listing:
    """Block until ``raw/`` is non-empty and unchanged for ``quiet_s`` (for a run started by an S3 event)."""
    lake = Lake.open(lake_uri(uri))
    start = clock()
    last, since = raw_listing(lake), clock()
    while not last or clock() - since < quiet_s:
        if clock() - start > timeout_s:
            raise LakeError(
                f"{lake.uri_of(RAW_PREFIX)} did not settle within {timeout_s:g}s "
                f"({len(last)} files, still changing or empty)"
            )
        sleep(poll_s)
        listing = raw_listing(lake)
        if listing != last:
            progress(f"raw/ is still changing ({len(listing)} files); waiting {quiet_s:g}s more")
            last, since = listing, clock()
    return last


def watch(
    uri: str | None = None,
    *,
    interval_s: float = 30,
    debounce_s: float = 60,
    once: bool = False,
    run: Callable[[str], Any] | None = None,
    progress: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    max_polls: int | None = None,
) -> list[Any]:
    """Poll ``<lake>/raw/`` every ``interval_s``; return the runs' results when stopped (or after one if ``once``)."""
    w = Watcher(lake_uri(uri), debounce_s=debounce_s, run=run, progress=progress)
    progress(f"watch: polling {w.lake.uri_of(RAW_PREFIX)} every {interval_s:g}s (debounce {debounce_s:g}s)")
    stop = stop or threading.Event()
    polls = 0
    while not stop.is_set():
        ran = w.poll()
        polls += 1
        if (once and ran) or (max_polls is not None and polls >= max_polls):
            break
        stop.wait(interval_s)
    return w.results


def main(argv: list[str] | None = None) -> int:
    """``python -m dataflow.aws.watch``: the same as ``spanishgas watch``."""
    p = argparse.ArgumentParser(prog="spanishgas watch", description=__doc__.splitlines()[0])
    p.add_argument(
        "--lake", default=None, help="lake folder or s3://bucket/prefix (default: $SPANISHGAS_LAKE)"
    )
    p.add_argument("--interval", type=float, default=30, help="seconds between polls (default 30)")
    p.add_argument("--debounce", type=float, default=60, help="seconds raw/ must stay unchanged (default 60)")
    p.add_argument("--once", action="store_true", help="exit after the first run")
    a = p.parse_args(argv)
    try:
        results = watch(a.lake, interval_s=a.interval, debounce_s=a.debounce, once=a.once)
    except KeyboardInterrupt:
        return 130
    return 1 if any(isinstance(r, Exception) or getattr(r, "status", "") == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
