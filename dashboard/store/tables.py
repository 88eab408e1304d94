"""The store's tables: one per record schema, plus what the store keeps about the records.

Beside the record tables (column for column as ``records/schemas.py`` defines them) the
store keeps the text of each source document, the batch log (one row per write: the
store's version), the link decisions (``store.links``) and the audit trail
(``store.audit``: every change of a record with who, when, old and new value and why; the
analysts' corrections and retractions, applied when records are read). Every schema change
here needs an Alembic revision in ``migrations/versions/`` (``tests/test_migrations.py``).
"""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.records.schemas import SCHEMAS

metadata = sa.MetaData()
TABLES: dict[str, sa.Table] = {
    name: sa.Table(
        name,
        metadata,
        *(
            sa.Column(
                column,
                spec.column_kind.sql_type(),
                primary_key=(column == schema.key),
                nullable=column != schema.key,
            )
            for column, spec in schema.columns.items()
        ),
    )
    for name, schema in SCHEMAS.items()
}
# The text of each source's document as it was when its records were imported (whitespace
# collapsed), so a later import checks its quotes against it wherever the file now is, and an
# upload that may name no file can still cite a stored source.
source_documents = sa.Table(
    "source_documents",
    metadata,
    sa.Column("source_id", sa.String(200), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)
import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=True),
    sa.Column("unchanged", sa.Integer, nullable=True),
    sa.Column("duplicates", sa.Integer, nullable=True),
    sa.Column("format", sa.String(32), nullable=True),
    # Who wrote the batch (revision 0004): the signed-in user of the page, or the shell's user.
    sa.Column("user_name", sa.String(200), nullable=True),
)
# The columns the filters and record links read (revision 0002).
for _name, _table, _columns in (
    ("ix_incidents_event_date", "incidents", ["event_date"]),
    ("ix_incidents_oblast_iso", "incidents", ["oblast_iso"]),
    ("ix_impacts_incident_id", "impacts", ["incident_id"]),
    ("ix_impacts_asset_id", "impacts", ["asset_id"]),
    ("ix_salvos_launch_date", "salvos", ["launch_date"]),
):
    sa.Index(_name, *(TABLES[_table].c[column] for column in _columns))
# Proposed links from an impact's unnamed asset to a registry facility, and the decisions on them
# (``store.links``). Kept out of the record schemas: they are decisions on records, not records,
# and no record file carries them. Applied when records are read (``read_versioned``).
asset_links = sa.Table(
    "asset_links",
    metadata,
    sa.Column("link_id", sa.String(64), primary_key=True),
    sa.Column("impact_id", sa.String(200), nullable=False),
    sa.Column("from_asset_id", sa.String(200), nullable=False),
    sa.Column("to_asset_id", sa.String(200), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decided_at", sa.DateTime, nullable=True),
)


# Every change of a record, newest last (``store.audit``): an import's new record or changed
# field, a correction, a retraction or restoring, a link decision. Never updated or deleted.
record_changes = sa.Table(
    "record_changes",
    metadata,
    sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("table_name", sa.String(32), nullable=False),
    sa.Column("record_id", sa.String(200), nullable=False),
    sa.Column("field", sa.String(64), nullable=True),
    sa.Column("old_value", sa.Text, nullable=True),
    sa.Column("new_value", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("batch_id", sa.Integer, nullable=True),
)
sa.Index("ix_record_changes_record", record_changes.c.table_name, record_changes.c.record_id)
# The analysts' corrections in force: one value per record and field, over the imported one.
record_corrections = sa.Table(
    "record_corrections",
    metadata,
    sa.Column("table_name", sa.String(32), primary_key=True),
    sa.Column("record_id", sa.String(200), primary_key=True),
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # canonical text, as a record file writes it ("" = blank)
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
)
# Records retracted by an analyst: out of every total, map and export; listed for analysts.
record_retractions = sa.Table(
    "record_retractions",
    metadata,
    sa.Column("table_name", sa.String(32), primary_key=True),
    sa.Column("record_id", sa.String(200), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("retracted_at", sa.DateTime, nullable=False),
)
