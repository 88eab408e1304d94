"""Server-side map aggregation: one symbol per grid cell of the visible map, whatever the number of incidents.

Cells are squares of ``CELL_PX`` screen pixels at the current zoom (Web Mercator),
so the number of symbols is bounded by the map's size, not by the data. Each cell
carries its incident count, casualties and the people cut off from each service,
each facility counted once within the cell at its largest reported figure, so ten
strikes that cut heating to 40,000 people read differently from ten broken windows.
Oblast-level records are summed per oblast and drawn as that oblast's area.

Examples
--------
>>> view = MapView(zoom=6, south=44.3, west=22.1, north=52.4, east=40.2)
>>> padded = view.padded()  # half the view's size added on every side
>>> round(padded.south, 2), round(padded.west, 2), round(padded.north, 2), round(padded.east, 2)
(40.25, 13.05, 56.45, 49.25)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.query.index import Codes, QueryIndex, mercator
from dashboard.records.schemas import SERVICES

CELL_PX = 80
# Above this many located incidents in view, cells replace markers. A marker carries its
# popup (source quote included) and its facilities, ~1.5 KB, so 200 keeps the payload under 500 KB.
MARKER_LIMIT = 200
MAX_ZOOM = 18


@dataclass(frozen=True)
class MapView:
    """The visible part of the map: zoom level and bounds in degrees."""

    zoom: int = 6
    south: float = 44.3
    west: float = 22.1
    north: float = 52.4
    east: float = 40.2

    def padded(self, share: float = 0.5) -> MapView:
        """The view grown by ``share`` of its size on every side, so a small pan needs no refetch."""
        height, width = self.north - self.south, self.east - self.west
        return MapView(
            self.zoom,
            max(-85.0, self.south - share * height),
            self.west - share * width,
            min(85.0, self.north + share * height),
            self.east + share * width,
        )


@dataclass
class Cells:
    """One row per non-empty cell: position (count-weighted mean), counts and people cut off."""

    latitude: np.ndarray
    longitude: np.ndarray
    incidents: np.ndarray
    killed: np.ndarray
    injured: np.ndarray
    people: np.ndarray  # (cells, services)

    def __len__(self) -> int:
        return len(self.incidents)


def located_mask(index: QueryIndex, mask: np.ndarray, view: MapView) -> np.ndarray:
    """Incidents in ``mask`` that are drawn as points (precision 1 or 2) inside the padded view."""
    padded = view.padded()
    x0, y1 = mercator(np.array([padded.south]), np.array([padded.west]))
    x1, y0 = mercator(np.array([padded.north]), np.array([padded.east]))
    point = index.geo_precision != "3"
    inside = (index.mx >= x0[0]) & (index.mx <= x1[0]) & (index.my >= y0[0]) & (index.my <= y1[0])
    return mask & point & inside


def aggregate(index: QueryIndex, mask: np.ndarray, codes: Codes, view: MapView) -> Cells:
    """Sum the located incidents of ``mask`` inside the view into screen-pixel cells."""
    chosen = np.flatnonzero(located_mask(index, mask, view))
    scale = 256 * 2 ** min(view.zoom, MAX_ZOOM) / CELL_PX
    column = np.floor(index.mx[chosen] * scale).astype(np.int64)
    row = np.floor(index.my[chosen] * scale).astype(np.int64)
    cell_of, cells = _dense_cells(column, row)
    count = np.bincount(cell_of, minlength=cells).astype(np.float64)
    mean_x = np.bincount(cell_of, weights=index.mx[chosen], minlength=cells) / np.maximum(count, 1)
    mean_y = np.bincount(cell_of, weights=index.my[chosen], minlength=cells) / np.maximum(count, 1)
    killed = np.bincount(cell_of, weights=index.casualties["killed"][chosen], minlength=cells)
    injured = np.bincount(cell_of, weights=index.casualties["injured"][chosen], minlength=cells)
    people = _people_by_cell(index, mask, codes, chosen, cell_of, cells)
    longitude = mean_x * 360.0 - 180.0
    latitude = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * mean_y))))
    return Cells(latitude, longitude, count.astype(np.int64), killed, injured, people)


def _dense_cells(column: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, int]:
    """Number the occupied cells without sorting: the padded view spans a bounded grid of cells."""
    if len(column) == 0:
        return np.zeros(0, dtype=np.int64), 0
    c0, r0 = column.min(), row.min()
    height = int(row.max() - r0 + 1)
    dense = (column - c0) * height + (row - r0)
    occupied = np.bincount(dense) > 0
    lookup = np.cumsum(occupied) - 1
    return lookup[dense], int(occupied.sum())


def _people_by_cell(
    index: QueryIndex, mask: np.ndarray, codes: Codes, chosen: np.ndarray, cell_of: np.ndarray, cells: int
) -> np.ndarray:
    """People cut off per cell and service, each asset once per cell at its largest figure."""
    people = np.zeros((cells, len(SERVICES)))
    if cells == 0:
        return people
    cell_by_incident = np.full(len(mask), -1, dtype=np.int64)
    cell_by_incident[chosen] = cell_of
    selected = index.impacts_mask(mask, codes) & (index.impact_people > 0)
    selected &= cell_by_incident[index.impact_incident] >= 0
    assets = index.impact_asset[selected]
    cell = cell_by_incident[index.impact_incident[selected]]
    value = index.impact_people[selected]
    # Impacts are sorted by asset, then largest figure first; a stable sort by cell keeps that
    # order inside each cell, so the first impact of each (cell, asset) pair is its largest.
    order = np.argsort(cell, kind="stable")
    cell, assets, value = cell[order], assets[order], value[order]
    first = np.ones(len(cell), dtype=bool)
    first[1:] = (cell[1:] != cell[:-1]) | (assets[1:] != assets[:-1])
    services = len(SERVICES)
    flat = cell[first] * services + index.asset_service[assets[first]]
    people += np.bincount(flat, weights=value[first], minlength=cells * services).reshape(cells, services)
    return people


def oblast_totals(index: QueryIndex, mask: np.ndarray) -> dict[int, tuple[int, float, float]]:
    """Oblast-level incidents in ``mask``: oblast code → (incidents, killed, injured)."""
    chosen = mask & (index.geo_precision == "3")
    codes = index.oblast_code[chosen]
    if len(codes) == 0:
        return {}
    size = int(codes.max()) + 1
    count = np.bincount(codes, minlength=size)
    killed = np.bincount(codes, weights=index.casualties["killed"][chosen], minlength=size)
    injured = np.bincount(codes, weights=index.casualties["injured"][chosen], minlength=size)
    return {code: (int(count[code]), killed[code], injured[code]) for code in np.flatnonzero(count)}
