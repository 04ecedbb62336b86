"""Lineage answered from the DAG itself: what a node or raw file feeds, and what it depends on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dataflow import driver as dag
from dataflow.config import RAW_FILES
from dataflow.errors import UserError

# a raw file name → the node that reads it
RAW_FILE_NODES = {filename: f"raw_{dataset}" for dataset, filename in RAW_FILES.items()}
INPUT_NAMES = {
    "lake_uri",
    "legacy_label_as_of",
    "legacy_label_horizon_days",
    "scoring_date_override",
    "sentiment_backend",
}


def node_for(name: str) -> str:
    """Accept a node name, a raw file name (price_history.csv) or a consumption file name."""
    base = Path(name).name
    if base in RAW_FILE_NODES:
        return RAW_FILE_NODES[base]
    if base.startswith("consumption_hourly"):
        return "raw_consumption"
    return name


@dataclass
class Lineage:
    """Upstream and downstream nodes of one node."""

    name: str
    node: str
    upstream: list[str]
    downstream: list[str]
    doc: str

    def describe(self) -> str:
        head = self.name if self.name == self.node else f"{self.name} (read by node {self.node})"
        lines = [head, f"  {self.doc}" if self.doc else ""]
        lines.append(f"depends on ({len(self.upstream)}): " + (", ".join(self.upstream) or "nothing"))
        lines.append(f"feeds ({len(self.downstream)}): " + (", ".join(self.downstream) or "nothing"))
        return "\n".join(line for line in lines if line)


def lineage(name: str) -> Lineage:
    """What the node (or raw file) depends on and what depends on it, from the DAG."""
    dr = dag.build(cache=False)
    node = node_for(name)
    known = {v.name: v for v in dr.list_available_variables()}
    if node not in known:
        close = sorted(n for n in known if name.split(".")[0] in n)[:8]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UserError(f"no node or raw file called {name!r} in the DAG.{hint}")
    up = sorted(v.name for v in dr.what_is_upstream_of(node) if v.name != node)
    down = sorted(v.name for v in dr.what_is_downstream_of(node) if v.name != node)
    return Lineage(
        name,
        node,
        up,
        down,
        (known[node].documentation or "").strip().splitlines()[0:1][0] if known[node].documentation else "",
    )


def render_dag(out: str | Path) -> Path:
    """Draw the whole DAG to an image file (format from the suffix; needs the graphviz `dot` binary)."""
    import shutil

    if shutil.which("dot") is None:
        raise UserError("rendering the DAG needs Graphviz: install it (Debian: apt-get install graphviz)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    dr = dag.build(cache=False)
    if not out.suffix:
        out = out.with_suffix(".png")
    # Hamilton infers the format from the suffix and writes exactly this file
    dr.display_all_functions(str(out), graphviz_kwargs={"graph_attr": {"rankdir": "LR"}})
    return out
