"""Linking incidents to registry facilities: refresh the proposals, list them, accept or reject one.

The CLI (``impact links``) and the import page call these functions and nothing else: the
proposals are computed by ``dashboard.query.links`` from the records as stored (links not
applied) and written by ``dashboard.store.links``, after every import and on
``impact links --pending``.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.config import Settings
from dashboard.query.links import COLUMNS, propose_links, registry_assets, unnamed_mask
from dashboard.records.load import with_lookup_columns
from dashboard.store import links as stored
from dashboard.store.sql import TABLES, read_table_typed

SHOWN = ["link_id", "score", "method", "reason", "impact_id", "from_asset_id", "to_asset_id"]


def _incident_sources(engine: Engine) -> set[str]:
    incidents = TABLES["incidents"]
    with engine.connect() as connection:
        return {s for (s,) in connection.execute(sa.select(incidents.c.source_id).distinct())}


def _has_registry(engine: Engine) -> bool:
    """Whether any asset's source brings no incidents, asked of the database (no table read)."""
    assets, incidents = TABLES["assets"], TABLES["incidents"]
    query = sa.select(assets.c.asset_id).where(assets.c.source_id.not_in(sa.select(incidents.c.source_id).distinct()))
    with engine.connect() as connection:
        return connection.execute(query.limit(1)).first() is not None


def current_proposals(engine: Engine) -> pd.DataFrame:
    """What the stored records propose now (nothing written)."""
    if not _has_registry(engine):  # every import asks: a store without a registry pays one query
        return pd.DataFrame(columns=COLUMNS)
    assets = read_table_typed(engine, "assets")
    sources = _incident_sources(engine)
    if registry_assets(assets, pd.Series(False, index=assets.index), sources).empty:
        return pd.DataFrame(columns=COLUMNS)  # no registry facility with coordinates: nothing to link to
    impacts = read_table_typed(engine, "impacts")
    hit = set(impacts["asset_id"]) & set(assets.loc[unnamed_mask(assets, impacts), "asset_id"])
    impacts = impacts[impacts["asset_id"].isin(hit)]
    incidents = with_lookup_columns(read_table_typed(engine, "incidents", sorted(set(impacts["incident_id"]))))
    return propose_links(assets, impacts, incidents, sources)


def refresh(engine: Engine, settings: Settings) -> dict[str, int]:
    """Compute the proposals again and store them (decisions kept); returns what changed."""
    return stored.write_proposals(engine, current_proposals(engine), settings.import_lock_timeout)


def pending(engine: Engine, settings: Settings) -> pd.DataFrame:
    """The proposals waiting for review, after a refresh, in the columns the CLI and page show."""
    refresh(engine, settings)
    return waiting(engine)


def waiting(engine: Engine) -> pd.DataFrame:
    """The stored proposals waiting for review (no refresh: every import refreshes them)."""
    return stored.read_links(engine, "pending")[SHOWN]


def accept(engine: Engine, settings: Settings, link: str, user: str) -> dict:
    """Accept one proposal: its impact hits the registry facility from now on (in its history, by ``user``)."""
    return stored.decide(engine, link, "accepted", settings.import_lock_timeout, user)


def reject(engine: Engine, settings: Settings, link: str, user: str) -> dict:
    """Reject one proposal: it is not proposed again (in the impact's history, by ``user``)."""
    return stored.decide(engine, link, "rejected", settings.import_lock_timeout, user)
