"""Which filtered incidents are "in the map's view" (the table's switch), and the view a table row zooms to.

On the seed: Kherson city (two incidents), Kryvyi Rih, Odesa (settlement centres) and one
Kherson-oblast report located only to the oblast (its point is the oblast's centroid).
"""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest

from dashboard.map.fit import CITY_HALF_DEG, SITE_HALF_DEG, focus_view
from dashboard.map.view import layers_for_mask
from dashboard.query.aggregate import MapView
from dashboard.query.in_view import APPROX_RADIUS_M, in_view_mask
from dashboard.query.totals import Filters, incident_mask
from geo.boundaries import load_boundaries

NO_OUTLINES = load_boundaries(None)


def ids(records, selected: np.ndarray) -> set[str]:
    return set(records.incidents.loc[selected, "incident_id"])


def everything(records) -> np.ndarray:
    return np.ones(len(records.incidents), dtype=bool)


def row(records, incident_id: str):
    return records.incidents[records.incidents["incident_id"] == incident_id].iloc[0]


def test_points_on_the_views_edges_are_in_view_and_a_hair_outside_are_not(records):
    odesa = row(records, "inc-004")
    lat, lon = float(odesa.latitude), float(odesa.longitude)
    on_edges = MapView(10, lat, lon, lat + 0.1, lon + 0.1)  # Odesa at the south-west corner
    assert ids(records, in_view_mask(records, everything(records), on_edges, NO_OUTLINES)) == {"inc-004"}
    beside = MapView(10, lat + 1e-6, lon, lat + 0.1, lon + 0.1)
    assert ids(records, in_view_mask(records, everything(records), beside, NO_OUTLINES)) == set()


def test_a_view_with_no_area_holds_nothing_and_a_world_wide_view_holds_everything(records):
    flat = MapView(10, 46.6354, 32.0, 46.6354, 33.0)  # south == north, through Kherson city
    assert not in_view_mask(records, everything(records), flat, NO_OUTLINES).any()
    backwards = MapView(10, 46.0, 33.0, 47.0, 32.0)  # west > east: no antimeridian crossing in Ukraine
    assert not in_view_mask(records, everything(records), backwards, NO_OUTLINES).any()
    # Zoomed out past the world's width, Leaflet's bounds run beyond ±180.
    world = MapView(1, -85, -400, 85, 400)
    assert in_view_mask(records, everything(records), world, NO_OUTLINES).all()


def test_only_filtered_incidents_are_in_view(records):
    country = MapView(6, 44.0, 22.0, 53.0, 41.0)
    odesa_only = incident_mask(records, Filters(cities=("Odesa",)))
    assert ids(records, in_view_mask(records, odesa_only, country, NO_OUTLINES)) == {"inc-004"}


def test_an_oblast_level_report_is_in_view_when_its_area_meets_the_view(records, boundary_file):
    outlines = load_boundaries(boundary_file)
    report = row(records, "inc-005")  # Kherson oblast, located to the oblast only
    # Kherson city and the river bank west of it: inside Kherson oblast, far from the report's point.
    city = MapView(11, 46.55, 32.45, 46.70, 32.66)
    assert float(report.longitude) - 0.8 > city.east  # the dashed circle without outlines does not reach it
    with_outlines = ids(records, in_view_mask(records, everything(records), city, outlines))
    assert with_outlines == {"inc-002", "inc-003", "inc-005"}
    # Without a boundary file the area is the drawn circle, which this view does not meet ...
    assert ids(records, in_view_mask(records, everything(records), city, NO_OUTLINES)) == {"inc-002", "inc-003"}
    # ... and a view that meets only the circle's edge holds the report, and no point.
    reach = APPROX_RADIUS_M / 111_320
    edge = MapView(9, float(report.latitude) + reach - 0.01, 33.0, float(report.latitude) + reach + 0.2, 34.0)
    assert ids(records, in_view_mask(records, everything(records), edge, NO_OUTLINES)) == {"inc-005"}
    # A view of Odesa oblast's coast meets no Kherson area.
    odesa = MapView(10, 46.3, 30.5, 46.7, 31.0)
    assert ids(records, in_view_mask(records, everything(records), odesa, outlines)) == {"inc-004"}


def test_a_record_without_coordinates_is_in_no_view(records):
    incidents = records.incidents.copy()
    incidents.loc[incidents["incident_id"] == "inc-004", ["latitude", "longitude"]] = np.nan
    blank = dataclasses.replace(records, incidents=incidents)
    country = MapView(6, 44.0, 22.0, 53.0, 41.0)
    assert "inc-004" not in ids(blank, in_view_mask(blank, everything(blank), country, NO_OUTLINES))
    assert len(ids(blank, in_view_mask(blank, everything(blank), country, NO_OUTLINES))) == 4


def test_a_table_row_zooms_to_its_point_or_its_oblast(records, boundary_file):
    outlines = load_boundaries(boundary_file)
    positions = {incident: n for n, incident in enumerate(records.incidents["incident_id"])}
    (south, west), (north, east) = focus_view(records, positions["inc-004"], outlines)  # settlement centre
    assert south < 46.4825 < north and west < 30.7233 < east
    assert north - south == pytest.approx(2 * CITY_HALF_DEG, abs=1e-3)
    # An oblast-level report zooms to its oblast's outline, which holds Kherson city and the Kinburn spit.
    (south, west), (north, east) = focus_view(records, positions["inc-005"], outlines)
    assert south < 46.0 and north > 47.4 and west < 31.6 and east > 35.0
    # An exact site gets a street-sized box.
    incidents = records.incidents.copy()
    incidents.loc[incidents["incident_id"] == "inc-001", "geo_precision"] = "1"
    site = dataclasses.replace(records, incidents=incidents)
    (south, _), (north, _) = focus_view(site, positions["inc-001"], outlines)
    assert north - south == pytest.approx(2 * SITE_HALF_DEG, abs=1e-3)


def _script(group) -> str:
    import folium

    m = folium.Map()
    group.add_to(m)
    return m.get_root().render()


def test_the_chosen_incident_is_drawn_first_and_focused_even_outside_the_view(records):
    mask = everything(records)
    far_away = MapView(10, 50.3, 30.3, 50.6, 30.8)  # Kyiv: none of the seed's points
    html = _script(layers_for_mask(records, mask, NO_OUTLINES, far_away, focus=("inc-004", 3)))
    assert '"inc-004#3"' in html  # the choice's key: a new choice of the same row zooms again
    bounds = json.loads(re.search(r"window\.impactFit\(map, (\[\[.*?\]\]), false\)", html).group(1))
    assert bounds[0][0] < 46.4825 < bounds[1][0]
    assert '"id": "inc-004"' in html and '"id": "inc-001"' not in html  # drawn though the view is Kyiv
    # Kherson's two share a spot: the chosen one comes first in the spot's popup.
    assert '"ids": ["inc-002", "inc-003"]' in _script(layers_for_mask(records, mask, NO_OUTLINES))
    assert '"ids": ["inc-003", "inc-002"]' in _script(layers_for_mask(records, mask, NO_OUTLINES, focus=("inc-003", 1)))
    # Two oblast-level reports in one oblast: the area lists the chosen one first, and names it.
    twin = records.incidents[records.incidents["incident_id"] == "inc-005"].assign(incident_id="inc-000")
    two = dataclasses.replace(records, incidents=pd.concat([twin, records.incidents], ignore_index=True))
    assert '"ids": ["inc-000"], "kind": "oblast_area"' in _script(layers_for_mask(two, everything(two), NO_OUTLINES))
    chosen = _script(layers_for_mask(two, everything(two), NO_OUTLINES, focus=("inc-005", 1)))
    assert '"ids": ["inc-005"], "kind": "oblast_area"' in chosen
    # Without a choice, or one the filters exclude, nothing zooms.
    assert "impactFocus" not in _script(layers_for_mask(records, mask, NO_OUTLINES))
    odesa_only = incident_mask(records, Filters(cities=("Odesa",)))
    assert "impactFocus" not in _script(layers_for_mask(records, odesa_only, NO_OUTLINES, focus=("inc-001", 1)))
