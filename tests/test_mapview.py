"""The map, checked on folium's rendered output: offline, escaped, precision-aware."""

from __future__ import annotations

import json
import re

import folium
import pandas as pd
import pytest

from dashboard.map.view import base_map, build_map, data_layers, incident_features
from dashboard.query.totals import Filters, filter_incidents, impacts_in_view
from dashboard.records.load import load_records
from geo.boundaries import load_boundaries
from tests.builders import record_folder


def external_links(m: folium.Map) -> list[str]:
    """Every script or stylesheet URL of the map (and its children) that points at another host."""
    links = []
    elements = [m]
    while elements:
        element = elements.pop()
        for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]:
            if "://" in url or url.startswith("//"):
                links.append(url)
        elements.extend(getattr(element, "_children", {}).values())
    return links


def render(records, boundaries, filters: Filters | None = None, **kwargs) -> str:
    filters = filters or Filters()
    incidents = filter_incidents(records, filters)
    m = build_map(records, incidents, boundaries, **kwargs)
    assert external_links(m) == []
    return m.get_root().render()


def features_in(rendered: str) -> list[dict]:
    blobs = re.findall(r"L\.geoJSON\((\{.*?\}), \{\n", rendered, flags=re.S)
    return [feature for blob in blobs for feature in json.loads(blob)["features"]]


def test_map_loads_nothing_from_other_hosts(records, boundary_file):
    html = render(records, load_boundaries(boundary_file))
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls == [
        "/app/static/vendor/leaflet/leaflet.js",
        "/app/static/vendor/leaflet/leaflet.css",
    ]
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_no_tiles_by_default_and_tiles_when_configured(records):
    assert "L.tileLayer" not in render(records, load_boundaries(None))
    html = render(
        records,
        load_boundaries(None),
        tiles_url="http://localhost:8080/{z}/{x}/{y}.png",
        tiles_attribution="Local tiles",
    )
    assert "L.tileLayer" in html and "localhost:8080" in html and "Local tiles" in html


def test_outlines_drawn_and_credited(records, boundary_file):
    html = render(records, load_boundaries(boundary_file))
    outlines = [f for f in features_in(html) if "kind" not in f["properties"]]
    assert len(outlines) == 27
    assert "geoBoundaries / OpenStreetMap contributors (ODbL 1.0)" in html


def test_map_without_boundary_file_still_draws_and_says_so(records):
    boundaries = load_boundaries(None)
    html = render(records, boundaries)
    kinds = [f["properties"].get("kind") for f in features_in(html)]
    # 4 located incidents in 3 symbols: Kherson's two share the city centre and one popup.
    assert kinds.count("incident") == 3 and "oblast_area" in kinds
    ids = [
        i
        for f in features_in(html)
        if f["properties"].get("kind") == "incident"
        for i in f["properties"].get("ids", [f["properties"]["id"]])
    ]
    assert sorted(ids) == ["inc-001", "inc-002", "inc-003", "inc-004"]
    assert "No boundary file is configured" in html


def test_oblast_level_report_is_an_area_never_a_point(records, boundary_file):
    incidents = filter_incidents(records, Filters())
    hit = impacts_in_view(records, incidents, Filters())
    with_outlines = incident_features(records, incidents, hit, load_boundaries(boundary_file))
    area = [f for f in with_outlines if f["properties"]["kind"] == "oblast_area"]
    assert len(area) == 1 and area[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert "oblast-level" in area[0]["properties"]["popup"]
    without = incident_features(records, incidents, hit, load_boundaries(None))
    approx = [f for f in without if f["properties"]["kind"] == "oblast_area"][0]
    assert approx["properties"]["shape"] == "approximate"  # drawn as a 60 km dashed circle
    assert "approximate" in approx["properties"]["tooltip"]
    points = [f for f in without if f["properties"]["kind"] == "incident"]
    assert "inc-005" not in {f["properties"]["id"] for f in points}


def test_incidents_styled_by_what_was_hit(records):
    incidents = filter_incidents(records, Filters())
    features = incident_features(
        records, incidents, impacts_in_view(records, incidents, Filters()), load_boundaries(None)
    )
    colour = {
        f["properties"]["id"]: f["properties"]["style"]["fillColor"]
        for f in features
        if f["properties"]["kind"] == "incident"
    }
    assert colour["inc-003"] == "#d95f02"  # thermal power plant: heating
    assert colour["inc-002"] == "#1b9e77"  # people harmed, no facility reported


def test_popup_has_date_place_casualties_and_quote(records):
    html = render(records, load_boundaries(None), Filters(cities=("Kryvyi Rih",)))
    popup = [f for f in features_in(html) if f["properties"].get("kind") == "incident"][0]["properties"]["popup"]
    assert "2024-03-13" in popup and "Kryvyi Rih" in popup
    assert "injured: 6 (children 1)" in popup and "Killed: not reported" in popup
    assert "a missile struck the city of Kryvyi Rih" in popup


def test_facilities_show_service_people_and_state(records):
    html = render(records, load_boundaries(None), Filters(cities=("Kherson",)))
    # It sits under the city's incidents, whose popup lists it with its own details.
    facility = [f for f in features_in(html) if f["properties"].get("kind") == "incident"][0]["properties"]
    assert "Kherson Thermal Power Plant" in facility["popup"]
    assert "people served: over 40,000" in facility["popup"]
    assert "out of service" in facility["popup"]


HOSTILE = "<img src=x onerror=alert(1)> ${alert(2)} `backtick` </script><script>alert(3)</script>"


@pytest.fixture
def hostile_records(tmp_path):
    def poison(text: str) -> str:
        return text.replace(
            "Drone strikes injured six people",
            HOSTILE.replace('"', "") + " Drone strikes injured six people",
        )

    def poison_place(text: str) -> str:
        return text.replace(",Odesa,Odesa Oblast,", ',"Odesa <b onmouseover=alert(4)>${x}</b>",Odesa Oblast,')

    report = load_records(record_folder(tmp_path, incidents_edit=lambda t: poison_place(poison(t))))
    assert report.failures.empty, report.failures
    return report.records


def test_record_values_are_escaped_in_popups_and_tooltips(hostile_records):
    records = hostile_records
    assert (records.incidents["description"].str.contains("<script>")).any()
    incidents = filter_incidents(records, Filters())
    m = build_map(records, incidents, load_boundaries(None))
    html = m.get_root().render()
    for raw in ("<script>alert(3)", "<img src=x", "<b onmouseover", "</script><script>"):
        assert raw not in html
    # Values travel as JSON, never in a JavaScript template literal where ${...} would run.
    assert "`" not in "".join(re.findall(r"bindPopup\((.*?)\)", html))
    feature = [f for f in features_in(html) if f["properties"].get("id") == "inc-004"][0]["properties"]
    assert "&lt;b onmouseover=alert(4)&gt;&#36;{x}&lt;/b&gt;" in feature["tooltip"]
    assert "bindPopup(p.popup" in html and "$(`" not in html


def test_data_layers_are_a_separate_feature_group(records):
    # The page sends filter-dependent layers through st_folium's feature_group_to_add,
    # so the base map's script (and the map) stays the same while filters change.
    boundaries = load_boundaries(None)
    a = base_map(boundaries).get_root().render()
    incidents = filter_incidents(records, Filters(cities=("Odesa",)))
    group = data_layers(records, incidents, boundaries)
    assert "inc-004" not in a
    assert [child._name for child in group._children.values()] == ["Areas", "Facilities", "Incidents"]


def test_escape_helper_handles_missing_values():
    from dashboard.map.view import esc

    assert esc(pd.NA) == "" and esc(None) == "" and esc("a<b") == "a&lt;b"


def test_draw_order_areas_then_facilities_then_incidents(records, boundary_file):
    """An oblast-level area drawn above Kherson's incidents took every click there (a pane per kind fixes the order)."""
    html = render(records, load_boundaries(boundary_file))
    panes = dict(re.findall(r'createPane\("(impact\w+)"\)\.style\.zIndex = (\d+)', html))
    assert int(panes["impactAreas"]) < int(panes["impactFacilities"]) < int(panes["impactIncidents"])
    # Each data layer names its pane; the layer's symbols are drawn in it.
    layers = re.findall(
        r'L\.geoJSON\((\{.*?\}), \{\n\s*pointToLayer: function \(feature, latlng\) \{\n.*?pane: "(\w+)"',
        html,
        flags=re.S,
    )
    by_kind = {}
    for blob, pane in layers:
        for feature in json.loads(blob)["features"]:
            if kind := feature["properties"].get("kind"):
                by_kind.setdefault(kind, set()).add(pane)
    assert by_kind == {
        "oblast_area": {"impactAreas"},
        "facility": {"impactFacilities"},
        "incident": {"impactIncidents"},
    }


def test_symbols_at_one_spot_open_one_popup_listing_them_all(records):
    """Kherson: two incidents and the power plant at the city centre; a click there lists all three."""
    html = render(records, load_boundaries(None), Filters(cities=("Kherson",)))
    points = [f["properties"] for f in features_in(html) if f["properties"].get("kind") in ("incident", "facility")]
    clickable = [p for p in points if p.get("interactive", True)]
    assert len(clickable) == 1 and clickable[0]["ids"] == ["inc-002", "inc-003"]
    assert [p["kind"] for p in points if not p.get("interactive", True)] == ["facility"]  # shows through, no click
    popup = clickable[0]["popup"]
    assert "3 records at this spot" in popup
    assert "six-year-old girl died" in popup  # inc-002's quote
    assert "rendered inoperative" in popup  # inc-003's quote
    assert "people served: over 40,000" in popup  # the plant's own popup


def test_popups_fit_the_map_and_leave_it_where_it_was(records):
    html = render(records, load_boundaries(None))
    assert "maxHeight: 300" in html  # scrolls inside a 560 px map instead of pushing it
    assert 'on("popupclose"' in html and "setView(" in html  # the view from before the popup comes back
