"""SpanishGas churn dashboard: eight pages over the lake's published run (``$SPANISHGAS_LAKE``)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/streamlit_app.py` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

from app import components as ui  # noqa: E402
from app import data  # noqa: E402

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/data_explorer.py", title="Data Explorer", icon=":material/table_view:"),
    st.Page("app_pages/model_performance.py", title="Model Performance", icon=":material/insights:"),
    st.Page("app_pages/customer_risk.py", title="Customer Risk", icon=":material/warning:"),
    st.Page("app_pages/customer_lookup.py", title="Customer Lookup", icon=":material/person_search:"),
    st.Page("app_pages/recommendations.py", title="Recommendations", icon=":material/local_offer:"),
    st.Page("app_pages/drift_monitor.py", title="Drift Monitor", icon=":material/monitoring:"),
    st.Page("app_pages/pipeline_status.py", title="Pipeline Status", icon=":material/account_tree:"),
]

st.set_page_config(page_title="SpanishGas churn", page_icon="⚡", layout="wide")
page = st.navigation(PAGES)
run = data.current()
with st.sidebar:
    st.markdown("### SpanishGas churn")
    st.caption(f"Lake: `{data.uri()}`")
    st.caption(f"Run: `{run.run_id}`" if run else "Run: none published yet")

if run is None:
    ui.no_run_page(
        page.title, data.uri(), data.pointer(data.uri())[1], next(iter(data.manifests(data.uri())), None)
    )
else:
    page.run()
