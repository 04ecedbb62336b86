"""SpanishGas churn platform: the Hamilton dataflow (raw → bronze → silver → gold → models → offers)."""

import os

# XGBoost's OpenMP threads busy-wait by default, which slows fits 4–6× on a shared 2-core machine; set it
# before anything imports xgboost (Hamilton does so at import time).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
