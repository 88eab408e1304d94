"""Map build and payload: the dashboard's map against folium's client-side clustering.

Ours is ``dashboard.map.view.build_map(..., view=MapView(...))``. The baselines put the
same points on the same base map (``base_map``: local Leaflet, oblast outlines,
legend), so the only difference is the point layer:

- ``FastMarkerCluster``: every point's coordinates shipped as one JS array, clustered
  in the browser;
- ``MarkerCluster`` with one ``Marker`` and one ``Popup`` per point, the way folium's
  examples do it; only measured at up to 50,000 points (beyond that it takes minutes).

Build time is building the folium objects plus rendering them to HTML (what the
server does before sending); the payload is ``len(m.get_root().render().encode())``.
"""

from __future__ import annotations

import html
import inspect
import time

import folium
import pandas as pd
from folium.plugins import FastMarkerCluster, MarkerCluster

UKRAINE_VIEW = (6, 44.3, 22.1, 52.4, 40.2)  # zoom, south, west, north, east
KHARKIV_VIEW = (12, 49.88, 36.10, 50.10, 36.40)
# folium's default callback draws Font Awesome markers (L.AwesomeMarkers, from a CDN); offline we use
# Leaflet's own marker, which costs the browser the same per point.
PLAIN_MARKER = "function (row) { return L.marker(new L.LatLng(row[0], row[1])); }"


def map_api() -> tuple[object | None, str]:
    """``(MapView, "")`` when the zoom/bounds API exists, else ``(None, why not)``."""
    from dashboard.map import view as mapview

    view_class = getattr(mapview, "MapView", None)
    if view_class is None:
        return None, "not available: dashboard.map.view.MapView missing"
    if "view" not in inspect.signature(mapview.build_map).parameters:
        return None, "not available: build_map has no view parameter"
    return view_class, ""


def local_cluster_assets(layer: MarkerCluster) -> MarkerCluster:
    """Point a cluster layer's scripts at the app's own copy of markercluster (no CDN)."""
    from dashboard.map.static_assets import MARKERCLUSTER_CSS, MARKERCLUSTER_JS

    layer.default_js = [("markerclusterjs", MARKERCLUSTER_JS)]
    layer.default_css = [(f"markerclustercss{i}", url) for i, url in enumerate(MARKERCLUSTER_CSS)]
    return layer


def points(incidents: pd.DataFrame) -> list[list[float]]:
    """[lat, lon] of every incident, as FastMarkerCluster takes them."""
    return incidents[["latitude", "longitude"]].astype(float).to_numpy().tolist()


def render_size(m: folium.Map) -> tuple[str, int]:
    text = m.get_root().render()
    return text, len(text.encode())


def build_ours(records, incidents, hit, boundaries, view) -> tuple[float, float, int]:
    """(build s, render s, payload bytes) of the dashboard's map."""
    from dashboard.map.view import build_map

    started = time.perf_counter()
    m = build_map(records, incidents, boundaries, view=view)
    built = time.perf_counter()
    _, size = render_size(m)
    return built - started, time.perf_counter() - built, size


def build_base_only(boundaries) -> int:
    """Payload of the base map alone (outlines, legend, local Leaflet): the floor under every map."""
    from dashboard.map.view import base_map

    return render_size(base_map(boundaries))[1]


def fast_marker_cluster_map(incidents: pd.DataFrame, boundaries) -> folium.Map:
    from dashboard.map.view import base_map

    m = base_map(boundaries)
    m.options["max_zoom"] = 18  # markercluster needs it, and there is no tile layer to set it
    layer = FastMarkerCluster(points(incidents), callback=PLAIN_MARKER, name="Incidents")
    local_cluster_assets(layer).add_to(m)
    return m


def build_fast_marker_cluster(incidents: pd.DataFrame, boundaries) -> tuple[float, float, int]:
    started = time.perf_counter()
    m = fast_marker_cluster_map(incidents, boundaries)
    built = time.perf_counter()
    _, size = render_size(m)
    return built - started, time.perf_counter() - built, size


def _popup_html(row) -> str:
    killed = "not reported" if pd.isna(row.killed) else int(row.killed)
    injured = "not reported" if pd.isna(row.injured) else int(row.injured)
    return (
        f"<b>{html.escape(str(row.place or row.oblast))}</b>, {html.escape(str(row.oblast))}<br>"
        f"{row.event_date:%Y-%m-%d}<br>Killed: {killed}; injured: {injured}<br>"
        f"<blockquote>{html.escape(str(row.quote))}</blockquote>"
    )


def build_marker_cluster(incidents: pd.DataFrame, boundaries) -> tuple[float, float, int]:
    """One folium Marker with a Popup per point inside a MarkerCluster."""
    from dashboard.map.view import base_map

    started = time.perf_counter()
    m = base_map(boundaries)
    m.options["max_zoom"] = 18
    cluster = local_cluster_assets(MarkerCluster(name="Incidents")).add_to(m)
    for row in incidents.itertuples():
        folium.Marker(
            [float(row.latitude), float(row.longitude)],
            popup=folium.Popup(_popup_html(row), max_width=380),
        ).add_to(cluster)
    built = time.perf_counter()
    _, size = render_size(m)
    return built - started, time.perf_counter() - built, size
