"""The corrections page: find a record, read its fields and history, correct a field, retract or restore it.

Analysts only (checked on the server before anything runs, like the import page); the same
functions as ``impact correct|retract|restore|history`` (``dashboard.store.corrections``).
Record text is shown in dataframes and ``st.text``, never as Markdown.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.records.edits import BadEdit
from dashboard.records.safe_text import markdown_text
from dashboard.records.schemas import SCHEMAS
from dashboard.store import corrections
from dashboard.store.audit import RETRACTABLE
from dashboard.ui import shared, signin

who = signin.require("correct_records")
settings = shared.settings()
engine = shared.engine(settings.db_url)
_, _, records = shared.current(who.role)

st.title("Corrections")
st.caption(
    "Correct a record's fields or retract it, with a reason. The source's own values stay stored: "
    "a re-import never overwrites a correction, and lists any conflict. Every change is in the record's history."
)

retracted = records.retracted
with st.expander(f"Retracted records ({len(retracted):,})", expanded=False):
    if retracted.empty:
        st.text("None: every record counts in the totals.")
    else:
        st.dataframe(retracted, hide_index=True, width="stretch")

record_id = st.text_input("Record id", max_chars=200, placeholder="e.g. inc-001, imp-003, a registry asset id").strip()
if not record_id:
    st.stop()
try:
    table = corrections.find_table(engine, record_id)
except corrections.UnknownRecord:
    st.error(markdown_text(f"No record has the id {record_id!r}."))
    st.stop()
except BadEdit as exc:
    # An id two tables use: the page asks which.
    table = st.selectbox("Table", list(SCHEMAS), help=markdown_text(str(exc)))

state = "retracted" if (retracted["record_id"].eq(record_id) & retracted["table_name"].eq(table)).any() else "in force"
st.text(f"{table} {record_id} ({state})")
fields, history = st.columns([1, 1])
current = corrections.current_text(engine, table, record_id)
fields.subheader("Fields")
fields.dataframe(pd.DataFrame({"field": list(current), "value": list(current.values())}), hide_index=True)
history.subheader("History")
_, changes = corrections.record_history(engine, record_id, table)
history.dataframe(changes, hide_index=True, width="stretch")

if not settings.allow_writes:
    st.info("Changes are turned off on this server (IMPACT_ALLOW_WRITES): the records can be read, not corrected.")
    st.stop()

key = SCHEMAS[table].key
with st.form("correct", clear_on_submit=False):
    st.subheader("Correct a field")
    field = st.selectbox("Field", [name for name in SCHEMAS[table].columns if name != key])
    value = st.text_input("New value (blank clears it)", max_chars=20_000)
    reason = st.text_area("Reason", max_chars=2000, placeholder="e.g. OCHA flash update no. 3 gives 7 injured")
    if st.form_submit_button("Save correction", type="primary"):
        try:
            made = corrections.correct(
                engine, table, record_id, {field: value}, reason, signin.require("correct_records").name
            )
        except BadEdit as exc:
            st.error(markdown_text(str(exc)))
        else:
            st.success("Saved." if made else "Already so: nothing changed.")
            if made:
                st.rerun()

if table in RETRACTABLE:
    with st.form("retraction"):
        retracting = state == "in force"
        st.subheader("Retract this record" if retracting else "Restore this record")
        why = st.text_area("Reason", max_chars=2000, key="retraction_reason")
        if st.form_submit_button("Retract" if retracting else "Restore"):
            action = corrections.retract if retracting else corrections.restore
            try:
                action(engine, table, record_id, why, signin.require("correct_records").name)
            except BadEdit as exc:
                st.error(markdown_text(str(exc)))
            else:
                st.rerun()
