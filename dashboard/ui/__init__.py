"""Streamlit pages. Layout only: every number comes from the core modules."""
