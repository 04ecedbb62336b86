"""docs/nodes.md is generated from the DAG and kept current; every node carries the tags the run relies on."""

from __future__ import annotations

from dataflow import driver as dag
from dataflow.lineage import NODES_DOC, node_catalogue


def test_nodes_doc_is_current():
    assert NODES_DOC.read_text(encoding="utf-8") == node_catalogue(), (
        "docs/nodes.md is out of date: run `just nodes` (or `uv run spanishgas nodes`)"
    )


def test_every_node_is_in_the_doc_and_has_a_layer():
    dr = dag.build(cache=False)
    text = NODES_DOC.read_text(encoding="utf-8")
    nodes = [v for v in dr.list_available_variables() if not v.is_external_input]
    assert [v.name for v in nodes if f"| `{v.name}` |" not in text] == []
    assert {v.name: v.tags.get(dag.LAYER) for v in nodes if v.tags.get(dag.LAYER) not in dag.LAYERS} == {}


def test_published_nodes_come_from_tags():
    dr = dag.build(cache=False)
    outputs, quarantine = dag.run_outputs(dr), dag.quarantine_outputs(dr)
    assert outputs["gold_features"] == "gold" and outputs["scores"] == "scored"
    assert outputs["champion_candidate"] == "model" and outputs["drift"] == "monitoring"
    assert quarantine["quarantine_price_history"] == "price_history"
    assert set(quarantine.values()) == {
        "customer_attributes",
        "customer_contracts",
        "price_history",
        "costs_by_province_month",
        "customer_interactions",
        "churn_label",
        "consumption",
    }
    # the validation steps of a published node are not published themselves
    assert not any(n.endswith(("_raw", "_pandera_schema")) for n in outputs)
