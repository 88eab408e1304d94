"""One million synthetic incidents: the map payload stays bounded at every zoom, and nothing is lost.

Not a timing test: it checks sizes and counts, which do not depend on the machine.
"""

from __future__ import annotations

import pytest

from dashboard.io.synth import synthesize
from dashboard.map.view import build_map, layers_for_mask
from dashboard.query.aggregate import MARKER_LIMIT, MapView, aggregate, located_mask, oblast_totals
from dashboard.query.index import index_of
from dashboard.query.totals import Filters, incident_mask
from dashboard.records.load import Records, typed_table
from geo.boundaries import load_boundaries

pytestmark = pytest.mark.slow  # building a million synthetic incidents takes most of a minute

PAYLOAD_LIMIT = 500 * 1024
VIEWS = {
    "country, zoom 6": MapView(6, 44.3, 22.1, 52.4, 40.2),
    "Donbas, zoom 9": MapView(9, 47.6, 36.6, 49.2, 39.4),
    "Kharkiv city, zoom 13": MapView(13, 49.96, 36.17, 50.03, 36.32),
}


@pytest.fixture(scope="module")
def million():
    frames = synthesize(1_000_000, seed=11)
    return Records(**{table: typed_table(table, frame) for table, frame in frames.items()})


@pytest.fixture(scope="module")
def outlines():
    from tests.conftest import BOUNDARY_FILE

    return load_boundaries(BOUNDARY_FILE if BOUNDARY_FILE.is_file() else None)


@pytest.mark.parametrize("name", list(VIEWS))
@pytest.mark.parametrize("filters", [Filters(), Filters(oblasts=("Kharkiv Oblast",))], ids=["all", "Kharkiv Oblast"])
def test_payload_bounded_at_three_zoom_levels(million, outlines, name, filters):
    mask = incident_mask(million, filters)
    m = build_map(million, million.incidents[mask], outlines, view=VIEWS[name])
    payload = len(m.get_root().render().encode())
    assert payload <= PAYLOAD_LIMIT, f"{name}: {payload:,} bytes"


def test_cells_account_for_every_located_incident(million):
    view = VIEWS["country, zoom 6"]
    mask = incident_mask(million, Filters())
    index = index_of(million)
    cells = aggregate(index, mask, index.codes_for(), view)
    located = int(located_mask(index, mask, view).sum())
    assert len(cells) < 2_000  # symbols bounded by the map's size, not by the data
    assert int(cells.incidents.sum()) == located
    areas = sum(count for count, _, _ in oblast_totals(index, mask).values())
    assert located + areas == int(mask.sum())  # oblast-level records are counted in their areas


def test_cells_replace_markers_only_above_the_limit(million, outlines):
    mask = incident_mask(million, Filters())
    group = layers_for_mask(million, mask, outlines, VIEWS["country, zoom 6"])
    assert [child._name for child in group._children.values()] == ["Cells", "Areas"]
    street = MapView(17, 50.0000, 36.2300, 50.0010, 36.2320)
    group = layers_for_mask(million, mask, outlines, street)
    assert int(located_mask(index_of(million), mask, street).sum()) <= MARKER_LIMIT
    assert [child._name for child in group._children.values()] == ["Areas", "Facilities", "Incidents"]


def test_cell_people_count_each_facility_once(million):
    index = index_of(million)
    mask = incident_mask(million, Filters())
    cells = aggregate(index, mask, index.codes_for(), VIEWS["country, zoom 6"])
    # Only incidents drawn as points are in cells (oblast-level ones are in their areas).
    selected = index.impacts_mask(located_mask(index, mask, VIEWS["country, zoom 6"]), index.codes_for())
    _, counted_once = index.first_per_asset(selected)
    every_hit = index.impact_people[selected].sum()
    # Within a cell a facility counts once; across cells it may appear in each cell it was hit from.
    assert counted_once.sum() <= cells.people.sum() < every_hit


def test_payload_bounded_when_markers_are_at_the_limit(million, outlines):
    # The heaviest marker view: a city with just under MARKER_LIMIT incidents, each with its popup.
    located = million.incidents[million.incidents["geo_precision"] != "3"]
    counts = located["place_key"].value_counts()  # per place, whatever the spelling: the filter finds them all
    city = counts[counts <= MARKER_LIMIT].index[0]  # "geonames:<id>", which the city filter takes as it is
    mask = incident_mask(million, Filters(cities=(city,)))
    m = build_map(million, million.incidents[mask], outlines, view=VIEWS["country, zoom 6"])
    html = m.get_root().render()
    assert "impact-incident" in html and "impact-cell" not in html
    assert len(html.encode()) <= PAYLOAD_LIMIT, f"{city}: {len(html.encode()):,} bytes"
