"""Place names drawn on the map without tiles: oblasts at low zoom, cities by population as you zoom in.

The labels are computed once in Python from the bundled GeoNames extract (and the oblast
outlines, when a boundary file is loaded), sent once with the base map, and shown or
hidden in the browser on each zoom: they never change with the filters.

Each label is a compact array ``[text, latitude, longitude, kind, from_zoom, below_zoom]``
(shown while ``from_zoom <= zoom < below_zoom``), so a few hundred labels cost ~20 KB.

Examples
--------
>>> from geo.boundaries import load_boundaries
>>> labels = map_labels(load_boundaries(None))
>>> sum(1 for label in labels if label[3] == "oblast")
27
>>> next(label for label in labels if label[0] == "Kharkiv" and label[3] == "city")[3:5]
['city', 5]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from dashboard.map.features import esc
from geo.boundaries import Boundaries
from geo.distance import great_circle_km
from geo.gazetteer import GazetteerPlace, all_places
from geo.oblasts import OBLASTS

# Oblast names are shown below this zoom (that is, at zoom 6 and lower).
OBLAST_LABELS_BELOW = 7
# (population at least, shown from zoom): the first view (~zoom 5.75) names the biggest cities.
CITY_TIERS = ((500_000, 5), (100_000, 7), (20_000, 8), (10_000, 9))
NO_UPPER_ZOOM = 99
# GeoNames lists city districts (Saltivka, Obolon, Desna ...) as places of their own: a place
# this close to a more populous one is a district, or too close to label anyway.
DISTRICT_KM = 12.0
MILLION_CITY_KM = 16.0  # Kyiv's Darnytsya and Desna are 13 km from its centre; Brovary, a city, 20 km
# A place with this many alternate names or fewer, near a better-known one, is a district of it.
SECTION_MAX_NAMES = 12
CAPITAL_FROM_ZOOM = 7
_DISTRICT_WORDS = re.compile(r"\b(district|rayon|raion|rajon)\b|район|\braion\b", re.IGNORECASE)
# The two cities that are first-level units: their unit label is the city's name at the city.
_CITY_UNITS = {"UA-30": "Kyiv", "UA-40": "Sevastopol"}
# An oblast name this close (degrees of latitude, longitude) to a city named at the same zoom moves down.
CLASH_DEG = (0.3, 1.2)
LABEL_PANE = ("impactLabels", 405)  # above the outlines (400), below the data panes (410+)


def oblast_label_text(name: str) -> str:
    """The short name a map shows: "Kherson" for Kherson Oblast, "Crimea" for the republic.

    Kyiv Oblast keeps its suffix: "Kyiv" is the city, a unit of its own, labelled at the city.
    """
    if name == "Autonomous Republic of Crimea":
        return "Crimea"
    return name if name == "Kyiv Oblast" else name.removesuffix(" Oblast")


def city_from_zoom(population: int) -> int | None:
    """The lowest zoom at which a city of ``population`` is named, or None if it never is."""
    for at_least, zoom in CITY_TIERS:
        if population >= at_least:
            return zoom
    return None


def _near(place: GazetteerPlace, others: Sequence[GazetteerPlace]) -> np.ndarray:
    """Which of ``others`` ``place`` lies within DISTRICT_KM of (more for a city of a million)."""
    if not others:
        return np.zeros(0, dtype=bool)
    distance = great_circle_km(
        place.latitude,
        place.longitude,
        np.array([o.latitude for o in others]),
        np.array([o.longitude for o in others]),
    )
    radius = np.array([MILLION_CITY_KM if o.population >= 1_000_000 else DISTRICT_KM for o in others])
    return np.asarray(distance) <= radius


def _labelled_cities(places: Sequence[GazetteerPlace], names_count: dict[int, int]) -> list[tuple[GazetteerPlace, int]]:
    """Places big enough to name, without city districts, each with the zoom it appears from.

    ``names_count`` (GeoNames id -> number of alternate names) tells a city from its districts:
    GeoNames lists Saltivka (in Kharkiv: 409,300 people, 4 names) and Pravyi Bereh (in Mariupol:
    352,088, 4 names) as places of their own, bigger than its figure for the city around them.
    """
    candidates = [p for p in places if city_from_zoom(p.population) is not None and not _DISTRICT_WORDS.search(p.name)]
    count = {id(p): names_count.get(p.geonames_id or -1, 0) for p in candidates}
    cities = []
    for place in candidates:
        if count[id(place)] <= SECTION_MAX_NAMES:
            better_known = [o for o in candidates if count[id(o)] > count[id(place)]]
            if _near(place, better_known).any():
                continue
        cities.append(place)
    kept: list[GazetteerPlace] = []
    for place in sorted(cities, key=lambda p: -p.population):
        if not _near(place, kept).any():  # too close to a bigger labelled city to read
            kept.append(place)
    # Each unit's biggest city is named from zoom 7 whatever GeoNames' figure (66,000 for Kherson).
    largest: dict[str, GazetteerPlace] = {}
    for place in kept:
        largest.setdefault(place.oblast_iso, place)
    named = []
    for place in kept:
        from_zoom = city_from_zoom(place.population)
        if largest[place.oblast_iso] is place:
            from_zoom = min(from_zoom, CAPITAL_FROM_ZOOM)
        named.append((place, from_zoom))
    return named


@functools.lru_cache(maxsize=1)
def _bundled_city_labels() -> tuple[tuple, ...]:
    # The alternate names come from the extract the gazetteer reads (private to geo; read once here).
    from geo.geonames import _ukrainian_records

    records, _ = _ukrainian_records()
    names_count = {int(r["geonameid"]): len(r.get("alternatenames") or ()) for r in records}
    return tuple(tuple(row) for row in _city_rows(all_places(), names_count))


def _city_rows(places: Sequence[GazetteerPlace], names_count: dict[int, int] | None = None) -> list[list]:
    rows = []
    for place, from_zoom in _labelled_cities(places, names_count or {}):
        # Kyiv and Sevastopol are named by their unit label at low zoom; the city label takes over after.
        unit_city = _CITY_UNITS.get(place.oblast_iso) == place.name
        start = max(from_zoom, OBLAST_LABELS_BELOW) if unit_city else from_zoom
        rows.append(
            [esc(place.name), round(place.latitude, 3), round(place.longitude, 3), "city", start, NO_UPPER_ZOOM]
        )
    return rows


def _oblast_points(boundaries: Boundaries, places: Sequence[GazetteerPlace]) -> dict[str, tuple[float, float]]:
    """A point inside each unit: its outline's pole of inaccessibility, else the median of its GeoNames places."""
    points: dict[str, tuple[float, float]] = {}
    if boundaries.available:
        import shapely.geometry
        import shapely.ops

        for iso, outline in boundaries.outlines.items():
            shape = shapely.geometry.shape(outline)
            largest = max(getattr(shape, "geoms", [shape]), key=lambda part: part.area)
            # The point farthest from the edges (and from Kyiv inside Kyiv Oblast), not merely inside.
            point = shapely.ops.polylabel(largest, tolerance=0.02)
            points[iso] = (point.y, point.x)
    by_unit: dict[str, list[GazetteerPlace]] = {}
    for place in places:
        by_unit.setdefault(place.oblast_iso, []).append(place)
    for iso, members in by_unit.items():
        if iso in _CITY_UNITS:  # the city itself, not the median of its districts and suburbs
            city = max(members, key=lambda p: p.population)
            points[iso] = (city.latitude, city.longitude)
        elif iso not in points:
            points[iso] = (
                float(np.median([p.latitude for p in members])),
                float(np.median([p.longitude for p in members])),
            )
    return points


def map_labels(boundaries: Boundaries, places: Sequence[GazetteerPlace] | None = None) -> list[list]:
    """Every label of the map: the 27 first-level units, then the cities.

    Parameters
    ----------
    boundaries : Boundaries
        Oblast outlines place the oblast names inside them; without them, GeoNames does.
    places : sequence of GazetteerPlace, optional
        The places to name (default: the bundled GeoNames extract, computed once per process).

    Returns
    -------
    list of list
        ``[text, latitude, longitude, kind, from_zoom, below_zoom]``, ``text`` HTML-escaped.
    """
    cities = [list(row) for row in _bundled_city_labels()] if places is None else _city_rows(places)
    points = _oblast_points(boundaries, all_places() if places is None else places)
    early = [(row[1], row[2]) for row in cities if row[4] < OBLAST_LABELS_BELOW]
    units = []
    for oblast in OBLASTS:
        if oblast.iso not in points:
            continue
        latitude, longitude = points[oblast.iso]
        if oblast.iso not in _CITY_UNITS:
            # Off a city named at the same zoom (Donetsk): the first of here, below, above that is clear.
            for shift in (0.0, -CLASH_DEG[0], CLASH_DEG[0]):
                if not any(
                    abs(latitude + shift - lat) < CLASH_DEG[0] and abs(longitude - lon) < CLASH_DEG[1]
                    for lat, lon in early
                ):
                    latitude += shift
                    break
        text = esc(oblast_label_text(oblast.name))
        units.append([text, round(latitude, 3), round(longitude, 3), "oblast", 0, OBLAST_LABELS_BELOW])
    return units + cities


LABEL_CSS = (
    ".impact-label{pointer-events:none;white-space:nowrap}"
    ".impact-label span{position:absolute;transform:translate(-50%,-50%);font:11px/1.2 sans-serif;"
    "color:#222;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}"
    ".impact-label-oblast span{font-size:10px;letter-spacing:.08em;text-transform:uppercase;color:#666}"
    ".impact-label-city span{transform:translate(5px,-50%)}"
    ".impact-label-city span::before{content:'';position:absolute;left:-6px;top:50%;width:4px;height:4px;"
    "margin-top:-2px;border-radius:50%;background:#333}"
)


class LabelLayer(MacroElement):
    """The labels as non-interactive divIcon markers in their own pane, shown by zoom."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var impactLabels = {{ this.labels|tojson }};
        (function (map, labels) {
            var pane = map.createPane({{ this.pane|tojson }});
            pane.style.zIndex = {{ this.z }};
            pane.style.pointerEvents = "none";
            var css = document.createElement("style");
            css.textContent = {{ this.css|tojson }};
            document.head.appendChild(css);
            var group = L.layerGroup().addTo(map);
            var markers = labels.map(function (l) {
                return L.marker([l[1], l[2]], {pane: {{ this.pane|tojson }}, interactive: false, keyboard: false,
                    icon: L.divIcon({className: "impact-label impact-label-" + l[3], iconSize: null,
                                     html: "<span>" + l[0] + "</span>"})});
            });
            // Text is already escaped in Python; only the labels for this zoom are in the DOM.
            function show() {
                var zoom = map.getZoom();
                markers.forEach(function (marker, i) {
                    var on = zoom >= labels[i][4] && zoom < labels[i][5];
                    if (on && !group.hasLayer(marker)) { group.addLayer(marker); }
                    if (!on && group.hasLayer(marker)) { group.removeLayer(marker); }
                });
            }
            map.on("zoomend", show);
            show();
        })({{ this._parent.get_name() }}, impactLabels);
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[list]) -> None:
        super().__init__()
        self._name = "PlaceLabels"
        self.labels = labels
        self.pane, self.z = LABEL_PANE
        self.css = LABEL_CSS
