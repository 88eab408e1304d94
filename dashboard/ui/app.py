"""The dashboard's entry point: ``streamlit run dashboard/ui/app.py`` (``impact serve`` does this)."""

from __future__ import annotations

import streamlit as st

from dashboard.io.users import may
from dashboard.ui import shared, signin

st.set_page_config(page_title="Attacks on civilian infrastructure", layout="wide")
shared.vendor_assets()
# Before any page: with IMPACT_AUTH=form an unsigned session gets the form and nothing else.
try:
    who = signin.gate(shared.settings())
except Exception as exc:  # a bad setting, an unreadable users file: a message, and no page runs
    shared.show_unexpected_error("sign-in", exc)
    st.stop()
page = st.navigation(
    [
        st.Page("overview.py", title="Map and totals", default=True),
        # Not in the menu of a role that may not import; by URL the page itself refuses it, on the server.
        st.Page(
            "import_page.py",
            title="Import data",
            url_path="import",
            visibility="visible" if may(who, "import") else "hidden",
        ),
        st.Page(
            "corrections_page.py",
            title="Corrections",
            url_path="corrections",
            visibility="visible" if may(who, "correct_records") else "hidden",
        ),
    ]
)
try:
    page.run()
except Exception as exc:  # st.stop and st.rerun are BaseExceptions and pass through
    shared.show_unexpected_error(page.url_path or "main", exc)
