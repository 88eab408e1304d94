"""A record's history beside it: who changed what, when and why, for the roles that may correct records.

Shown under the incident table for the row chosen there (``overview.py``), and the same
table the Corrections page shows (``dashboard.store.corrections.record_history``).
"""

from __future__ import annotations

import streamlit as st

from dashboard.io.users import Identity, may
from dashboard.store import corrections
from dashboard.ui import shared


def show_history(who: Identity, record_id: str) -> None:
    """An expander with the history of incident ``record_id``, only for a role that may correct records."""
    if not may(who, "correct_records"):
        return  # viewers read the records, not who changed them
    engine = shared.engine(shared.settings().db_url)
    try:
        _, changes = corrections.record_history(engine, record_id, "incidents")
    except corrections.UnknownRecord:
        return
    count = f"{len(changes):,} change{'' if len(changes) == 1 else 's'}"
    with st.expander(f"History of {record_id} ({count})", expanded=False):
        st.dataframe(changes, hide_index=True, width="stretch")
        st.caption("To correct or retract it: the Corrections page, or impact correct / impact retract on the server.")
