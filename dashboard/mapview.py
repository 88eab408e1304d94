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
>>> from pathlib import Path
>>> from dashboard.records import load_records
>>> from dashboard.query import Filters, filter_incidents, impacts_in_view
>>> from geo.boundaries import load_boundaries
>>> records = load_records(Path("data")).records
>>> incidents = filter_incidents(records, Filters())
>>> m = build_map(records, incidents, impacts_in_view(records, incidents, Filters()), load_boundaries(None))
>>> "cdn." in m.get_root().render()
False
"""

from __future__ import annotations

import html

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from dashboard.aggregate import MARKER_LIMIT, MapView, aggregate, located_mask, oblast_totals
from dashboard.mapcells import cell_features, oblast_area_features
from dashboard.records import Records
from dashboard.static_assets import LEAFLET_CSS, LEAFLET_JS
from geo.boundaries import Boundaries, display_geometry

UKRAINE_CENTRE = (48.4, 31.2)
UKRAINE_BOUNDS = [[44.3, 22.1], [52.4, 40.2]]
APPROX_RADIUS_M = 60_000
AREA_POPUP_LIMIT = (
    20  # oblast-level reports listed in one area's popup  # an oblast-sized circle when no outline is available
)

# What an incident hit decides its colour; the first category present wins.
HIT_CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Heating, power or energy", "#d95f02", ("heating", "electricity", "energy")),
    ("Gas", "#e6ab02", ("gas",)),
    ("Water", "#1f78b4", ("water",)),
    ("Health", "#e7298a", ("health",)),
    ("Education", "#7570b3", ("education",)),
    ("Homes", "#a6761d", ("housing",)),
    ("Other civilian infrastructure", "#666666", ("transport", "unspecified")),
)
PEOPLE_ONLY = ("People harmed, no facility reported", "#1b9e77")
LEGEND_STYLE = "background:#fff;padding:6px 8px;font:12px/1.4 sans-serif;border-radius:4px;box-shadow:0 0 4px #0004"
QUOTE_STYLE = "margin:4px 0;padding-left:6px;border-left:3px solid #ccc"
PRECISION_LABELS = {"1": "exact site", "2": "settlement centre (approximate)", "3": "oblast only"}


def esc(value: object) -> str:
    """HTML-escape a record value; blanks and missing values become an empty string."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def _figure(value: object, unit: str = "") -> str:
    if value is None or pd.isna(value):
        return "not reported"
    return f"{int(value):,}{unit}"


def hit_category(services: set[str]) -> tuple[str, str]:
    """Legend label and colour for an incident that hit facilities with these services."""
    for label, colour, members in HIT_CATEGORIES:
        if services & set(members):
            return label, colour
    return PEOPLE_ONLY


class DataLayer(MacroElement):
    """A GeoJSON layer whose features carry their own style, popup and tooltip (pre-escaped)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data|tojson }}, {
            pointToLayer: function (feature, latlng) {
                var p = feature.properties;
                if (p.shape === "approximate") {
                    return L.circle(latlng, Object.assign({radius: {{ this.approx_radius }}}, p.style));
                }
                return L.circleMarker(latlng, p.style);
            },
            style: function (feature) { return feature.properties.style; },
            onEachFeature: function (feature, layer) {
                var p = feature.properties;
                if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 380}); }
                if (p.tooltip) { layer.bindTooltip(p.tooltip, {sticky: true}); }
                if (p.label) {
                    layer.bindTooltip(p.label, {permanent: true, direction: "center", className: "impact-count"});
                }
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict], name: str = "layer") -> None:
        super().__init__()
        self._name = name
        self.data = {"type": "FeatureCollection", "features": features}
        self.approx_radius = APPROX_RADIUS_M


class MapNotes(MacroElement):
    """Legend and attribution as a Leaflet control; static text of our own, JSON-encoded."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "impact-legend");
                div.style.cssText = {{ this.legend_style|tojson }};
                div.innerHTML = {{ this.legend|tojson }};
                return div;
            };
            legend.addTo(map);
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


def legend_html(boundary_note: str) -> str:
    rows = [
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
        f'background:{colour};margin-right:4px"></span>{esc(label)}</div>'
        for label, colour, _ in HIT_CATEGORIES
    ]
    rows.append(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
        f'background:{PEOPLE_ONLY[1]};margin-right:4px"></span>{esc(PEOPLE_ONLY[0])}</div>'
    )
    rows.append(
        '<div><span style="display:inline-block;width:10px;height:10px;border:2px solid #333;'
        'border-radius:50%;margin-right:4px"></span>Facility hit (small dot, dark ring)</div>'
    )
    rows.append(
        '<div><span style="display:inline-block;width:12px;height:8px;border:2px dashed #444;'
        'margin-right:4px"></span>Oblast-level report: area, not a point</div>'
    )
    rows.append("<div>Circle size: people killed and injured</div>")
    rows.append(f'<div style="color:#555;max-width:220px;overflow-wrap:anywhere">{esc(boundary_note)}</div>')
    return '<div style="font-weight:600">What was hit</div>' + "".join(rows)


def base_map(boundaries: Boundaries, tiles_url: str = "", tiles_attribution: str = "") -> folium.Map:
    """The parts of the map that do not change with the filters: view, outlines, legend.

    Tiles are added only when ``tiles_url`` is set; by default the map is fully offline.
    """
    m = folium.Map(location=UKRAINE_CENTRE, zoom_start=6, tiles=None, control_scale=True, prefer_canvas=False)
    # Replace folium's CDN defaults (Leaflet, jQuery, Bootstrap, Font Awesome) with our own copy of Leaflet.
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    m.fit_bounds(UKRAINE_BOUNDS)
    attributions = ["Records: see the Sources tab"]
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr=tiles_attribution or "Map tiles", name="Basemap").add_to(m)
    if boundaries.available:
        outlines = [
            {
                "type": "Feature",
                "geometry": display_geometry(row.geometry),
                "properties": {
                    "tooltip": esc(row.oblast),
                    "style": {
                        "className": "impact-outline",
                        "color": "#555",
                        "weight": 1,
                        "fill": True,
                        "fillColor": "#f2f2f2",
                        "fillOpacity": 0.4,
                    },
                },
            }
            for row in boundaries.frame.itertuples()
        ]
        DataLayer(outlines, name="OblastOutlines").add_to(m)
        attributions.append(boundaries.attribution)
    MapNotes(legend_html(boundaries.note), attributions).add_to(m)
    return m


def _services_by_incident(hit: pd.DataFrame) -> dict[str, set[str]]:
    return {incident: set(group["service"]) for incident, group in hit.groupby("incident_id")}


def _incident_popup(row, sources: pd.DataFrame, facilities: pd.DataFrame) -> str:
    source = sources.loc[sources["source_id"] == row.source_id]
    source_title = source["title"].iloc[0] if not source.empty else row.source_id
    place = esc(row.place) if row.place else f"{esc(row.oblast)} (oblast-level report)"
    facility_rows = "".join(
        f"<li>{esc(f.name)}: {esc(f.state_after.replace('_', ' '))}</li>" for f in facilities.itertuples()
    )
    return (
        f"<b>{place}</b>, {esc(row.oblast)}<br>"
        f"{esc(row.event_date.strftime('%Y-%m-%d'))} ({esc(row.date_precision)}; "
        f"as stated: {esc(row.date_as_stated)})<br>"
        f"Location: {esc(PRECISION_LABELS.get(row.geo_precision, row.geo_precision))}<br>"
        f"Weapons: {esc(row.weapons.replace(';', ', '))}<br>"
        f"Perpetrator as reported: {esc(row.perpetrator_as_reported)}"
        f"{' (according to ' + esc(row.reported_by) + ')' if row.reported_by else ''}<br>"
        f"Killed: {_figure(row.killed)} (children {_figure(row.children_killed)}); "
        f"injured: {_figure(row.injured)} (children {_figure(row.children_injured)})<br>"
        + (f"Facilities hit:<ul style='margin:2px 0 2px 16px;padding:0'>{facility_rows}</ul>" if facility_rows else "")
        + f"<blockquote style='{QUOTE_STYLE}'>{esc(row.quote)}</blockquote>"
        f"<small>Source: {esc(source_title)} [{esc(row.source_id)}]</small>"
    )


def incident_features(
    records: Records, incidents: pd.DataFrame, hit: pd.DataFrame, boundaries: Boundaries
) -> list[dict]:
    """One feature per located incident; oblast-level incidents as one area per oblast."""
    services = _services_by_incident(hit)
    features: list[dict] = []
    areas: dict[str, list[str]] = {}
    for row in incidents.itertuples():
        label, colour = hit_category(services.get(row.incident_id, set()))
        facilities = hit[hit["incident_id"] == row.incident_id]
        popup = _incident_popup(row, records.sources, facilities)
        if row.geo_precision == "3":
            areas.setdefault(row.oblast_iso, []).append(popup)
            continue
        harmed = int((0 if pd.isna(row.killed) else row.killed) + (0 if pd.isna(row.injured) else row.injured))
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(row.longitude), float(row.latitude)],
                },
                "properties": {
                    "kind": "incident",
                    "id": esc(row.incident_id),
                    "popup": popup,
                    "tooltip": f"{esc(row.place)}: {esc(label)} ({esc(row.event_date.strftime('%Y-%m-%d'))})",
                    "style": {
                        "className": "impact-incident",
                        "radius": 7 + min(harmed, 40) ** 0.5 * 2,
                        "color": "#222" if row.geo_precision == "1" else colour,
                        "weight": 2 if row.geo_precision == "1" else 1,
                        "fillColor": colour,
                        "fillOpacity": 0.8,
                    },
                },
            }
        )
    for iso, popups in areas.items():
        rows = incidents[(incidents["oblast_iso"] == iso) & (incidents["geo_precision"] == "3")]
        name = rows["oblast"].iloc[0]
        tooltip = f"{esc(name)}: {len(popups)} oblast-level report(s); exact location not known"
        style = {
            "className": "impact-oblast-area",
            "color": "#444",
            "weight": 2,
            "dashArray": "6 6",
            "fillColor": "#444",
            "fillOpacity": 0.12,
        }
        popup = "<hr>".join(popups[:AREA_POPUP_LIMIT])
        if len(popups) > AREA_POPUP_LIMIT:
            popup += f"<hr>… and {len(popups) - AREA_POPUP_LIMIT:,} more oblast-level reports (see the Incidents tab)"
        if boundaries.available and iso in set(boundaries.frame["oblast_iso"]):
            geometry = boundaries.frame.loc[boundaries.frame["oblast_iso"] == iso].geometry.iloc[0]
            features.append(
                {
                    "type": "Feature",
                    "geometry": display_geometry(geometry),
                    "properties": {
                        "kind": "oblast_area",
                        "shape": "area",
                        "popup": popup,
                        "tooltip": tooltip,
                        "style": style,
                    },
                }
            )
        else:
            row = rows.iloc[0]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [float(row.longitude), float(row.latitude)],
                    },
                    "properties": {
                        "kind": "oblast_area",
                        "shape": "approximate",
                        "popup": popup,
                        "tooltip": "≈ approximate: " + tooltip,
                        "style": style,
                    },
                }
            )
    return features


def facility_features(hit: pd.DataFrame, records: Records) -> list[dict]:
    """One square per asset hit (counted once), with service, people served and state."""
    features = []
    assets = records.assets.set_index("asset_id")
    for asset_id, group in hit.groupby("asset_id"):
        asset = assets.loc[asset_id]
        if asset["geo_precision"] == "3":
            continue  # drawn with its incident's oblast area, never as a point
        label, colour = hit_category({asset["service"]})
        served = asset["people_served"]
        served_text = (
            "not stated"
            if pd.isna(served)
            else ("over " if asset["people_served_qualifier"] == "at_least" else "") + f"{int(served):,}"
        )
        states = ", ".join(sorted({s.replace("_", " ") for s in group["state_after"]}))
        count = ("at least " if asset["count_qualifier"] == "at_least" else "") + str(int(asset["asset_count"]))
        popup = (
            f"<b>{esc(asset['name'])}</b><br>Type: {esc(asset['asset_type'].replace('_', ' '))} ({esc(count)})<br>"
            f"Service: {esc(asset['service'])}; people served: {esc(served_text)}<br>"
            f"State after attack: {esc(states)}; hit {len(group)} time(s)<br>"
            f"<blockquote style='{QUOTE_STYLE}'>{esc(asset['quote'])}</blockquote>"
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(asset["longitude"]), float(asset["latitude"])],
                },
                "properties": {
                    "kind": "facility",
                    "id": esc(asset_id),
                    "popup": popup,
                    "tooltip": f"{esc(asset['name'])}: {esc(states)}",
                    "style": {
                        "className": "impact-facility",
                        "radius": 4,
                        "color": "#222",
                        "weight": 2,
                        "fillColor": colour,
                        "fillOpacity": 1,
                    },
                },
            }
        )
    return features


def data_layers(
    records: Records,
    incidents: pd.DataFrame,
    hit: pd.DataFrame,
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
) -> folium.FeatureGroup:
    """The layers that change with the filters and the view, in one feature group.

    Up to ``MARKER_LIMIT`` located incidents in the (padded) view are drawn one by one
    with popups; above that, the server sums them into screen-pixel cells, so the
    payload is bounded by the map's size whatever the number of incidents.
    """
    from dashboard.query import Filters, impacts_in_view

    view = view or MapView()
    index = records.index
    located = located_mask(index, mask, view)
    group = folium.FeatureGroup(name="Incidents and facilities")
    if located.sum() <= MARKER_LIMIT:
        area_reports = mask & (index.geo_precision == "3")
        shown = records.incidents[located | area_reports]
        hit = impacts_in_view(records, shown, Filters(asset_types=asset_types))
        DataLayer(incident_features(records, shown, hit, boundaries), name="Incidents").add_to(group)
        DataLayer(facility_features(hit, records), name="Facilities").add_to(group)
        return group
    codes = index.codes_for(asset_types=asset_types)
    names = {code: (iso, _oblast_name(iso)) for iso, code in index.oblast_lookup.items()}
    areas = oblast_area_features(oblast_totals(index, mask), names, _area_geometries(records, boundaries))
    DataLayer(cell_features(aggregate(index, mask, codes, view)), name="Cells").add_to(group)
    DataLayer(areas, name="Areas").add_to(group)
    return group


def needs_view(records: Records, mask: np.ndarray) -> bool:
    """Whether the map must follow pans and zooms: only when cells replace markers somewhere."""
    return int((mask & (records.index.geo_precision != "3")).sum()) > MARKER_LIMIT


def _oblast_name(iso: str) -> str:
    from geo.oblasts import resolve_oblast

    return resolve_oblast(iso).name


def _area_geometries(records: Records, boundaries: Boundaries) -> dict[str, dict]:
    """Each oblast's display outline, or its first oblast-level record's point when none is loaded."""
    if boundaries.available:
        return {row.oblast_iso: display_geometry(row.geometry) for row in boundaries.frame.itertuples()}
    level = records.incidents[records.incidents["geo_precision"] == "3"].drop_duplicates("oblast_iso")
    return {
        row.oblast_iso: {"type": "Point", "coordinates": [float(row.longitude), float(row.latitude)]}
        for row in level.itertuples()
    }


def build_map(
    records: Records,
    incidents: pd.DataFrame,
    hit: pd.DataFrame,
    boundaries: Boundaries,
    tiles_url: str = "",
    tiles_attribution: str = "",
    view: MapView | None = None,
    asset_types: tuple[str, ...] = (),
) -> folium.Map:
    """The whole map as one folium object (for tests, benchmarks and a standalone HTML file)."""
    m = base_map(boundaries, tiles_url, tiles_attribution)
    data_layers(records, incidents, hit, boundaries, view, asset_types).add_to(m)
    return m


def external_links(m: folium.Map) -> list[str]:
    """Every script or stylesheet URL of the map that points at another host."""
    links = []
    for element in _walk(m):
        for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]:
            if "://" in url or url.startswith("//"):
                links.append(url)
    return links


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)
