"""What the pages share: the store, the records and the boundaries, opened once per process.

The records are one read-only frame shared by every session (``st.cache_resource``),
keyed by the store URL and the store's version (its newest batch id), so an import
makes every page read the new records on its next rerun. The version a page keys its
totals, map and table by is the one its records were read at (``current``).
"""

from __future__ import annotations

import logging
import uuid

import streamlit as st
from sqlalchemy.engine import Engine

from dashboard.config import Settings
from dashboard.io.open import open_store
from dashboard.map.static_assets import ensure_vendor_assets
from dashboard.query.totals import Filters, summarize
from dashboard.records.load import Records
from dashboard.store.snapshot import load_versioned
from dashboard.store.sql import store_version
from geo.boundaries import Boundaries, load_boundaries

# The start of the message the browser gets for an error no page handles (tests look for it).
UNEXPECTED_ERROR = "The page could not be shown because of an unexpected error"
log = logging.getLogger("dashboard.ui")


def show_unexpected_error(page_name: str, exc: BaseException | None = None) -> None:
    """Log the exception being handled with a reference, and show the reference, not the traceback.

    The traceback may quote record data or server paths: it goes to the server's log only.
    A known fault (a database that went away, a damaged store) shows its own one-line message,
    which names no record data, and the page recovers by itself once the fault is gone.
    """
    from dashboard.store.health import fault_for

    fault = fault_for(exc) if exc is not None else None
    if fault is not None:
        log.warning("page %s: %s", page_name, fault.message)
        st.error(fault.message)
        return
    reference = uuid.uuid4().hex[:8]
    log.exception("page %s failed (reference %s)", page_name, reference)
    st.error(f"{UNEXPECTED_ERROR} (reference {reference}). The details are in the server's log under that reference.")


def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner="Opening the store…")
def engine(db_url: str) -> Engine:
    return open_store(settings())


@st.cache_resource(show_spinner="Reading the records…", max_entries=1)
def versioned(db_url: str, version: int) -> tuple[int, Records]:
    """The records and the version they were read at (newer than ``version`` if an import committed meanwhile).

    One copy per process (the newest version only), shared by every session.
    """
    return load_versioned(engine(db_url), settings())


def records(db_url: str, version: int) -> Records:
    """The records cached for ``version`` (the version :func:`current` gave)."""
    return versioned(db_url, version)[1]


@st.cache_resource(max_entries=4)
def records_as(db_url: str, version: int, role: str, _loaded: Records) -> Records:
    """The records ``role`` may see (``dashboard.query.exposure``): one copy per (store, version, role).

    Everything a page draws or offers for download that carries coordinates or record text
    derives from this frame, so a viewer's map, table and files never hold an exact site.
    ``_loaded`` (not hashed: the key is the store and version) is the records read at ``version``.
    """
    from dashboard.query.exposure import records_for_role

    return records_for_role(_loaded, role, settings().viewer_grid_km)


@st.cache_data(max_entries=512)
def totals(db_url: str, version: int, filters: Filters) -> dict:
    """Totals keyed by the filter values (and the store version), never by hashing a frame."""
    return summarize(records(db_url, version), filters)


@st.cache_resource
def boundaries(path: str) -> Boundaries:
    return load_boundaries(path)


def base_map(boundary_file: str, tiles_url: str, tiles_attribution: str):
    """The map without its data layers. A new object every rerun (st_folium adds the data
    layers to the map it is given), with the same script, so the map is never remounted."""
    from dashboard.map.view import base_map as build

    return build(boundaries(boundary_file), tiles_url, tiles_attribution)


@st.cache_data(max_entries=64)
def choices(db_url: str, version: int) -> dict[str, list[str]]:
    from dashboard.query.totals import choices as values

    return values(records(db_url, version))


@st.cache_data(max_entries=8)
def unresolved_incidents(db_url: str, version: int) -> int:
    """Incidents whose place is not one GeoNames place: a count over all records, the same for every filter."""
    from dashboard.query.places import unresolved_places

    return unresolved_places(records(db_url, version))["incidents"]


@st.cache_data(max_entries=64)
def place_notes(db_url: str, version: int, cities: tuple[str, ...], oblasts: tuple[str, ...]) -> list[str]:
    """What the page says about places: unresolved record places, and city filters GeoNames lacks."""
    from dashboard.query.places import unknown_cities

    current = records(db_url, version)
    unresolved = unresolved_incidents(db_url, version)
    notes = unknown_cities(current, cities, oblasts)
    if unresolved:
        notes.append(
            f"{unresolved:,} incident(s) name a place that is not one GeoNames place; "
            "a city filter finds them only by the spelling they use."
        )
    return notes


@st.cache_data(max_entries=64)
def timeline(db_url: str, version: int, filters: Filters):
    from dashboard.query.totals import filter_incidents
    from dashboard.query.totals import timeline as per_day

    return per_day(filter_incidents(records(db_url, version), filters))


@st.cache_data(show_spinner=False, max_entries=64)
def cut_off(db_url: str, version: int, filters: Filters):
    from dashboard.query.totals import cut_off_timeline

    return cut_off_timeline(records(db_url, version), filters)


@st.cache_resource
def vendor_assets() -> str:
    return str(ensure_vendor_assets())


def current(role: str = "viewer") -> tuple[Settings, int, Records]:
    """Settings, store version and records for this rerun, as ``role`` may see them (viewer unless said).

    The records are exactly that version.
    The version is checked first (cheap) to find the cached records; when an import committed
    between that check and a read, the records are of the newer version, and the page keys
    its totals, map and table by the version the records were read at.
    """
    config = settings()
    version = store_version(engine(config.db_url))
    for _ in range(3):  # each retry is another import committing meanwhile; a page does not wait for a fourth
        read_at, loaded = versioned(config.db_url, version)
        if read_at == version:
            break
        version = read_at
    return config, version, records_as(config.db_url, version, role, loaded)


def follow_store(version: int, every_seconds: float) -> None:
    """Rerun the page when the store's version moves past ``version`` (an import or a correction by any
    process, or the command line), checked every ``every_seconds``; 0 turns it off.

    Each app process reads the version from the store itself, so several processes behind a proxy
    all follow one database; the records are then read whole at the new version (``current``).
    A sign-in that ended meanwhile (its time is up, the user was removed) reruns it too, so a page
    left open does not keep showing the data: the rerun is the sign-in page.
    """
    if not every_seconds:
        return

    @st.fragment(run_every=every_seconds)
    def check() -> None:
        from dashboard.ui import signin  # here, not at the top: signin imports this module

        config = settings()
        if config.auth in ("form", "oidc") and signin.identity(config) is None:
            st.rerun(scope="app")
        if store_version(engine(config.db_url)) != version:
            st.rerun(scope="app")

    check()
