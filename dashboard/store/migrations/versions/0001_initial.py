"""The schema as it stood when migrations began (0.1.0): the five record tables, source documents, the batch log.

A store made before migrations existed (no ``alembic_version`` table) holds a subset of
these tables and columns; ``dashboard.store.migrate.upgrade`` brings it to this revision
(missing tables created, missing nullable columns added) and stamps it, then applies the rest.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def define(metadata: sa.MetaData) -> sa.MetaData:
    """The tables of this revision, frozen here: later schema changes are later revisions."""
    sa.Table(
        "assets",
        metadata,
        sa.Column("asset_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("asset_type", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=64), nullable=True),
        sa.Column("people_served", sa.BigInteger(), nullable=True),
        sa.Column("people_served_qualifier", sa.String(length=64), nullable=True),
        sa.Column("asset_count", sa.BigInteger(), nullable=True),
        sa.Column("count_qualifier", sa.String(length=64), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("oblast", sa.Text(), nullable=True),
        sa.Column("oblast_iso", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("geo_precision", sa.String(length=64), nullable=True),
        sa.Column("source_id", sa.String(length=128), nullable=True),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("asset_id"),
    )
    sa.Table(
        "impacts",
        metadata,
        sa.Column("impact_id", sa.String(length=128), nullable=False),
        sa.Column("incident_id", sa.String(length=128), nullable=True),
        sa.Column("asset_id", sa.String(length=128), nullable=True),
        sa.Column("state_after", sa.String(length=64), nullable=True),
        sa.Column("people_without_service", sa.BigInteger(), nullable=True),
        sa.Column("people_qualifier", sa.String(length=64), nullable=True),
        sa.Column("restored_on", sa.Date(), nullable=True),
        sa.Column("restoration_as_stated", sa.Text(), nullable=True),
        sa.Column("source_id", sa.String(length=128), nullable=True),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("impact_id"),
    )
    sa.Table(
        "import_batches",
        metadata,
        sa.Column("batch_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=True),
        sa.Column("unchanged", sa.Integer(), nullable=True),
        sa.Column("duplicates", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    sa.Table(
        "incidents",
        metadata,
        sa.Column("incident_id", sa.String(length=128), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("date_precision", sa.String(length=64), nullable=True),
        sa.Column("date_as_stated", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("oblast", sa.Text(), nullable=True),
        sa.Column("oblast_iso", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("geo_precision", sa.String(length=64), nullable=True),
        sa.Column("weapons", sa.Text(), nullable=True),
        sa.Column("perpetrator_as_reported", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.Text(), nullable=True),
        sa.Column("killed", sa.BigInteger(), nullable=True),
        sa.Column("injured", sa.BigInteger(), nullable=True),
        sa.Column("children_killed", sa.BigInteger(), nullable=True),
        sa.Column("children_injured", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("event_type", sa.Text(), nullable=True),
        sa.Column("source_id", sa.String(length=128), nullable=True),
        sa.Column("source_record_id", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    sa.Table(
        "salvos",
        metadata,
        sa.Column("salvo_id", sa.String(length=128), nullable=False),
        sa.Column("launch_date", sa.Date(), nullable=True),
        sa.Column("date_precision", sa.String(length=64), nullable=True),
        sa.Column("date_as_stated", sa.Text(), nullable=True),
        sa.Column("weapon", sa.String(length=64), nullable=True),
        sa.Column("launched", sa.BigInteger(), nullable=True),
        sa.Column("launched_by_as_reported", sa.Text(), nullable=True),
        sa.Column("target_area", sa.Text(), nullable=True),
        sa.Column("source_id", sa.String(length=128), nullable=True),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("salvo_id"),
    )
    sa.Table(
        "source_documents",
        metadata,
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("source_id"),
    )
    sa.Table(
        "sources",
        metadata,
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("date_published", sa.Date(), nullable=True),
        sa.Column("dates_as_stated", sa.Text(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("attribution", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source_id"),
    )

    return metadata


def upgrade() -> None:
    define(sa.MetaData()).create_all(op.get_bind())


def downgrade() -> None:
    for table in reversed(define(sa.MetaData()).sorted_tables):
        op.drop_table(table.name)
