"""GeoJSON features for the aggregated map: one symbol per cell, one area per oblast.

A cell's size grows with its incident count; its colour says how many people lost a
service there (grey-blue: none reported; orange to dark red: more people), and its
label is the count. The popup gives incidents, killed, injured and people cut off by
service, each facility counted once within the cell.
"""

from __future__ import annotations

import math

import numpy as np

from dashboard.query.aggregate import Cells
from dashboard.records.schemas import SERVICES

NO_PEOPLE_COLOUR = "#6b8fb3"
# An oblast-level report is an area, dashed, never a point (shared with the marker view).
OBLAST_AREA_STYLE = {
    "className": "impact-oblast-area",
    "color": "#444",
    "weight": 2,
    "dashArray": "6 6",
    "fillColor": "#444",
    "fillOpacity": 0.12,
}
PEOPLE_COLOURS = ("#fdae61", "#f46d43", "#d73027", "#a50026")  # >0, >=1k, >=10k, >=100k


def people_colour(people: float) -> str:
    if people <= 0:
        return NO_PEOPLE_COLOUR
    return PEOPLE_COLOURS[min(3, max(0, int(math.log10(people)) - 2))]


def _people_text(row: np.ndarray) -> str:
    parts = [f"{SERVICES[i]} {int(value):,}" for i, value in enumerate(row) if value > 0]
    return ", ".join(parts) if parts else "none reported"


def cell_features(cells: Cells) -> list[dict]:
    """One point feature per cell, with a permanent count label and a popup of its totals."""
    features = []
    for i in range(len(cells)):
        count = int(cells.incidents[i])
        people = cells.people[i]
        total_people = float(people.sum())
        popup = (
            f"<b>{count:,} incidents</b> in this area<br>"
            f"Killed: {int(cells.killed[i]):,}; injured: {int(cells.injured[i]):,}<br>"
            f"People cut off (each facility once): {_people_text(people)}<br>"
            "<small>Zoom in for the individual incidents.</small>"
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(cells.longitude[i]), 4), round(float(cells.latitude[i]), 4)],
                },
                "properties": {
                    "kind": "cell",
                    "popup": popup,
                    "label": f"{count:,}",
                    "style": {
                        "className": "impact-cell",
                        "radius": round(8 + 5 * math.log10(count + 1), 1),
                        "color": "#333",
                        "weight": 1,
                        "fillColor": people_colour(total_people),
                        "fillOpacity": 0.75,
                    },
                },
            }
        )
    return features


def oblast_area_features(
    totals: dict[int, tuple[int, float, float]], names: dict[int, tuple[str, str]], geometries: dict
) -> list[dict]:
    """Oblast-level incidents summed per oblast: the oblast's outline when known, else a dashed circle."""
    features = []
    for code, (count, killed, injured) in totals.items():
        iso, name = names[code]
        tooltip = f"{name}: {count:,} oblast-level report(s); exact locations not known"
        popup = (
            f"<b>{name}</b> (oblast-level reports)<br>"
            f"{count:,} incidents; killed {int(killed):,}; injured {int(injured):,}"
        )
        style = OBLAST_AREA_STYLE
        geometry, shape = geometries.get(iso), "area"
        if geometry is None:
            continue
        if geometry.get("type") == "Point":
            shape = "approximate"
            tooltip = "≈ approximate: " + tooltip
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "kind": "oblast_area",
                    "shape": shape,
                    "popup": popup,
                    "tooltip": tooltip,
                    "style": style,
                },
            }
        )
    return features
