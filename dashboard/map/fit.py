"""The map view that fits the filtered records: a pure function of the records and the mask.

Located records (a site or a settlement) count by their point; oblast-level records are drawn
as their oblast, so they count by the oblast's outline (or a box around their centroid when no
boundary file is loaded). A single place gets a city-sized box, so one record is not shown at
the map's maximum zoom; the whole selection (or none) gives the country's first view.

Examples
--------
>>> from dashboard.config import SEED_DATA_DIR
>>> from dashboard.records.load import load_records
>>> from dashboard.query.totals import Filters, incident_mask
>>> from geo.boundaries import load_boundaries
>>> records = load_records(SEED_DATA_DIR).records
>>> (south, west), (north, east) = view_for(records, incident_mask(records, Filters(cities=("Odesa",))),
...                                         load_boundaries(None))
>>> south < 46.48 < north and west < 30.72 < east and north - south < 1
True
"""

from __future__ import annotations

import json
import math

import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from dashboard.records.load import Records
from geo.boundaries import Boundaries

# The country with Crimea and the 1991 border (the map's first view).
UKRAINE_VIEW = [[44.2, 22.0], [52.5, 40.3]]
# Half the side of the box around a single place (~15 km north-south): a city and its outskirts.
CITY_HALF_DEG = 0.14
# Half the side of the box around an exact site (~4 km north-south): the street and its surroundings.
SITE_HALF_DEG = 0.02
# Half the side of the box for an oblast-level record without outlines (an oblast is ~2-3 degrees).
OBLAST_HALF_DEG = 1.2
# Pixels around fitted bounds, so the border or the records are not flush with the map's edge.
FIT_PADDING_PX = (12, 12)
# Pixels kept free at the bottom for the attribution, which wraps to two lines on a ~900 px map.
ATTRIBUTION_ROOM_PX = 44
# The page link's parameter for the view: "latitude,longitude,zoom".
VIEW_PARAM = "view"
ZOOM_RANGE = (3.0, 18.0)
# The half-sizes grow by this share, so symbols at the edge are not cut by the map's frame.
PADDING_SHARE = 0.1


def _outline_box(geometry: dict) -> tuple[float, float, float, float]:
    """(south, west, north, east) of a GeoJSON geometry."""
    import shapely.geometry

    west, south, east, north = shapely.geometry.shape(geometry).bounds
    return south, west, north, east


def view_for(records: Records, mask: np.ndarray, boundaries: Boundaries) -> list[list[float]]:
    """Bounds ``[[south, west], [north, east]]`` that hold every record ``mask`` selects.

    Parameters
    ----------
    records : Records
        The records, incidents in date order.
    mask : numpy.ndarray of bool
        Which incidents are shown (``dashboard.query.totals.incident_mask``).
    boundaries : Boundaries
        Outlines for oblast-level records; without them, a box around the record's centroid.

    Returns
    -------
    list of list of float
        Padded bounds, rounded to 4 decimals (so equal selections give equal views);
        :data:`UKRAINE_VIEW` when every incident, or none, is selected.
    """
    incidents = records.incidents
    if not mask.any() or mask.all():
        return [list(corner) for corner in UKRAINE_VIEW]
    shown = incidents[mask]
    area = shown["geo_precision"].astype(str) == "3"
    boxes: list[tuple[float, float, float, float]] = []
    points = shown[~area]
    if len(points):
        lat, lon = points["latitude"].astype(float), points["longitude"].astype(float)
        boxes.append((lat.min(), lon.min(), lat.max(), lon.max()))
    for row in shown[area].drop_duplicates("oblast_iso").itertuples():
        outline = boundaries.outlines.get(row.oblast_iso) if boundaries.available else None
        if outline is not None:
            boxes.append(_outline_box(outline))
        else:
            lat, lon = float(row.latitude), float(row.longitude)
            boxes.append((lat - OBLAST_HALF_DEG, lon - OBLAST_HALF_DEG, lat + OBLAST_HALF_DEG, lon + OBLAST_HALF_DEG))
    south, west = min(b[0] for b in boxes), min(b[1] for b in boxes)
    north, east = max(b[2] for b in boxes), max(b[3] for b in boxes)
    # A single place (or a tight cluster) gets a city-sized box around its centre.
    middle_lat, middle_lon = (south + north) / 2, (west + east) / 2
    half_lat = max((north - south) / 2, CITY_HALF_DEG)
    # A degree of longitude is shorter than one of latitude (cos 48° ~ 2/3): widen to look square.
    half_lon = max((east - west) / 2, CITY_HALF_DEG / np.cos(np.radians(middle_lat)))
    half_lat, half_lon = half_lat * (1 + PADDING_SHARE), half_lon * (1 + PADDING_SHARE)
    return [
        [round(float(middle_lat - half_lat), 4), round(float(middle_lon - half_lon), 4)],
        [round(float(middle_lat + half_lat), 4), round(float(middle_lon + half_lon), 4)],
    ]


def focus_view(records: Records, position: int, boundaries: Boundaries) -> list[list[float]]:
    """Bounds ``[[south, west], [north, east]]`` that show one incident as it is drawn.

    An exact site gets a box of about 4 km, a settlement's centre a city-sized box, an
    oblast-level record (drawn as its oblast, never as a point) its oblast's outline, or,
    without a boundary file, the box that :func:`view_for` gives it.

    Examples
    --------
    >>> from dashboard.config import SEED_DATA_DIR
    >>> from dashboard.records.load import load_records
    >>> from geo.boundaries import load_boundaries
    >>> records = load_records(SEED_DATA_DIR).records
    >>> (south, west), (north, east) = focus_view(records, 3, load_boundaries(None))  # Odesa, a settlement
    >>> south < 46.4825 < north and west < 30.7233 < east and round(north - south, 2)
    0.28
    """
    row = records.incidents.iloc[position]
    precision = str(row["geo_precision"])
    lat, lon = float(row["latitude"]), float(row["longitude"])
    if precision == "3":
        outline = boundaries.outlines.get(row["oblast_iso"]) if boundaries.available else None
        south, west, north, east = (
            _outline_box(outline)
            if outline is not None
            else (lat - OBLAST_HALF_DEG, lon - OBLAST_HALF_DEG, lat + OBLAST_HALF_DEG, lon + OBLAST_HALF_DEG)
        )
        return [[round(south, 4), round(west, 4)], [round(north, 4), round(east, 4)]]
    half_lat = SITE_HALF_DEG if precision == "1" else CITY_HALF_DEG
    half_lon = half_lat / np.cos(np.radians(lat))
    return [
        [round(float(lat - half_lat), 4), round(float(lon - half_lon), 4)],
        [round(float(lat + half_lat), 4), round(float(lon + half_lon), 4)],
    ]


def view_text(latitude: float, longitude: float, zoom: float) -> str:
    """The link's ``view`` value: ``"46.4825,30.7233,10.5"``."""
    return f"{latitude:.4f},{longitude:.4f},{zoom:g}"


def parse_view(text: str | None) -> tuple[tuple[float, float, float] | None, str | None]:
    """The view a link asks for, or None and a warning naming the value and the rule.

    Examples
    --------
    >>> parse_view("46.4825,30.7233,10.5")
    ((46.4825, 30.7233, 10.5), None)
    >>> parse_view("Odesa")[1]
    "view 'Odesa' in the link is not latitude,longitude,zoom (zoom 3 to 18); the map opens on the filters' view"
    """
    if not text:
        return None, None
    warning = (
        f"{VIEW_PARAM} {text!r} in the link is not latitude,longitude,zoom "
        f"(zoom {ZOOM_RANGE[0]:g} to {ZOOM_RANGE[1]:g}); the map opens on the filters' view"
    )
    parts = text.split(",")
    try:
        latitude, longitude, zoom = (float(part) for part in parts) if len(parts) == 3 else (math.nan,) * 3
    except ValueError:
        return None, warning
    if not (-85 <= latitude <= 85 and -180 <= longitude <= 180 and ZOOM_RANGE[0] <= zoom <= ZOOM_RANGE[1]):
        return None, warning  # NaN fails every comparison
    return (latitude, longitude, zoom), None


class FitView(MacroElement):
    """Fit the map to ``bounds`` once per distinct view: reruns for a pan or a zoom leave the map alone.

    It sits in the filtered feature group (st_folium replaces that group on every filter change
    without remounting the map): a child layer's "add" event gives the map the group joined.
    With ``link_view`` (latitude, longitude, zoom from the page link) it opens that view instead.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.layerGroup().on("add", function (event) {
            var key = {{ this.key|tojson }}, map = event.target._map;
            if (window.impactFitted !== key) {
                window.impactFitted = key;
                {% if this.link_view %}
                var view = {{ this.link_view|tojson }};
                window.impactLastFit = null;  // the link's own view: a resize keeps it (see impactFit)
                map.setView([view[0], view[1]], view[2], {animate: false});
                {% else %}
                // Fitted once the map is on screen (a filter changed on another tab), leaving the legend room.
                window.impactWhenShown(map, function () {
                    if (window.impactFitted === key) { window.impactFit(map, {{ this.bounds|tojson }}); }
                });
                {% endif %}
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]], link_view: tuple[float, float, float] | None = None) -> None:
        super().__init__()
        self._name = "FitView"
        self.bounds = bounds
        self.link_view = [float(value) for value in link_view] if link_view else None
        self.key = json.dumps({"bounds": bounds, "link": self.link_view})
