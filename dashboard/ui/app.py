"""The dashboard's entry point: ``streamlit run dashboard/ui/app.py`` (``impact serve`` does this)."""

from __future__ import annotations

import streamlit as st

from dashboard.ui import shared

st.set_page_config(page_title="Attacks on civilian infrastructure", layout="wide")
shared.vendor_assets()
page = st.navigation(
    [
        st.Page("overview.py", title="Map and totals", default=True),
        st.Page("import_page.py", title="Import data", url_path="import"),
    ]
)
try:
    page.run()
except Exception as exc:  # st.stop and st.rerun are BaseExceptions and pass through
    shared.show_unexpected_error(page.url_path or "main", exc)
