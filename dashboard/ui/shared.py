"""What the pages share: the store, the records and the boundaries, opened once per process.

The records are one read-only frame shared by every session (``st.cache_resource``),
keyed by the store URL and the store's version (its newest batch id), so an import
makes every page read the new records on its next rerun.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from dashboard.config import Settings
from dashboard.query import Filters, summarize
from dashboard.records import Records
from dashboard.static_assets import ensure_vendor_assets
from dashboard.store import open_store, read_records, store_version
from geo.boundaries import Boundaries, load_boundaries


def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner="Opening the store…")
def engine(db_url: str) -> Engine:
    return open_store(settings())


@st.cache_resource(show_spinner="Reading the records…", max_entries=2)
def records(db_url: str, version: int) -> Records:
    return read_records(engine(db_url))


@st.cache_data(max_entries=512)
def totals(db_url: str, version: int, filters: Filters) -> dict:
    """Totals keyed by the filter values (and the store version), never by hashing a frame."""
    return summarize(records(db_url, version), filters)


@st.cache_resource
def boundaries(path: str) -> Boundaries:
    return load_boundaries(path)


@st.cache_resource
def vendor_assets() -> str:
    return str(ensure_vendor_assets())


def current() -> tuple[Settings, int, Records]:
    """Settings, store version and records for this rerun."""
    config = settings()
    version = store_version(engine(config.db_url))
    return config, version, records(config.db_url, version)
