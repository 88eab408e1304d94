"""Which filtered incidents are in the map's view: points inside it, oblast-level reports whose area meets it.

The rule, the same for the incident table and its downloads:

- an incident located to a site or a settlement (geo precision 1 or 2) is in view when its
  point is inside the view's box, edges included;
- an oblast-level incident (precision 3) is drawn as its oblast's area, never as a point, so it
  is in view when that area's bounding box meets the view's box (edges included): a view of
  part of Kherson oblast holds every Kherson oblast-level report. Without a boundary file the
  area is the dashed circle the map draws (:data:`APPROX_RADIUS_M` around the record's point);
- a record without coordinates (and, for an oblast-level one, without an outline) is in no view.

Views are the map's Leaflet bounds: west below east, never across the antimeridian (Ukraine
is far from it). A view zoomed out past the world's width has longitudes beyond ±180, which
simply holds every point. A box with no area (south >= north or west >= east) holds nothing.

Examples
--------
>>> from dashboard.config import SEED_DATA_DIR
>>> from dashboard.records.load import load_records
>>> from dashboard.query.aggregate import MapView
>>> from geo.boundaries import load_boundaries
>>> records = load_records(SEED_DATA_DIR).records
>>> everything = np.ones(len(records.incidents), dtype=bool)
>>> odesa = MapView(10, 46.3, 30.5, 46.7, 31.0)
>>> records.incidents.loc[in_view_mask(records, everything, odesa, load_boundaries(None)), "place"].tolist()
['Odesa']
"""

from __future__ import annotations

import math

import numpy as np

from dashboard.query.aggregate import MapView
from dashboard.records.load import Records
from geo.boundaries import Boundaries

# The radius of the dashed circle the map draws for an oblast-level report when no outline is loaded.
APPROX_RADIUS_M = 60_000
_METRES_PER_DEGREE = 111_320.0


def area_boxes(records: Records, boundaries: Boundaries) -> dict[str, tuple[float, float, float, float]]:
    """(south, west, north, east) of the area drawn for each oblast with an oblast-level incident.

    The oblast's outline when the boundary file has it, else the approximate circle around the
    first such record's point (what :mod:`dashboard.map.features` draws).
    """
    import shapely.geometry

    incidents = records.incidents
    level = incidents[incidents["geo_precision"].astype(str) == "3"].drop_duplicates("oblast_iso")
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for row in level.itertuples():
        outline = boundaries.outlines.get(row.oblast_iso) if boundaries.available else None
        if outline is not None:
            west, south, east, north = shapely.geometry.shape(outline).bounds
            boxes[row.oblast_iso] = (south, west, north, east)
            continue
        lat, lon = float(row.latitude), float(row.longitude)
        if math.isnan(lat) or math.isnan(lon):
            continue
        half_lat = APPROX_RADIUS_M / _METRES_PER_DEGREE
        half_lon = half_lat / max(math.cos(math.radians(lat)), 1e-6)
        boxes[row.oblast_iso] = (lat - half_lat, lon - half_lon, lat + half_lat, lon + half_lon)
    return boxes


def in_view_mask(records: Records, mask: np.ndarray, view: MapView, boundaries: Boundaries) -> np.ndarray:
    """The incidents of ``mask`` that are in ``view`` (see the module's rule).

    Parameters
    ----------
    records : Records
        The records the mask indexes (incidents in their stored order).
    mask : numpy.ndarray of bool
        The filtered incidents (``dashboard.query.totals.incident_mask``).
    view : MapView
        The map's bounds as st_folium reports them.
    boundaries : Boundaries
        The outlines that oblast-level incidents are drawn as.

    Returns
    -------
    numpy.ndarray of bool
        A subset of ``mask``.
    """
    incidents = records.incidents
    if view.south >= view.north or view.west >= view.east:
        return np.zeros(len(incidents), dtype=bool)
    latitude = incidents["latitude"].to_numpy(dtype=float, na_value=np.nan)
    longitude = incidents["longitude"].to_numpy(dtype=float, na_value=np.nan)
    area = incidents["geo_precision"].astype(str).to_numpy() == "3"
    # NaN coordinates fail every comparison: a record without a point is in no view.
    inside = (latitude >= view.south) & (latitude <= view.north) & (longitude >= view.west) & (longitude <= view.east)
    meets = np.zeros(len(incidents), dtype=bool)
    if (mask & area).any():
        oblast = incidents["oblast_iso"].astype(str).to_numpy()
        for iso, (south, west, north, east) in area_boxes(records, boundaries).items():
            if south <= view.north and north >= view.south and west <= view.east and east >= view.west:
                meets |= oblast == iso
    return mask & np.where(area, meets, inside)
