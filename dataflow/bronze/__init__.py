"""Bronze layer: hourly readings summed to customer × month (2.0TD tariff periods, in DuckDB), one row per customer.

Node modules for the Hamilton driver: ``consumption`` (files, quarantine, customer-month, reconciliation) and
``customer``. ``source`` (reading the files) and ``tariff`` (periods, holidays) are helpers, not nodes.
"""

from dataflow.bronze import consumption, customer

MODULES = (consumption, customer)

__all__ = ["MODULES", "consumption", "customer"]
