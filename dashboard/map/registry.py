"""Registered facilities on the map: a small diamond each, grey until the filtered incidents hit it.

A registry's facilities (``dashboard.query.registry``) are drawn whether hit or not, in the
facilities pane, so that a user sees what was there as well as what was hit. Each diamond's
popup names the facility, its type and service, the registry's own words for it (capacity
included, for the power plant registry) and the registry's credit line; every value from a
record is escaped here (``records.safe_text.html_text``) and reaches the browser inside JSON.

Up to ``REGISTRY_MARKER_LIMIT`` facilities in the padded view are drawn one by one, ~0.8 KB
each with its popup (the source's credit is sent once); above that, one numbered square per
cell of ``REGISTRY_CELL_PX`` screen pixels says how many are there and how many were hit, so a
registry of thousands adds at most one symbol per cell of the map (~0.3 KB each), and zooming
in shows them one by one. Oblast-level facilities (geo precision 3) are never points: ``registry_rows`` leaves them out.
"""

from __future__ import annotations

import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from dashboard.map.features import esc, hit_category
from dashboard.query.aggregate import MAX_ZOOM, MapView
from dashboard.query.index import mercator
from dashboard.query.registry import hits_per_asset, inside, registry_rows
from dashboard.records.load import Records
from dashboard.records.safe_text import html_text

REGISTRY_MARKER_LIMIT = 50
REGISTRY_CELL_PX = 120
NOT_HIT_COLOUR = "#9e9e9e"
LEGEND_ROW = (
    '<label class="impact-legend-registry" style="display:block;cursor:pointer">'
    '<input type="checkbox" checked style="margin:0 4px 0 0;vertical-align:middle">'
    f'<span style="display:inline-block;width:8px;height:8px;background:{NOT_HIT_COLOUR};border:1px solid #333;'
    'transform:rotate(45deg);margin-right:3px"></span>'
    '<span style="display:inline-block;width:8px;height:8px;background:#d95f02;border:1px solid #333;'
    'transform:rotate(45deg);margin-right:4px"></span>Registered facility (not hit / hit)</label>'
)


class RegistryLayer(MacroElement):
    """Diamonds (HTML icons, so they can be squares) in the facilities pane, and their legend row."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (group) {
            var BOX = "border:1px solid #333;box-sizing:border-box;", credits = {{ this.credits|tojson }};
            var layer = L.geoJSON({{ this.data|tojson }}, {
                pointToLayer: function (feature, latlng) {
                    var p = feature.properties;
                    var s = p.size, inner = p.label ?
                        '<div style="width:' + s + 'px;height:' + s + 'px;line-height:' + (s - 2) + 'px;' + BOX +
                        'font:600 10px sans-serif;color:#fff;text-align:center;text-shadow:0 0 2px #000;background:' +
                        p.fill + '">' + p.label + '</div>' :
                        '<div style="width:' + (s - 4) + 'px;height:' + (s - 4) + 'px;margin:2px;' + BOX +
                        'transform:rotate(45deg);background:' + p.fill + '"></div>';
                    return L.marker(latlng, {pane: "impactFacilities", icon: L.divIcon({
                        className: "impact-registry " + p.className, iconSize: [s, s], html: inner})});
                },
                onEachFeature: function (feature, layer) {
                    var p = feature.properties;
                    // The source's credit is sent once per layer, not once per facility.
                    if (p.popup) { layer.bindPopup(p.popup + (credits[p.source] || ""),
                        {maxWidth: 380, maxHeight: 300, autoPanPadding: [24, 24]}); }
                    if (p.tooltip) { layer.bindTooltip(p.tooltip, {sticky: true}); }
                }
            });
            // The legend row's box hides the layer; the choice holds while the filters redraw it.
            if (!window.impactRegistryHidden) { layer.addTo(group); }
            var body = document.querySelector(".impact-legend-body");
            var old = body && body.querySelector(".impact-legend-registry");
            if (old) { old.remove(); }
            if (body && {{ this.data.features|length }} > 0) {
                var holder = document.createElement("div");
                holder.innerHTML = {{ this.legend|tojson }};
                var row = holder.firstChild, box = row.querySelector("input");
                box.checked = !window.impactRegistryHidden;
                box.addEventListener("change", function () {
                    window.impactRegistryHidden = !box.checked;
                    if (box.checked) { layer.addTo(group); } else { group.removeLayer(layer); }
                });
                body.insertBefore(row, body.lastChild);
            }
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict], credits: dict[str, str] | None = None) -> None:
        super().__init__()
        self._name = "RegistryLayer"
        self.data = {"type": "FeatureCollection", "features": features}
        self.credits = credits or {}  # source id -> its escaped credit line, ending each popup
        self.legend = LEGEND_ROW


def _point(longitude: float, latitude: float) -> list[float]:
    return [round(float(longitude), 5), round(float(latitude), 5)]  # about 1 m, as the other layers


def _popup(asset: dict, hits: int) -> str:
    served = asset["people_served"]
    served_text = "not stated" if served is None or served != served else f"{int(served):,}"
    hit_text = f"hit {hits} time(s) by the filtered incidents" if hits else "not hit in the filtered incidents"
    return (
        f"<b>{html_text(asset['name'])}</b><br>"
        f"Registered facility: {esc(asset['asset_type'].replace('_', ' '))}, {esc(hit_text)}<br>"
        f"Service: {esc(asset['service'])}; people served: {esc(served_text)}<br>"
        f"Registry entry: <blockquote class='impact-quote'>{html_text(asset['quote'])}</blockquote>"
    )


def credits(records: Records, features: list[dict]) -> dict[str, str]:
    """Each drawn source's credit line as escaped HTML: its title, id and required attribution."""
    wanted = {f["properties"].get("source") for f in features}
    lines = {}
    for source in records.sources[records.sources["source_id"].isin(wanted)].to_dict("records"):
        credit = f"; {html_text(source['attribution'])}" if source.get("attribution") else ""
        lines[source["source_id"]] = (
            f"<small>Source: {html_text(source['title'])} [{esc(source['source_id'])}]{credit}</small>"
        )
    return lines


def registry_features(
    records: Records, mask: np.ndarray, view: MapView | None = None, asset_types: tuple[str, ...] = ()
) -> list[dict]:
    """The registry layer's features for the filtered incidents ``mask`` and the map's view.

    Parameters
    ----------
    records : Records
        The records.
    mask : np.ndarray
        The filtered incidents; a facility is coloured when one of them hit it.
    view : MapView or None
        The map's view (None: the whole country at zoom 6).
    asset_types : tuple of str
        The asset-type filter: only facilities of these types are drawn (all when empty).

    Returns
    -------
    list of dict
        GeoJSON point features, one per facility or, above the limit, one per cell.
    """
    rows = registry_rows(records, asset_types)
    if len(rows) == 0:
        return []
    view = view or MapView()
    rows = rows[inside(records, rows, view.padded())]
    hits = hits_per_asset(records, mask)[rows]
    if len(rows) > REGISTRY_MARKER_LIMIT:
        return _cell_features(records, rows, hits, view)
    assets = records.assets.iloc[rows].to_dict("records")
    features = []
    for asset, count in zip(assets, hits.tolist(), strict=True):
        fill = hit_category({asset["service"]})[1] if count else NOT_HIT_COLOUR
        state = "hit" if count else "not hit"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _point(asset["longitude"], asset["latitude"])},
                "properties": {
                    "className": f"impact-registry-{state.replace(' ', '-')}",
                    "size": 12,
                    "fill": fill,
                    "popup": _popup(asset, count),
                    "source": esc(asset["source_id"]),
                    "tooltip": f"{html_text(asset['name'])}: registered, {state}",
                },
            }
        )
    return features


def _cell_features(records: Records, rows: np.ndarray, hits: np.ndarray, view: MapView) -> list[dict]:
    """One numbered square per screen cell holding registered facilities: how many, how many hit."""
    latitude = records.assets["latitude"].to_numpy(dtype=float)[rows]
    longitude = records.assets["longitude"].to_numpy(dtype=float)[rows]
    mx, my = mercator(latitude, longitude)
    scale = 256 * 2 ** min(view.zoom, MAX_ZOOM) / REGISTRY_CELL_PX
    keys = np.floor(mx * scale).astype(np.int64) * (1 << 31) + np.floor(my * scale).astype(np.int64)
    _, cell = np.unique(keys, return_inverse=True)
    count = np.bincount(cell)
    hit = np.bincount(cell, weights=(hits > 0).astype(float)).astype(np.int64)
    lat = np.bincount(cell, weights=latitude) / count
    lon = np.bincount(cell, weights=longitude) / count
    features = []
    for i in range(len(count)):
        fill = "#d95f02" if hit[i] else NOT_HIT_COLOUR
        size = 18 if count[i] < 100 else 24
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _point(lon[i], lat[i])},
                "properties": {
                    "className": "impact-registry-cell",
                    "size": size,
                    "fill": fill,
                    "label": f"{int(count[i]):,}",
                    "tooltip": f"{int(count[i]):,} registered facilities here, {int(hit[i]):,} hit: zoom in for each",
                },
            }
        )
    return features
