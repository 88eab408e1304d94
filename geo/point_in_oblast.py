"""Point-in-oblast assignment: the first-level unit whose polygon contains a point.

The polygons come from :func:`geo.boundaries.load_boundaries`; without them no
point gets a unit. Both functions are re-exported by :mod:`geo.gazetteer`, which
places them beside the places they are mostly used for.

Examples
--------
>>> from geo.boundaries import load_boundaries
>>> assign_oblast(50.45, 30.52, load_boundaries(None)) is None  # no boundaries loaded
True
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo.boundaries import Boundaries


def _polygons(boundaries: Boundaries | None) -> gpd.GeoDataFrame | None:
    if boundaries is None or not boundaries.available:
        return None
    frame = boundaries.frame
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    return frame


def assign_oblast(latitude: float, longitude: float, boundaries: Boundaries | None) -> str | None:
    """ISO 3166-2 code of the oblast whose polygon contains a point.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees.
    boundaries : geo.boundaries.Boundaries or None
        From :func:`geo.boundaries.load_boundaries`.

    Returns
    -------
    str or None
        The code, or None when the point is in no unit (outside Ukraine, or in a
        gap of a simplified outline), when a coordinate is missing, or when no
        boundaries are loaded. A point on a shared border gets the unit listed
        first in the boundary frame, as :func:`assign_oblasts` does.

    Examples
    --------
    >>> from pathlib import Path
    >>> from geo.boundaries import load_boundaries
    >>> outlines = load_boundaries(Path(__file__).parent / "data" / "ukr_adm1_geoboundaries_simplified.geojson")
    >>> assign_oblast(49.8383, 24.0232, outlines)  # Lviv
    'UA-46'
    >>> assign_oblast(52.2297, 21.0122, outlines) is None  # Warsaw
    True
    """
    frame = _polygons(boundaries)
    if frame is None:
        return None
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    hits = frame.sindex.query(Point(lon, lat), predicate="intersects")
    if len(hits) == 0:
        return None
    return str(frame["oblast_iso"].iloc[int(np.min(hits))])


def assign_oblasts(
    frame: pd.DataFrame,
    boundaries: Boundaries | None,
    *,
    latitude: str = "latitude",
    longitude: str = "longitude",
) -> pd.Series:
    """Vectorised :func:`assign_oblast` for many rows, by one spatial join.

    Parameters
    ----------
    frame : pandas.DataFrame
        Has ``latitude`` and ``longitude`` columns in WGS 84 degrees.
    boundaries : geo.boundaries.Boundaries or None
        From :func:`geo.boundaries.load_boundaries`.
    latitude, longitude : str
        Column names, if not ``latitude`` and ``longitude``.

    Returns
    -------
    pandas.Series
        Named ``oblast_iso``, on ``frame``'s index (duplicate labels are fine):
        the ISO code per row, or None where :func:`assign_oblast` gives None.

    Examples
    --------
    >>> from pathlib import Path
    >>> from geo.boundaries import load_boundaries
    >>> outlines = load_boundaries(Path(__file__).parent / "data" / "ukr_adm1_geoboundaries_simplified.geojson")
    >>> rows = pd.DataFrame({"latitude": [46.636, 52.23], "longitude": [32.615, 21.01]})
    >>> assign_oblasts(rows, outlines).tolist()  # Kherson, Warsaw
    ['UA-65', None]
    """
    values = np.full(len(frame), None, dtype=object)
    polygons = _polygons(boundaries)
    if polygons is not None and len(frame):
        lats = pd.to_numeric(frame[latitude], errors="coerce").to_numpy(dtype=float)
        lons = pd.to_numeric(frame[longitude], errors="coerce").to_numpy(dtype=float)
        rows = np.flatnonzero(np.isfinite(lats) & np.isfinite(lons))
        points = gpd.GeoDataFrame({"_row": rows}, geometry=gpd.points_from_xy(lons[rows], lats[rows]), crs=4326)
        right = gpd.GeoDataFrame(
            {"_unit": np.arange(len(polygons)), "_iso": polygons["oblast_iso"].to_numpy()},
            geometry=polygons.geometry.to_numpy(),
            crs=4326,
        )
        joined = gpd.sjoin(points, right, how="inner", predicate="intersects")
        first = joined.sort_values(["_row", "_unit"]).drop_duplicates("_row")
        values[first["_row"].to_numpy()] = first["_iso"].to_numpy(dtype=object)
    return pd.Series(values, index=frame.index, name="oblast_iso", dtype=object)
