"""The main page: filters in the sidebar, totals, map, timeline, incidents and sources.

Everything here is layout; the numbers come from dashboard.query.totals, the same
functions ``impact summary`` calls.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.io.csv_writer import export_frame, to_csv_bytes
from dashboard.io.extract import export_metadata, geojson_bytes, hxl_csv_bytes
from dashboard.map.fit import VIEW_PARAM, parse_view, view_for
from dashboard.map.view import layers_for_mask, needs_view
from dashboard.query.aggregate import MapView
from dashboard.query.in_view import in_view_mask
from dashboard.query.registry import facilities_in_view
from dashboard.query.totals import Filters, incident_mask
from dashboard.records.safe_text import markdown_text, plain_text
from dashboard.ui import shared, signin
from dashboard.ui.record_history import show_history
from dashboard.views import charts
from dashboard.views.facility_table import facility_table
from dashboard.views.filter_widgets import (
    CLEAR_LABEL,
    NO_MATCH,
    NO_RECORDS,
    cleared_state,
    date_link_warnings,
    picked_range,
    widget_state,
)
from dashboard.views.table import column_labels, column_width, reading_order
from dashboard.views.tiles import HELP, NOT_REPORTED, Tile, facility_rows, outages_note, split_tiles, tiles
from dashboard.views.url_state import filters_and_warnings_from_query, query_from_filters

who = signin.require("read")  # on the server, before any record is read
TABLE_ROWS = 1_000
MAP_HEIGHT = 520
TILE_WIDTH = 160  # px: four in a row beside the sidebar, two on a phone
IN_VIEW_RULE = (
    "A located incident is in view when its point is inside the map's bounds; an oblast-level one "
    "when its oblast's area meets them."
)
IN_VIEW_HELP = (
    "Lists, and downloads, only the filtered incidents in the map's current view (pan or zoom the map on "
    f"the Map tab). {IN_VIEW_RULE} The totals at the top stay those of the filters, for the whole country, "
    "as `impact summary` prints them."
)


def view_from(state: dict) -> MapView | None:
    """The map view st_folium last reported, or None before the first report."""
    bounds, zoom = state.get("bounds") or {}, state.get("zoom")
    south_west, north_east = bounds.get("_southWest") or {}, bounds.get("_northEast") or {}
    if zoom is None or south_west.get("lat") is None or north_east.get("lat") is None:
        return None
    return MapView(int(zoom), south_west["lat"], south_west["lng"], north_east["lat"], north_east["lng"])


def quotes_in_view(records, incidents: pd.DataFrame) -> pd.DataFrame:
    """The incidents shown, with the assets and impacts they link to, each with its quote."""
    impacts = records.impacts[records.impacts["incident_id"].isin(incidents["incident_id"])]
    assets = records.assets[records.assets["asset_id"].isin(impacts["asset_id"])]
    salvos = records.salvos.head(TABLE_ROWS)
    parts = [
        (incidents, "incident_id", "incidents"),
        (assets, "asset_id", "assets"),
        (impacts, "impact_id", "impacts"),
        (salvos, "salvo_id", "salvos"),
    ]
    frames = [
        frame[[key, "source_id", "quote"]].rename(columns={key: "record_id"}).assign(table=table)
        for frame, key, table in parts
    ]
    return pd.concat(frames)[["table", "record_id", "source_id", "quote"]]


# The records as this role may see them: the map, table and downloads below all derive from them.
settings, version, records = shared.current(who.role)
shared.follow_store(version, settings.refresh_seconds)  # redraw when any process imports or corrects
boundaries = shared.boundaries(settings.boundary_file)
options = shared.choices(settings.db_url, version)
linked, link_warnings = filters_and_warnings_from_query({key: st.query_params.get_all(key) for key in st.query_params})
# The map's view, which the map writes into the link as it moves (dashboard.map.fit.parse_view).
link_view, view_warning = parse_view(st.query_params.get(VIEW_PARAM))
link_warnings = [*link_warnings, view_warning] if view_warning else link_warnings

# Keyed widgets, seeded from the link on a session's first run only: a widget whose
# `default` changed from run to run would be a new widget, and drop the user's change.
first_day = records.incidents["event_date"].iloc[0].date() if len(records.incidents) else date.today()
last_day = records.incidents["event_date"].iloc[-1].date() if len(records.incidents) else date.today()
for key, value in widget_state(linked, first_day, last_day).items():
    st.session_state.setdefault(key, value)
# New data (an import by any process) can widen the span: a range that was "all of it" stays all of it.
if st.session_state.setdefault("data_span", (first_day, last_day)) != (first_day, last_day):
    if tuple(st.session_state["filter_dates"]) == st.session_state["data_span"]:
        st.session_state["filter_dates"] = (first_day, last_day)
    st.session_state["data_span"] = (first_day, last_day)
# A date in the link that was ignored is said next to the date widget, the rest above the totals.
date_warnings, link_warnings = date_link_warnings(link_warnings)


def offered(name: str, key: str) -> list[str]:
    """The values present in the records, plus any the session already holds."""
    return sorted(set(options[name]) | set(st.session_state[key]))


def clear_filters() -> None:
    """Every filter widget back to "everything", and a link without filters or map view."""
    for key, value in cleared_state(first_day, last_day).items():
        st.session_state[key] = value
    st.query_params.clear()


with st.sidebar:
    st.header("Filters")
    cities = st.multiselect("City", offered("cities", "filter_city"), key="filter_city")
    # Incidents are in date order: the first and last rows give the span.
    picked = st.date_input("Date range", key="filter_dates", format="YYYY-MM-DD")
    start, end, date_problem = picked_range(picked, first_day, last_day)
    for message in [date_problem, *date_warnings]:
        if message:
            st.warning(markdown_text(message))  # a link's warning quotes the link, which anyone can write
    oblasts = st.multiselect("Oblast", offered("oblasts", "filter_oblast"), key="filter_oblast")
    weapons = st.multiselect("Weapon", offered("weapons", "filter_weapon"), key="filter_weapon")
    asset_types = st.multiselect("Asset type hit", offered("asset_types", "filter_asset_type"), key="filter_asset_type")

filters = Filters(
    cities=tuple(cities),
    oblasts=tuple(oblasts),
    start=start,
    end=end,
    weapons=tuple(weapons),
    asset_types=tuple(asset_types),
)
wanted_query = query_from_filters(filters)
if link_view is not None:  # the map keeps it current; the filters' link leaves it alone
    wanted_query[VIEW_PARAM] = st.query_params.get_all(VIEW_PARAM)
if {key: st.query_params.get_all(key) for key in st.query_params} != wanted_query:
    st.query_params.from_dict(wanted_query)

st.title("Attacks on civilian infrastructure")
for warning in link_warnings:
    st.warning(markdown_text(warning))  # it quotes the link, which anyone can write
mask = incident_mask(records, filters)
shown_count = int(mask.sum())
totals = shared.totals(settings.db_url, version, filters)
st.caption(
    f"{shown_count:,} of {len(records.incidents):,} incidents shown, from {len(records.sources)} source(s). "
    "The same totals: `impact summary --json` with the same filters."
)
for note in shared.place_notes(settings.db_url, version, filters.cities, filters.oblasts):
    st.caption(markdown_text(note))  # it quotes the city filter, which comes from the link
if not len(records.incidents):
    st.info(NO_RECORDS)  # no filter to clear: nothing was imported yet
    st.stop()
if shown_count == 0:
    # An empty map and a row of zeros would read as "no attacks"; say what happened instead.
    st.info(f"{NO_MATCH}.")
    st.button(CLEAR_LABEL, on_click=clear_filters, type="primary")
    st.stop()


# A row chosen in the incident table (its id and the choice's number), while the filters it was chosen under hold.
focus = st.session_state.get("map_focus")
if focus is not None and focus[2] != filters:
    focus = st.session_state["map_focus"] = None
# "Only incidents in the map's view" outlives the table's tab (a widget not drawn loses its state).
in_view = bool(st.session_state.get("table_in_view", False))


def choose_row(rows: pd.DataFrame) -> None:
    """The table's selection callback: zoom the map to the chosen row's incident and show the map."""
    picked = st.session_state["incident_table"].selection.rows
    if picked:
        number = (st.session_state.get("map_focus") or ("", 0, None))[1] + 1
        st.session_state["map_focus"] = (str(rows["incident_id"].iloc[picked[0]]), number, filters)
        st.session_state["page_tab"] = "Map"


def show_tile(tile: Tile) -> None:
    """One total with its help text (the numbers' rules) and, below, how many attacks report it."""
    st.metric(tile.label, tile.shown, help=tile.help)
    if tile.detail:
        st.caption(tile.detail)


# The headline totals in one compact row that wraps on a phone; the rest one click away.
headline, rest = split_tiles(tiles(totals))
with st.container(horizontal=True, gap="small"):
    for tile in headline:
        with st.container(width=TILE_WIDTH):
            show_tile(tile)
if totals["open_outages"]:
    st.caption(outages_note(totals["open_outages"]))
with st.expander("All totals"):
    with st.container(horizontal=True, gap="small"):
        for tile in rest:
            with st.container(width=TILE_WIDTH):
                show_tile(tile)
    st.caption(
        "Projectiles launched: from launch counts in the date range; city, oblast and asset filters do not narrow it."
    )


def filtered() -> pd.DataFrame:
    return records.incidents[table_mask]


def download_metadata() -> dict:
    """The downloads' sidecar: the filters, and the map's view when the table is limited to it."""
    meta = export_metadata(records, filters, incidents=filtered())
    if table_mask is not mask:
        meta["map_view"] = {
            "south": map_view.south,
            "west": map_view.west,
            "north": map_view.north,
            "east": map_view.east,
            "rule": IN_VIEW_RULE,
        }
    return meta


# Only the open tab's content runs (on_change="rerun"; the map always runs, so it stays mounted):
# hidden charts and tables cost the server their build and the browser their code and rendering.
map_tab, timeline_tab, table_tab, sources_tab = st.tabs(
    ["Map", "Timeline", "Incidents", "Sources"], key="page_tab", on_change="rerun"
)
first_rows = records.incidents.iloc[np.flatnonzero(mask)[:TABLE_ROWS]]
last = st.session_state.get("incident_map") or {}
map_view = view_from(last)
# The table and its downloads: the filtered incidents, or those of them in the map's last reported view.
table_mask = in_view_mask(records, mask, map_view, boundaries) if in_view and map_view is not None else mask
with map_tab:
    if not boundaries.available:
        st.info(boundaries.note)
    follow = needs_view(records, mask)
    if follow:
        st.caption(
            "Many incidents: each circle sums an area of the map (size: incidents; colour: people cut off). "
            "Zoom in for markers."
        )
    # The map at least LEGEND_OPEN_FROM_PX wide beside the sidebar at 1400 px, so its legend starts open.
    map_column, side_column = st.columns([7, 2], gap="small")
    with map_column:
        fit = view_for(records, mask, boundaries)
        # A linked view opens the session's map, and holds until the filters call for another view.
        st.session_state.setdefault("map_link_view", (link_view, fit))
        opened, fitted_then = st.session_state["map_link_view"]
        if opened is not None and fit != fitted_then:
            opened = None
            st.session_state["map_link_view"] = (None, fit)
        registered = facilities_in_view(records, mask, filters.asset_types, map_view)
        # Pans and zooms rerun the page only when the server must re-aggregate for the new view, count
        # registered facilities in it (beside the map), or filter the table to it.
        returned = ["zoom", "bounds"] if follow or registered or in_view else []
        st_folium(
            shared.base_map(settings.boundary_file, settings.tiles_url, settings.tiles_attribution),
            # The filtered group also carries the view that fits the records shown: the map moves
            # once per new selection (the base map, and so the mounted map, stays the same).
            feature_group_to_add=layers_for_mask(
                records,
                mask,
                boundaries,
                map_view,
                filters.asset_types,
                fit=fit,
                link_view=opened,
                focus=focus[:2] if focus else None,
                returned=returned,  # the mounted map reads returned_objects once; this keeps it current
            ),
            returned_objects=returned,
            key="incident_map",
            height=MAP_HEIGHT,
            use_container_width=True,
        )
    with side_column:
        st.markdown("**Facilities hit, by type**")  # the page's own words, no record text
        rows = facility_rows(totals)
        if rows:
            st.dataframe(
                pd.DataFrame(rows, columns=["Type", "Hit"]),
                hide_index=True,
                width="stretch",
                column_config={"Hit": st.column_config.NumberColumn(help=HELP["facilities_hit"])},
            )
        else:
            st.caption("No facility hit is recorded for these filters.")
        if registered:
            st.caption("Registered facilities in the map's view, and how many the filtered incidents hit")
            st.dataframe(facility_table(registered), hide_index=True, width="stretch")
with timeline_tab:
    if timeline_tab.open:  # a tab's content is built only while it is open (Streamlit's lazy tabs)
        per_day = shared.timeline(settings.db_url, version, filters)
        for title, chart in (
            ("Attacks per day", charts.attacks_chart(per_day)),
            ("Killed and injured per day, as reported", charts.casualties_chart(per_day)),
            (
                "People cut off per day, by service",
                charts.cut_off_chart(shared.cut_off(settings.db_url, version, filters)),
            ),
        ):
            st.subheader(title)
            if chart is None:
                st.info("Nothing to show for these filters.")
            else:
                st.altair_chart(chart, width="stretch")
with table_tab:
    if table_tab.open:
        st.toggle(
            "Only incidents in the map's view",
            value=in_view,
            key="table_in_view_switch",
            on_change=lambda: st.session_state.update(table_in_view=st.session_state["table_in_view_switch"]),
            help=IN_VIEW_HELP,
        )
        table_count = int(table_mask.sum())
        if in_view and map_view is None:
            st.caption("The map has not reported its view yet: all filtered incidents are listed.")
        elif in_view:
            st.caption(f"{table_count:,} of the {shown_count:,} filtered incidents are in the map's view.")
        if table_count > TABLE_ROWS:
            st.caption(f"The first {TABLE_ROWS:,} of {table_count:,} rows; the downloads hold all of them.")
        table_rows = records.incidents.iloc[np.flatnonzero(table_mask)[:TABLE_ROWS]]
        table = export_frame(table_rows)
        # Words on the page; the downloads keep the schema's column names (exports are for machines).
        labels = column_labels(table.columns)
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_order=reading_order(table.columns),
            placeholder=NOT_REPORTED,  # a casualty figure the source does not give: never blank, never 0
            key="incident_table",
            on_select=lambda: choose_row(table_rows),  # a click on a row zooms the map to it
            selection_mode="single-row",
            column_config={
                name: st.column_config.Column(label, width=column_width(name)) for name, label in labels.items()
            },
        )
        if focus is not None:
            show_history(who, focus[0])  # the chosen row's history, for analysts
        st.caption("Downloads hold exactly the filtered rows. Text a spreadsheet would run as a formula starts with '.")
        csv_column, hxl_column, geojson_column, meta_column = st.columns(4)
        # Files are made only when clicked (deferred), so large views do not slow every rerun.
        csv_column.download_button(
            "CSV",
            lambda: to_csv_bytes(filtered()),
            file_name="incidents_filtered.csv",
            mime="text/csv",
            on_click="ignore",
        )
        hxl_column.download_button(
            "CSV with HXL tags",
            lambda: hxl_csv_bytes(filtered()),
            file_name="incidents_filtered_hxl.csv",
            mime="text/csv",
            on_click="ignore",
        )
        geojson_column.download_button(
            "GeoJSON",
            lambda: geojson_bytes(filtered(), records),
            file_name="incidents_filtered.geojson",
            mime="application/geo+json",
            on_click="ignore",
        )
        meta_column.download_button(
            "Metadata (filters, attribution)",
            lambda: json.dumps(download_metadata(), indent=2, default=str),
            file_name="incidents_filtered.meta.json",
            mime="application/json",
            on_click="ignore",
        )
with sources_tab:
    if sources_tab.open:
        # Record text is never Markdown or HTML here: a title is an escaped heading, the rest plain text.
        for source in records.sources.itertuples():
            st.subheader(markdown_text(source.title))
            st.text(
                f"Publisher: {plain_text(source.publisher) or 'not stated'}. "
                f"Dates as stated: {plain_text(source.dates_as_stated)}"
            )
            for label, value in (("Link", getattr(source, "url", "")), ("Credit", getattr(source, "attribution", ""))):
                if value:
                    st.text(f"{label}: {plain_text(value)}")
            if source.notes:
                st.text(plain_text(source.notes))
        st.subheader("Records in view and the sentence each was coded from")
        st.dataframe(quotes_in_view(records, first_rows), hide_index=True, width="stretch")
