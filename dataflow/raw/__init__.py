"""Raw layer: the utility's extracts read against the contract — typed rows kept, bad rows quarantined.

Node modules (give them all to the Hamilton driver): ``inventory`` (which files, fingerprints),
``market`` (costs, prices), ``customers`` (attributes, contracts), ``interactions``, ``labels``,
``reconciliation`` (rows in = kept + quarantined; value notes). Each dataset X yields ``raw_X``,
``quarantine_X`` and ``audit_X``. Row rules: :mod:`dataflow.contract`; machinery: :mod:`dataflow.validation`.
"""

from dataflow.raw import customers, interactions, inventory, labels, market, reconciliation

MODULES = (inventory, market, customers, interactions, labels, reconciliation)

__all__ = ["MODULES", "customers", "interactions", "inventory", "labels", "market", "reconciliation"]
