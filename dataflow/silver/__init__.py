"""Silver layer: customers in business terms, interactions with intent and sentiment, and monthly margins.

Node modules for the Hamilton driver: ``customer``, ``interactions`` and ``customer_month``. ``prices``
(three-level imputation) and ``schema`` are helpers, not nodes.
"""

from dataflow.silver import customer, customer_month, interactions

MODULES = (customer, interactions, customer_month)

__all__ = ["MODULES", "customer", "customer_month", "interactions"]
