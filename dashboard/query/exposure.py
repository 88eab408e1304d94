"""What each role may see of the records: viewers never get a site's exact coordinates.

Attack surveillance withholds exact sites from the public: a published point can guide a
second strike or expose the people who reported it. :func:`records_for_role` is the one
rule every output path (the page's map, table and downloads, ``impact summary/export``)
applies to the records before anything is drawn or written. For a viewer:

- an incident or asset located at the site (``geo_precision`` 1) is moved to the centre
  of its settlement (its GeoNames place, ``place_key``), or, when the place is not one
  GeoNames place, to the centre of a grid cell (``IMPACT_VIEWER_GRID_KM``, default 10 km);
  its precision becomes 2 (settlement), and an incident's ``notes`` say so;
- columns the schema marks ``sensitive`` are blanked (the coder's notes may name people;
  the source's record id looks the event up, exact site included, in the source's data).

Settlement (2) and oblast (3) precision are already coarse and stay as they are. Analysts
and admins get the records unchanged.

Examples
--------
>>> from pathlib import Path
>>> from dashboard.records.load import load_records
>>> records = load_records(Path("data")).records
>>> records_for_role(records, "analyst") is records
True
>>> grid_centre(47.86941, 35.11839, 10.0)[0] != 47.86941
True
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from dashboard.records.load import Records
from dashboard.records.schemas import SCHEMAS
from geo.place_ids import place_point

FULL_VIEW_ROLES = ("analyst", "admin")
COARSENED_NOTE = "Location given as the settlement's centre: the exact site is withheld from viewers."
GRID_NOTE = "Location given as the centre of a {km:g} km grid cell: the exact site is withheld from viewers."
KM_PER_DEGREE = 111.32
DEFAULT_GRID_KM = 10.0


def grid_centre(latitude: float, longitude: float, grid_km: float) -> tuple[float, float]:
    """Centre of the ``grid_km`` cell that holds the point (cells are that many km wide at their latitude).

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees.
    grid_km : float
        Cell size; 0 or less uses :data:`DEFAULT_GRID_KM` (a zero cell would give the site back).
    """
    km = grid_km if grid_km > 0 else DEFAULT_GRID_KM
    step_lat = km / KM_PER_DEGREE
    row_lat = (math.floor(latitude / step_lat) + 0.5) * step_lat
    step_lon = km / (KM_PER_DEGREE * max(math.cos(math.radians(row_lat)), 0.01))
    return round(row_lat, 4), round((math.floor(longitude / step_lon) + 0.5) * step_lon, 4)


def _coarsened(frame: pd.DataFrame, grid_km: float, note_column: str | None) -> pd.DataFrame:
    """The frame with its site-precision rows moved to their settlement or grid cell (a new frame)."""
    if frame.empty or "geo_precision" not in frame:
        return frame
    site = (frame["geo_precision"].astype("str") == "1").to_numpy()
    if not site.any():
        return frame
    out = frame.copy()
    keys = out["place_key"].astype("str").fillna("") if "place_key" in out else pd.Series("", index=out.index)
    rows = np.flatnonzero(site)
    latitudes = out["latitude"].to_numpy(dtype=float, copy=True)
    longitudes = out["longitude"].to_numpy(dtype=float, copy=True)
    notes = []
    for row in rows:
        point = place_point(keys.iloc[row])
        if point is None:
            point = grid_centre(latitudes[row], longitudes[row], grid_km)
            notes.append(GRID_NOTE.format(km=grid_km if grid_km > 0 else DEFAULT_GRID_KM))
        else:
            notes.append(COARSENED_NOTE)
        latitudes[row], longitudes[row] = point
    out["latitude"] = pd.Series(latitudes, index=out.index, dtype=frame["latitude"].dtype)
    out["longitude"] = pd.Series(longitudes, index=out.index, dtype=frame["longitude"].dtype)
    precision = out["geo_precision"].astype("str").to_numpy(dtype=object)
    precision[rows] = "2"
    if isinstance(frame["geo_precision"].dtype, pd.CategoricalDtype):
        # "2" may be absent from the stored categories: keep every precision a category.
        categories = sorted({*frame["geo_precision"].cat.categories, "2"})
        out["geo_precision"] = pd.Categorical(precision, categories=categories)
    else:
        out["geo_precision"] = pd.Series(precision, index=out.index).astype(frame["geo_precision"].dtype)
    if note_column is not None:
        if note_column not in out:
            out[note_column] = ""
        values = out[note_column].astype("object").to_numpy(copy=True)
        values[rows] = notes
        out[note_column] = pd.Series(
            values, index=out.index, dtype=frame[note_column].dtype if note_column in frame else "object"
        )
    return out


def _withheld(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The frame with the schema's sensitive columns blanked (a new frame when any is present)."""
    names = [name for name, spec in SCHEMAS[table].columns.items() if spec.sensitive and name in frame]
    if not names:
        return frame
    out = frame.copy()
    for name in names:
        out[name] = pd.Series(
            "", index=out.index, dtype=frame[name].dtype if frame[name].dtype != "category" else "object"
        )
    return out


def records_for_role(records: Records, role: str, grid_km: float = DEFAULT_GRID_KM) -> Records:
    """The records as ``role`` may see them: unchanged for analysts and admins, coarsened for anyone else.

    Parameters
    ----------
    records : Records
        As loaded (never modified: the result holds new frames where anything changed).
    role : str
        ``viewer``, ``analyst`` or ``admin``; an unknown role is treated as a viewer.
    grid_km : float
        Cell size for sites whose settlement is not one GeoNames place.

    Returns
    -------
    Records
        ``records`` itself for a full-view role; otherwise a new ``Records`` (its own query index).
    """
    if role in FULL_VIEW_ROLES:
        return records
    # Sensitive columns first: the coarsening note goes into incidents.notes after it is blanked.
    incidents = _coarsened(_withheld(records.incidents, "incidents"), grid_km, "notes")
    assets = _coarsened(_withheld(records.assets, "assets"), grid_km, None)
    return dataclasses.replace(
        records,
        sources=_withheld(records.sources, "sources"),
        incidents=incidents,
        assets=assets,
        impacts=_withheld(records.impacts, "impacts"),
        salvos=_withheld(records.salvos, "salvos"),
        retracted=records.retracted.iloc[:0],  # what analysts retracted, and why, is theirs to see
    )
