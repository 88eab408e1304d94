"""The folium map: oblast outlines, incidents styled by what they hit, facilities, a legend.

Every value that comes from a record is HTML-escaped in Python and reaches the
browser inside JSON (never inside a JavaScript template literal, where folium's
Popup and Tooltip would run ``${...}``). Leaflet comes from the app's own static
files; no element of the map points at another host.

Oblast-level records (geo precision 3) are never drawn as a point: they appear
as the oblast's area when a boundary file is configured, otherwise as a large
dashed circle marked approximate.

Examples
--------
>>> from dashboard.config import SEED_DATA_DIR
>>> from dashboard.records.load import load_records
>>> from dashboard.query.totals import Filters, filter_incidents
>>> from geo.boundaries import load_boundaries
>>> records = load_records(SEED_DATA_DIR).records
>>> m = build_map(records, filter_incidents(records, Filters()), load_boundaries(None))
>>> "cdn." in m.get_root().render()
False
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from dashboard.map.cells import cell_features, oblast_area_features
from dashboard.map.features import (  # noqa: F401  (re-exported: the map's public names)
    HIT_CATEGORIES,
    LEGEND_STYLE,
    PAGE_FONT_JS,
    PEOPLE_ONLY,
    POPUP_CSS,
    esc,
    facility_features,
    hit_category,
    incident_features,
    merge_spots,
)
from dashboard.map.fit import ZOOM_RANGE, FitView, focus_view
from dashboard.map.focus import FocusIncident, ReportView
from dashboard.map.labels import LabelLayer
from dashboard.map.legend import FIT_JS, legend_html
from dashboard.map.registry import RegistryLayer, registry_features
from dashboard.map.registry import credits as registry_credits
from dashboard.map.render_cache import install, labels_for
from dashboard.map.static_assets import LEAFLET_CSS, LEAFLET_JS
from dashboard.query.aggregate import MARKER_LIMIT, MapView, aggregate, located_mask, oblast_totals
from dashboard.query.in_view import APPROX_RADIUS_M
from dashboard.query.index import index_of
from dashboard.query.registry import registry_rows
from dashboard.records.load import Records
from geo.boundaries import Boundaries
from geo.gazetteer import GEONAMES_ATTRIBUTION

UKRAINE_CENTRE = (48.4, 31.2)
# Leaflet panes for the data layers (the overlay pane, with the outlines, is 400; tooltips 650).
PANES = {"impactAreas": 410, "impactFacilities": 420, "impactIncidents": 430}
# The 1991 border with Crimea (44.39 N at Cape Sarych) and a margin: the first view holds all of it.
UKRAINE_BOUNDS = [[44.2, 22.0], [52.5, 40.3]]
# Fractional zooms: at the page's 560 px the country needs zoom ~5.9, and whole steps fall back to 5.
ZOOM_SNAP = 0.25
# The legend starts open on maps at least this wide, folded on narrower ones.
LEGEND_OPEN_FROM_PX = 700
install()  # the parts of the map that are the same every rerun are compiled once


class DataLayer(MacroElement):
    """A GeoJSON layer whose features carry their own style, popup and tooltip (pre-escaped)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data|tojson }}, {
            pointToLayer: function (feature, latlng) {
                var p = feature.properties;
                var style = Object.assign(
                    {pane: {{ this.pane|tojson }}, interactive: p.interactive !== false}, p.style);
                if (p.shape === "approximate") {
                    return L.circle(latlng, Object.assign({radius: {{ this.approx_radius }}}, style));
                }
                if (p.label) {
                    // A summed area: the circle and its count, as one layer (divIcons follow zooms exactly).
                    var count = L.marker(latlng, {interactive: false, icon: L.divIcon({
                        className: "impact-count", iconSize: [48, 16], iconAnchor: [24, 8],
                        html: '<div style="font:600 11px/16px sans-serif;color:#fff;text-align:center;' +
                              'text-shadow:0 0 3px #000">' + p.label + '</div>'})});
                    return L.featureGroup([L.circleMarker(latlng, style), count]);
                }
                return L.circleMarker(latlng, style);
            },
            style: function (feature) {
                return Object.assign({pane: {{ this.pane|tojson }}}, feature.properties.style);
            },
            onEachFeature: function (feature, layer) {
                var p = feature.properties;
                // A popup scrolls inside the map rather than outgrowing it.
                if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 380, maxHeight: 300, autoPanPadding: [24, 24]}); }
                if (p.tooltip) { layer.bindTooltip(p.tooltip, {sticky: true}); }

            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict], name: str = "layer", pane: str = "overlayPane") -> None:
        super().__init__()
        self._name = name
        self.pane = pane  # one of PANES for data layers: the pane decides what is drawn above what
        self.data = {"type": "FeatureCollection", "features": features}
        self.approx_radius = APPROX_RADIUS_M


class MapNotes(MacroElement):
    """Legend and attribution as a Leaflet control; static text of our own, JSON-encoded."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            {{ this.fit_js }}
            {# Draw order, whatever order layers arrive in: oblast-level areas at the bottom, then
               facilities, then incidents on top, so a click on an incident opens the incident. #}
            {% for name, z in this.panes %}
            map.createPane("{{ name }}").style.zIndex = {{ z }};
            {% endfor %}
            {# A newly mounted map fits its first filtered view again (see FitView). #}
            window.impactFitted = null;
            {# Opening a popup may pan the map to fit it; closing it puts the view back. #}
            var before = null;
            map.on("popupopen", function () { before = before || [map.getCenter(), map.getZoom()]; });
            {# A popup no wider than a phone's map (its 380 px would run off the right edge). #}
            map.on("popupopen", function (e) {
                var w = map.getSize().x - 110;  {# less its frame (about 40 px) and autoPanPadding (2 x 24) #}
                if (e.popup.options.maxWidth > w) { e.popup.options.maxWidth = w; e.popup.update(); }
            });
            map.on("popupclose", function () {
                var view = before; before = null;
                if (view) { map.setView(view[0], view[1], {animate: false}); }
            });
            {# Top left, under the zoom buttons: Poland and Belarus lie there, while Ukraine's data is
               mostly east and south (a bottom-right legend covered Donetsk to Kherson). It folds away,
               and starts folded on narrow maps. #}
            var css = document.createElement("style");
            css.textContent = {{ this.popup_css|tojson }};
            document.head.appendChild(css);
            {{ this.font_js }}
            var legend = L.control({position: "topleft"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "impact-legend");
                div.style.cssText = {{ this.legend_style|tojson }};
                var toggle = L.DomUtil.create("button", "impact-legend-toggle", div);
                toggle.type = "button";
                toggle.style.cssText = {{ this.toggle_style|tojson }};
                var body = L.DomUtil.create("div", "impact-legend-body", div);
                body.innerHTML = {{ this.legend|tojson }};
                {# The legend scrolls inside the map rather than outgrowing it, clear of the attribution below. #}
                body.style.maxHeight = Math.max(120, map.getSize().y - 160) + "px";
                body.style.overflowY = "auto";
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                function setOpen(open) {
                    body.style.display = open ? "" : "none";
                    toggle.textContent = open ? "×" : "Legend";
                    toggle.title = open ? "Hide the legend" : "Show the legend";
                    toggle.setAttribute("aria-expanded", open ? "true" : "false");
                }
                L.DomEvent.on(toggle, "click", function () { setOpen(body.style.display === "none"); });
                setOpen(map.getSize().x >= {{ this.open_from_px }});
                {# A popup is never under the legend: the legend folds and hides while one is open. #}
                var openBefore = false;
                map.on("popupopen", function () {
                    openBefore = body.style.display !== "none"; setOpen(false); div.style.visibility = "hidden";
                });
                map.on("popupclose", function () { div.style.visibility = ""; if (openBefore) { setOpen(true); } });
                return div;
            };
            legend.addTo(map);
            {# The first view, without animation (a filtered view fitted while a zoom animation
               runs would be undone when the animation ends), with room for the legend beside it
               and, at the bottom, for the attribution, which wraps to two lines on a ~900 px map. #}
            window.impactFit(map, {{ this.first_view|tojson }}, false);
            {# The page link carries the view, so a copied link reopens it (see dashboard.map.fit). #}
            map.on("moveend", function () {
                if (map.getZoom() < {{ this.min_link_zoom }}) { return; }  {# a link the page would refuse #}
                try {
                    var url = new URL(window.parent.location.href), c = map.getCenter();
                    url.searchParams.set("view", c.lat.toFixed(4) + "," + c.lng.toFixed(4) + "," + map.getZoom());
                    window.parent.history.replaceState(window.parent.history.state, "", url.toString());
                } catch (error) { /* a map saved as a file, or framed by another site, keeps its address */ }
            });
            {% for text in this.attributions %}
            map.attributionControl.addAttribution({{ text|tojson }});
            {% endfor %}
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str, attributions: list[str]) -> None:
        super().__init__()
        self._name = "MapNotes"
        self.legend_style = LEGEND_STYLE
        self.legend = legend_html
        self.attributions = attributions
        self.panes = list(PANES.items())
        self.popup_css = POPUP_CSS
        self.font_js = PAGE_FONT_JS
        self.open_from_px = LEGEND_OPEN_FROM_PX
        self.first_view = UKRAINE_BOUNDS
        self.fit_js = FIT_JS
        self.min_link_zoom = ZOOM_RANGE[0]
        self.toggle_style = "float:right;border:0;background:none;cursor:pointer;font:600 12px sans-serif;padding:0 2px"


OUTLINE_STYLE = {"className": "impact-outline", "color": "#555", "weight": 1, "fill": True}


def outline_features(boundaries: Boundaries) -> list[dict]:
    """The oblast outlines as display features (simplified once, when the boundaries were loaded)."""
    names = dict(zip(boundaries.frame["oblast_iso"], boundaries.frame["oblast"], strict=True))
    return [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "tooltip": esc(names[iso]),
                "style": {**OUTLINE_STYLE, "fillColor": "#f2f2f2", "fillOpacity": 0.4},
            },
        }
        for iso, geometry in boundaries.outlines.items()
    ]


def base_map(boundaries: Boundaries, tiles_url: str = "", tiles_attribution: str = "") -> folium.Map:
    """The parts of the map that do not change with the filters: view, outlines, legend.

    Tiles are added only when ``tiles_url`` is set; by default the map is fully offline.
    """
    m = folium.Map(
        location=UKRAINE_CENTRE,
        zoom_start=6,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
        zoom_snap=ZOOM_SNAP,
        zoom_delta=0.5,
    )
    # Replace folium's CDN defaults (Leaflet, jQuery, Bootstrap, Font Awesome) with our own copy of Leaflet.
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    attributions = ["Records: see the Sources tab"]
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr=tiles_attribution or "Map tiles", name="Basemap").add_to(m)
    if boundaries.available:
        outlines = outline_features(boundaries)
        DataLayer(outlines, name="OblastOutlines").add_to(m)
        attributions.append(boundaries.attribution)
    # Place names without tiles; sent once here, since they do not change with the filters.
    attributions.append(GEONAMES_ATTRIBUTION)
    MapNotes(legend_html(boundaries.note), attributions).add_to(m)
    LabelLayer(labels_for(boundaries)).add_to(m)
    return m


def data_layers(
    records: Records,
    incidents: pd.DataFrame,
    boundaries: Boundaries,
    view: MapView | None = None,
    asset_types: tuple[str, ...] = (),
) -> folium.FeatureGroup:
    """The layers that change with the filters and the view, for incidents taken from ``records``."""
    mask = np.zeros(len(records.incidents), dtype=bool)
    mask[incidents.index.to_numpy()] = True
    return layers_for_mask(records, mask, boundaries, view, asset_types)


def layers_for_mask(
    records: Records,
    mask: np.ndarray,
    boundaries: Boundaries,
    view: MapView | None = None,
    asset_types: tuple[str, ...] = (),
    fit: list[list[float]] | None = None,
    link_view: tuple[float, float, float] | None = None,
    focus: tuple[str, int] | None = None,
    returned: list[str] | None = None,
) -> folium.FeatureGroup:
    """The layers that change with the filters and the view, in one feature group.

    ``fit`` (from :func:`dashboard.map.fit.view_for`) moves the map to those bounds the first
    time the group arrives with them, not on reruns with the same bounds; ``link_view``
    (latitude, longitude, zoom from the page link) opens that view instead. ``focus``
    (an incident id of ``mask`` and the number of the choice) zooms to that incident and opens
    its popup, once per choice; the incident is drawn whatever the view. ``returned`` is the
    list of st_folium ``returned_objects`` the mounted map should report from now on.

    Up to ``MARKER_LIMIT`` located incidents in the (padded) view are drawn one by one
    with popups; above that, the server sums them into screen-pixel cells, so the
    payload is bounded by the map's size whatever the number of incidents.
    """
    from dashboard.query.totals import Filters, impacts_in_view

    view = view or MapView()
    index = index_of(records)
    located = located_mask(index, mask, view)
    group = folium.FeatureGroup(name="Incidents and facilities")
    if fit is not None:
        FitView(fit, link_view).add_to(group)
    if returned is not None:
        ReportView(returned).add_to(group)
    chosen = np.zeros(len(mask), dtype=bool)
    if focus is not None:
        chosen = mask & (records.incidents["incident_id"].to_numpy() == focus[0])
    if chosen.any():
        position = int(np.flatnonzero(chosen)[0])
        FocusIncident(focus[0], focus_view(records, position, boundaries), f"{focus[0]}#{focus[1]}").add_to(group)
    if len(registry_rows(records)):  # registered facilities, drawn whether hit or not
        registry = registry_features(records, mask, view, asset_types)
        RegistryLayer(registry, registry_credits(records, registry)).add_to(group)
    if located.sum() <= MARKER_LIMIT:
        area_reports = mask & (index.geo_precision == "3")
        # The chosen incident first: its spot's or area's popup then lists it first.
        drawn = located | area_reports | chosen
        shown = records.incidents[drawn]
        shown = pd.concat([shown[chosen[drawn]], shown[~chosen[drawn]]])
        hit = impacts_in_view(records, shown, Filters(asset_types=asset_types))
        features = incident_features(records, shown, hit, boundaries)
        areas = [f for f in features if f["properties"]["kind"] == "oblast_area"]
        incidents, facilities = merge_spots(
            [f for f in features if f["properties"]["kind"] == "incident"], facility_features(hit, records)
        )
        for name, layer, pane in (
            ("Areas", areas, "impactAreas"),
            ("Facilities", facilities, "impactFacilities"),
            ("Incidents", incidents, "impactIncidents"),
        ):
            DataLayer([_sent(f) for f in layer], name=name, pane=pane).add_to(group)
        return group
    codes = index.codes_for(asset_types=asset_types)
    names = {code: (iso, _oblast_name(iso)) for iso, code in index.oblast_lookup.items()}
    areas = oblast_area_features(oblast_totals(index, mask), names, _area_geometries(records, boundaries))
    cells = cell_features(aggregate(index, mask, codes, view))
    DataLayer(cells, name="Cells", pane="impactIncidents").add_to(group)
    DataLayer(areas, name="Areas", pane="impactAreas").add_to(group)
    if chosen.any():  # the chosen incident as its own symbol above the cells, with its popup
        picked = records.incidents[chosen]
        hit = impacts_in_view(records, picked, Filters(asset_types=asset_types))
        features = [_sent(f) for f in incident_features(records, picked, hit, boundaries)]
        DataLayer(features, name="Chosen", pane="impactIncidents").add_to(group)
    return group


def _sent(feature: dict) -> dict:
    """The feature as sent, without what only the merging of spots needed."""
    properties = {key: value for key, value in feature["properties"].items() if key != "services"}
    return {**feature, "properties": properties}


def needs_view(records: Records, mask: np.ndarray) -> bool:
    """Whether the map must follow pans and zooms: only when cells replace markers somewhere."""
    return int((mask & (index_of(records).geo_precision != "3")).sum()) > MARKER_LIMIT


def _oblast_name(iso: str) -> str:
    from geo.oblasts import resolve_oblast

    return resolve_oblast(iso).name


def _area_geometries(records: Records, boundaries: Boundaries) -> dict[str, dict]:
    """Each oblast's display outline, or its first oblast-level record's point when none is loaded."""
    if boundaries.available:
        return dict(boundaries.outlines)
    level = records.incidents[records.incidents["geo_precision"] == "3"].drop_duplicates("oblast_iso")
    return {
        row.oblast_iso: {"type": "Point", "coordinates": [float(row.longitude), float(row.latitude)]}
        for row in level.itertuples()
    }


def build_map(
    records: Records,
    incidents: pd.DataFrame,
    boundaries: Boundaries,
    tiles_url: str = "",
    tiles_attribution: str = "",
    view: MapView | None = None,
    asset_types: tuple[str, ...] = (),
) -> folium.Map:
    """The whole map as one folium object (for tests, benchmarks and a standalone HTML file)."""
    m = base_map(boundaries, tiles_url, tiles_attribution)
    data_layers(records, incidents, boundaries, view, asset_types).add_to(m)
    return m
