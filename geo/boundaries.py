"""Oblast outlines from a boundary file whose path is a setting.

The project ships geoBoundaries' simplified ADM1 file in ``geo/data/`` (ODbL 1.0) as
the default; the path is a setting, and without a file the map still draws and says
that outlines are off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from geo.oblasts import oblast_or_none, resolve_oblast

# Attribution the geoBoundaries licence (ODbL 1.0) requires wherever outlines are shown.
GEOBOUNDARIES_ATTRIBUTION = "Boundaries: geoBoundaries / OpenStreetMap contributors (ODbL 1.0)"

_CODE_FIELDS = ("shapeISO", "ADM1_PCODE", "iso", "ISO")
_NAME_FIELDS = ("shapeName", "ADM1_EN", "name", "NAME")


# Outlines are drawn at country scale: ~1 km of detail keeps all 27 under ~150 KB.
DISPLAY_TOLERANCE_DEG = 0.01


def display_geometry(geometry, tolerance: float = DISPLAY_TOLERANCE_DEG) -> dict:
    """GeoJSON of a polygon simplified for drawing, coordinates rounded to 4 decimals (~10 m)."""
    import shapely

    simple = shapely.set_precision(geometry.simplify(tolerance, preserve_topology=True), 0.0001)
    return shapely.geometry.mapping(simple)


@dataclass(frozen=True)
class Boundaries:
    """Oblast polygons keyed by ISO 3166-2 code, or the reason there are none.

    ``outlines`` holds each oblast's display geometry (GeoJSON, see ``display_geometry``),
    computed once when the file is loaded: every map drawn from these boundaries reuses it.
    """

    frame: gpd.GeoDataFrame | None
    note: str
    attribution: str = GEOBOUNDARIES_ATTRIBUTION
    outlines: dict[str, dict] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.frame is not None


def load_boundaries(path: str | Path | None) -> Boundaries:
    """Read first-level boundaries and key each polygon by its ISO 3166-2 code.

    Parameters
    ----------
    path : str, Path or None
        A GeoJSON (or any file pyogrio reads) with an ISO code, P-code or name per feature.

    Returns
    -------
    Boundaries
        ``frame`` has columns ``oblast_iso``, ``oblast`` and ``geometry`` in EPSG:4326;
        when the file is missing or unreadable ``frame`` is None and ``note`` says why.
    """
    if not path:
        return Boundaries(None, "No boundary file is configured (IMPACT_BOUNDARY_FILE): outlines are off.")
    path = Path(path)
    if not path.is_file():
        return Boundaries(None, f"Boundary file {path} not found: outlines are off.")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # any driver error leaves the map usable
        return Boundaries(None, f"Boundary file {path} could not be read ({exc}): outlines are off.")
    frame = frame.to_crs(4326) if frame.crs else frame.set_crs(4326)
    isos = []
    for _, row in frame.iterrows():
        iso = None
        for column in _CODE_FIELDS + _NAME_FIELDS:
            unit = oblast_or_none(row[column]) if column in frame.columns and isinstance(row[column], str) else None
            if unit is not None:
                iso = unit.iso
                break
        isos.append(iso)
    frame["oblast_iso"] = isos
    frame = frame[frame["oblast_iso"].notna()]
    frame["oblast"] = [resolve_oblast(iso).name for iso in frame["oblast_iso"]]
    polygons = gpd.GeoDataFrame(frame[["oblast_iso", "oblast", "geometry"]], crs=4326)
    # Simplified here, once, rather than for every map drawn (the first polygon of a code wins).
    outlines: dict[str, dict] = {}
    for iso, geometry in zip(polygons["oblast_iso"], polygons.geometry, strict=True):
        outlines.setdefault(iso, display_geometry(geometry))
    return Boundaries(polygons, f"Oblast outlines from {path.name}.", outlines=outlines)
