"""Baseline page for the first-draw rows: ``st.pydeck_chart`` with a ScreenGridLayer over the same records.

Run by ``bench/firstdraw.py`` as ``streamlit run bench/pydeck_page.py`` with the same
``IMPACT_*`` settings as the dashboard, so it reads the same store (through the same
snapshot). It has the dashboard's Oblast filter in the sidebar and nothing else: the
incidents' coordinates go to the browser and deck.gl grids them on the GPU (SwiftShader
here). deck.gl ships inside Streamlit's frontend bundle (no CDN), but with ``map_style``
None or empty Streamlit picks a Carto basemap style (basemaps.cartocdn.com): offline the
bench blocks that request at once (its WARNING row), so the grid draws without a basemap,
as ours draws without tiles.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pydeck as pdk
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.config import Settings  # noqa: E402
from dashboard.io.open import open_store  # noqa: E402
from dashboard.store.snapshot import load_records  # noqa: E402


@st.cache_resource
def points():
    settings = Settings.from_env()
    incidents = load_records(open_store(settings), settings).incidents
    located = incidents[incidents["geo_precision"] != "3"]
    return located[["oblast", "longitude", "latitude"]].astype({"longitude": float, "latitude": float})


st.set_page_config(page_title="pydeck baseline", layout="wide")
frame = points()
with st.sidebar:
    oblasts = st.multiselect("Oblast", sorted(frame["oblast"].dropna().unique()))
shown = frame[frame["oblast"].isin(oblasts)] if oblasts else frame
st.caption(f"{len(shown):,} located incidents")
layer = pdk.Layer(
    "ScreenGridLayer",
    data=shown[["longitude", "latitude"]],
    get_position=["longitude", "latitude"],
    cell_size_pixels=20,
    opacity=0.8,
    pickable=False,
)
view = pdk.ViewState(latitude=48.4, longitude=31.2, zoom=5)
st.pydeck_chart(pdk.Deck(layers=[layer], initial_view_state=view, map_style=""), height=560)
