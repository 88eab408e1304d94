"""Indexes for the columns the filters and the record links read: dates, oblasts, an impact's incident and asset.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_incidents_event_date": ("incidents", ["event_date"]),
    "ix_incidents_oblast_iso": ("incidents", ["oblast_iso"]),
    "ix_impacts_incident_id": ("impacts", ["incident_id"]),
    "ix_impacts_asset_id": ("impacts", ["asset_id"]),
    "ix_salvos_launch_date": ("salvos", ["launch_date"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
