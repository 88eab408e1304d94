"""GeoJSON features as text rows, so that a mapping reads them like the columns of a CSV.

An OpenStreetMap extract (overpass-turbo's GeoJSON export) carries each object's tags as its
properties; a mapping then names tags as columns (``amenity``, ``power``, ``@id``). Every
feature becomes one row, numbered as a CSV's would be (the first feature is line 2, so
failures and the quarantine file count alike), with its properties as text plus
``geometry.type``, ``geometry.longitude`` and ``geometry.latitude``. Only Point features give
coordinates: any other geometry is reported on its row, never reduced to a guessed point.

Examples
--------
>>> data = b'{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "node/1",'
>>> data += b' "properties": {"amenity": "school", "levels": 3},'
>>> data += b' "geometry": {"type": "Point", "coordinates": [30.5, 50.4]}}]}'
>>> rows, failures = read_geojson_rows(data, "x.geojson")
>>> rows.loc[2, ["amenity", "levels", "geometry.latitude", "id"]].tolist(), failures
(['school', '3', '50.4', 'node/1'], [])
"""

from __future__ import annotations

import json

import pandas as pd

from dashboard.records.failures import failure

SUFFIXES = (".geojson",)
GEOMETRY_COLUMNS = ("geometry.type", "geometry.longitude", "geometry.latitude")


def is_geojson(file: str) -> bool:
    """Whether a file is read as GeoJSON (by its name: ``.geojson``)."""
    return file.lower().endswith(SUFFIXES)


def _text(value: object) -> str:
    """A property as text: blank for null, JSON for a nested value, as written otherwise."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def read_geojson_rows(data: bytes, file: str) -> tuple[pd.DataFrame, list[dict]]:
    """Rows of text, one per feature, indexed by line (first feature: 2); failures for what cannot be read.

    A file that is not a GeoJSON FeatureCollection gives one failure on line 1 (the whole
    file is rejected); a feature without a Point geometry keeps its row and gets a failure
    naming its geometry type.
    """
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return pd.DataFrame(), [failure(file, 1, "", "", f"not GeoJSON: {exc}")]
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        return pd.DataFrame(), [failure(file, 1, "", "", "not a GeoJSON FeatureCollection (no 'features' list)")]
    rows, failures = [], []
    for number, feature in enumerate(features, start=1):
        line = number + 1
        feature = feature if isinstance(feature, dict) else {}
        properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        row = {str(key): _text(value) for key, value in properties.items()}
        if "id" not in row and feature.get("id") is not None:
            row["id"] = _text(feature["id"])
        geometry = feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {}
        kind = str(geometry.get("type") or "none")
        row["geometry.type"] = kind
        coordinates = geometry.get("coordinates")
        if kind == "Point" and isinstance(coordinates, list) and len(coordinates) >= 2:
            row["geometry.longitude"], row["geometry.latitude"] = _text(coordinates[0]), _text(coordinates[1])
        else:
            rule = f"feature {number}: only Point features give coordinates (export centres for areas and buildings)"
            failures.append(failure(file, line, "geometry.type", kind, rule))
        rows.append(row)
    columns = list(dict.fromkeys(key for row in rows for key in row if key not in GEOMETRY_COLUMNS))
    frame = pd.DataFrame(rows, columns=columns + list(GEOMETRY_COLUMNS), dtype="str").fillna("")
    frame.index = pd.Index(range(2, len(rows) + 2), name="line")
    return frame, failures
