"""The main page: filters in the sidebar, totals, map, timeline, incidents and sources.

Everything here is layout; the numbers come from dashboard.query, the same
functions ``impact summary`` calls.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.export import export_frame, to_csv_bytes
from dashboard.exports import export_metadata, geojson_bytes, hxl_csv_bytes
from dashboard.mapview import base_map, data_layers
from dashboard.query import Filters, choices, filter_incidents, impacts_in_view, timeline
from dashboard.tiles import tiles
from dashboard.ui import shared
from dashboard.ui_state import filters_from_query, query_from_filters

settings, version, records = shared.current()
boundaries = shared.boundaries(settings.boundary_file)
options = choices(records)
linked = filters_from_query({key: st.query_params.get_all(key) for key in st.query_params})

with st.sidebar:
    st.header("Filters")
    cities = st.multiselect("City", sorted(set(options["cities"]) | set(linked.cities)), default=list(linked.cities))
    first_day = records.incidents["event_date"].min().date() if len(records.incidents) else date.today()
    last_day = records.incidents["event_date"].max().date() if len(records.incidents) else date.today()
    picked = st.date_input(
        "Date range",
        value=(linked.start or first_day, linked.end or last_day),
        format="YYYY-MM-DD",
    )
    oblasts = st.multiselect(
        "Oblast",
        sorted(set(options["oblasts"]) | set(linked.oblasts)),
        default=list(linked.oblasts),
    )
    weapons = st.multiselect(
        "Weapon",
        sorted(set(options["weapons"]) | set(linked.weapons)),
        default=list(linked.weapons),
    )
    asset_types = st.multiselect(
        "Asset type hit",
        sorted(set(options["asset_types"]) | set(linked.asset_types)),
        default=list(linked.asset_types),
    )

start, end = (list(picked) + [None, None])[:2] if isinstance(picked, tuple | list) else (picked, picked)
filters = Filters(
    cities=tuple(cities),
    oblasts=tuple(oblasts),
    # A range that covers all the data is no restriction: keep it out of the link.
    start=start if start and start != first_day else None,
    end=end if end and end != last_day else None,
    weapons=tuple(weapons),
    asset_types=tuple(asset_types),
)
wanted_query = query_from_filters(filters)
if {key: st.query_params.get_all(key) for key in st.query_params} != wanted_query:
    st.query_params.from_dict(wanted_query)

st.title("Attacks on civilian infrastructure")
incidents = filter_incidents(records, filters)
hit = impacts_in_view(records, incidents, filters)
totals = shared.totals(settings.db_url, version, filters)
st.caption(
    f"{len(incidents)} of {len(records.incidents)} incidents shown, from {len(records.sources)} source(s). "
    "The same totals: `impact summary --json` with the same filters."
)

columns = st.columns(4)
for index, tile in enumerate(tiles(totals)):
    with columns[index % 4]:
        st.metric(tile.label, f"{tile.value:,}", help=tile.help)
        if tile.detail:
            st.caption(tile.detail)
st.caption(
    "Projectiles launched: from launch counts in the date range; city, oblast and asset filters do not narrow it."
)

map_tab, timeline_tab, table_tab, sources_tab = st.tabs(["Map", "Timeline", "Incidents", "Sources"])
with map_tab:
    if not boundaries.available:
        st.info(boundaries.note)
    st_folium(
        base_map(boundaries, settings.tiles_url, settings.tiles_attribution),
        feature_group_to_add=data_layers(records, incidents, hit, boundaries),
        returned_objects=[],
        key="incident_map",
        height=560,
        use_container_width=True,
    )
with timeline_tab:
    per_day = timeline(incidents)
    st.subheader("Incidents per day")
    st.bar_chart(per_day[["attacks"]])
    st.subheader("Killed and injured per day")
    st.bar_chart(per_day[["killed", "injured"]])
with table_tab:
    extract = export_frame(incidents)
    st.dataframe(extract, hide_index=True, width="stretch")
    st.caption("Downloads hold exactly the rows above. Text a spreadsheet would run as a formula starts with '.")
    csv_column, hxl_column, geojson_column, meta_column = st.columns(4)
    csv_column.download_button("CSV", to_csv_bytes(incidents), file_name="incidents_filtered.csv", mime="text/csv")
    hxl_column.download_button(
        "CSV with HXL tags", hxl_csv_bytes(incidents), file_name="incidents_filtered_hxl.csv", mime="text/csv"
    )
    geojson_column.download_button(
        "GeoJSON",
        geojson_bytes(incidents, records),
        file_name="incidents_filtered.geojson",
        mime="application/geo+json",
    )
    meta_column.download_button(
        "Metadata (filters, attribution)",
        json.dumps(export_metadata(records, filters, incidents=incidents), indent=2, default=str),
        file_name="incidents_filtered.meta.json",
        mime="application/json",
    )
with sources_tab:
    for source in records.sources.itertuples():
        st.subheader(source.title)
        st.write(f"Publisher: {source.publisher or 'not stated'}. Dates as stated: {source.dates_as_stated}")
        st.caption(source.notes)
    quotes = pd.concat(
        [
            records.incidents[["incident_id", "source_id", "quote"]]
            .rename(columns={"incident_id": "record_id"})
            .assign(table="incidents"),
            records.assets[["asset_id", "source_id", "quote"]]
            .rename(columns={"asset_id": "record_id"})
            .assign(table="assets"),
            records.impacts[["impact_id", "source_id", "quote"]]
            .rename(columns={"impact_id": "record_id"})
            .assign(table="impacts"),
            records.salvos[["salvo_id", "source_id", "quote"]]
            .rename(columns={"salvo_id": "record_id"})
            .assign(table="salvos"),
        ]
    )
    st.subheader("Every record and the sentence it was coded from")
    st.dataframe(quotes[["table", "record_id", "source_id", "quote"]], hide_index=True, width="stretch")
