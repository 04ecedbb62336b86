"""Monitoring: data-quality checks per layer (``quality``, ``checks``); drift and alerts live beside them."""

from dataflow.monitor import drift

# the Hamilton node modules of the monitoring layer (the quality checks run outside the DAG)
MODULES = (drift,)
