"""Node: what the utility dropped into raw/, fingerprinted (see :mod:`dataflow.inventory`)."""

from __future__ import annotations

from hamilton.function_modifiers import cache, tag

from dataflow.inventory import CONSUMPTION_FORMATS, RawFile, RawInventory, take_inventory

__all__ = ["CONSUMPTION_FORMATS", "RawFile", "RawInventory", "raw_inventory"]


@tag(layer="raw")
@cache(behavior="recompute")  # the files may change under the same lake_uri: always look again
def raw_inventory(lake_uri: str) -> RawInventory:
    """Every raw file this run reads, with its size and sha256 (recomputed each run, never trusted from cache)."""
    return take_inventory(lake_uri)
