"""The Streamlit dashboard: `streamlit run app/streamlit_app.py` (or `spanishgas dashboard`)."""
