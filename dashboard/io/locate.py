"""Fill location gaps offline: coordinates from the gazetteer, an oblast from coordinates or a name.

An ambiguous or unknown place name is reported, never guessed; a row that still has
no oblast afterwards gets one failure naming the input value.
"""

from __future__ import annotations

import pandas as pd

from dashboard.records.failures import failure
from geo.oblasts import oblast_or_none, resolve_oblast


def fill_locations(incidents: pd.DataFrame, boundary_file: str, file: str) -> tuple[pd.DataFrame, list[dict]]:
    """Coordinates from the gazetteer for a place name, an oblast by point-in-polygon for coordinates.

    An ambiguous or unknown name is reported, never guessed.
    """
    failures: list[dict] = []
    if incidents.empty:
        return incidents, failures
    incidents = incidents.copy()
    no_point = (incidents["latitude"] == "") | (incidents["longitude"] == "")
    if no_point.any():
        from geo.gazetteer import geocode

        for line, row in incidents[no_point & (incidents["place"] != "")].iterrows():
            if row["oblast"] and oblast_or_none(row["oblast"]) is None:
                continue  # the unreadable oblast is reported by validation; no lookup without it
            result = geocode(row["place"], row["oblast"] or None)
            if result.status == "found":
                incidents.loc[line, ["latitude", "longitude"]] = [
                    f"{result.place.latitude:.5f}",
                    f"{result.place.longitude:.5f}",
                ]
                incidents.loc[line, "geo_precision"] = "2"
                if not row["oblast"]:
                    incidents.loc[line, "oblast"] = resolve_oblast(result.place.oblast_iso).name
            else:
                rule = f"place name {result.status}, not guessed: {result.message}"
                failures.append(failure(file, line, "place", row["place"], rule))
    no_oblast = (incidents["oblast"] == "") & (incidents["latitude"] != "") & (incidents["longitude"] != "")
    if no_oblast.any() and boundary_file:
        from geo.boundaries import load_boundaries
        from geo.gazetteer import assign_oblasts

        boundaries = load_boundaries(boundary_file)
        if boundaries.available:
            points = incidents.loc[no_oblast, ["latitude", "longitude"]].apply(pd.to_numeric, errors="coerce")
            isos = assign_oblasts(points, boundaries)
            found = isos.notna()
            incidents.loc[isos[found].index, "oblast"] = [resolve_oblast(iso).name for iso in isos[found]]
    named = incidents["oblast"] != ""
    if named.any():
        units = {name: oblast_or_none(name) for name in incidents.loc[named, "oblast"].unique()}
        lookup = {name: unit.iso if unit else "" for name, unit in units.items()}
        fill = named & (incidents["oblast_iso"] == "")
        incidents.loc[fill, "oblast_iso"] = incidents.loc[fill, "oblast"].map(lookup)
    return incidents, failures


def unlocated(incidents: pd.DataFrame, raw: pd.DataFrame, origins: dict, boundary_file: str, file: str) -> list[dict]:
    """Rows that still have no oblast after geocoding: one clear failure each, naming the input value."""
    missing = incidents[incidents["oblast"] == ""]
    column = origins.get("oblast", "oblast")
    how = (
        "and the coordinates fall in none of them"
        if boundary_file
        else "(set IMPACT_BOUNDARY_FILE to place coordinates)"
    )
    rule = f"must name one of Ukraine's 27 units, {how}"
    return [
        failure(file, line, column, raw.at[line, column] if column in raw.columns else "", rule)
        for line in missing.index
    ]
