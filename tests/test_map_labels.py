"""A map you can read offline: a collapsible legend, place names without tiles, views that fit.

Checked on folium's rendered output (the browser check is in tests/test_browser.py).
"""

from __future__ import annotations

import html
import json
import re

import folium
import numpy as np

from dashboard.map.view import base_map, layers_for_mask
from dashboard.query.totals import Filters, incident_mask
from geo.boundaries import load_boundaries
from geo.gazetteer import GazetteerPlace, all_places

# What "the whole country, 1991 border and Crimea" means on the map (degrees).
CRIMEA_SOUTH, WESTERNMOST, NORTHERNMOST, EASTERNMOST = 44.38, 22.14, 52.38, 40.22


def labels_in(page: str) -> list[dict]:
    """The label payload the base map sends: one JSON array, parsed back into dictionaries."""
    found = re.findall(r"var impactLabels = (\[.*?\]);\n", page, flags=re.S)
    assert len(found) == 1, "the map sends its labels exactly once"
    return [
        dict(zip(("text", "lat", "lon", "kind", "from", "below"), row, strict=True)) for row in json.loads(found[0])
    ]


def shown_at(labels: list[dict], zoom: float, kind: str) -> set[str]:
    return {label["text"] for label in labels if label["kind"] == kind and label["from"] <= zoom < label["below"]}


def test_legend_is_a_collapsible_control_in_a_corner_the_data_does_not_use():
    page = base_map(load_boundaries(None)).get_root().render()
    legend = page[page.index("L.control(") : page.index("legend.addTo(map)")]
    # Top left, under the zoom buttons: Poland and Belarus there; Ukraine's data is east and south.
    assert re.search(r'L\.control\(\{position: "topleft"\}\)', legend)
    assert '"Legend"' in legend and '"×"' in legend  # the toggle's two states
    assert "impact-legend-toggle" in legend and "aria-expanded" in legend
    # Collapsed at load on narrow maps.
    assert re.search(r"getSize\(\)\.x >= 700", legend)


def test_oblast_names_at_low_zoom_and_cities_by_population_as_you_zoom_in(boundary_file):
    labels = labels_in(base_map(load_boundaries(boundary_file)).get_root().render())
    oblasts = [label for label in labels if label["kind"] == "oblast"]
    assert len(oblasts) == 27
    assert {"Crimea", "Kherson", "Luhansk", "Donetsk", "Zaporizhzhia", "Sevastopol"} <= {o["text"] for o in oblasts}
    assert shown_at(labels, 5.5, "oblast") == shown_at(labels, 6, "oblast") == {o["text"] for o in oblasts}
    assert shown_at(labels, 7, "oblast") == set()

    population = {}
    for place in all_places():
        population[place.name] = max(population.get(place.name, 0), place.population)
    for zoom, at_least in ((6, 500_000), (7, 100_000), (8, 20_000)):
        cities = shown_at(labels, zoom, "city")
        small = {name for name in cities if population[html.unescape(name)] < at_least}
        # Below the tier's population only each unit's biggest city (GeoNames gives Kherson 66,000).
        assert len(small) <= (0 if zoom < 7 else 27), (zoom, small)
    assert {"Kharkiv", "Odesa", "Dnipro", "Lviv"} <= shown_at(labels, 6, "city")
    assert {"Kherson", "Mariupol", "Simferopol", "Melitopol"} <= shown_at(labels, 7, "city")
    assert len(shown_at(labels, 9, "city")) > len(shown_at(labels, 8, "city")) > len(shown_at(labels, 7, "city"))
    # City districts GeoNames lists as places of their own are not labelled as cities.
    assert not {"Saltivka", "Obolon", "Desna", "Darnytsya"} & {label["text"] for label in labels}
    assert len(labels) <= 600  # a few hundred at most


def test_labels_work_without_a_boundary_file_and_stay_small():
    html_without = base_map(load_boundaries(None)).get_root().render()
    labels = labels_in(html_without)
    assert len([label for label in labels if label["kind"] == "oblast"]) == 27
    payload = re.search(r"var impactLabels = (\[.*?\]);\n", html_without, flags=re.S).group(1)
    assert len(payload.encode()) < 30_000
    # Every label is a point inside the 1991 border's box.
    for label in labels:
        assert CRIMEA_SOUTH - 0.1 <= label["lat"] <= NORTHERNMOST + 0.1, label
        assert WESTERNMOST - 0.1 <= label["lon"] <= EASTERNMOST + 0.1, label


def test_label_text_is_escaped():
    from dashboard.map.labels import map_labels

    hostile = GazetteerPlace("<img src=x onerror=alert(1)>", "UA-65", 46.6, 32.6, 900_000, 1)
    texts = [row[0] for row in map_labels(load_boundaries(None), places=(hostile,))]
    assert "&lt;img src=x onerror=alert(1)&gt;" in texts
    assert not any("<img" in text for text in texts)


def test_labels_come_with_the_base_map_not_with_the_filtered_layers(records):
    boundaries = load_boundaries(None)
    mask = incident_mask(records, Filters(cities=("Kherson",)))
    alone = folium.Map(tiles=None)
    layers_for_mask(records, mask, boundaries).add_to(alone)
    assert "impactLabels" not in alone.get_root().render()  # filter changes resend no labels
    # The base map, with which the labels go, is the same whatever the filters (st_folium never remounts it).
    assert base_map(boundaries).get_root().render().count("var impactLabels = ") == 1


def test_first_view_holds_crimea_and_the_1991_border():
    page = base_map(load_boundaries(None)).get_root().render()
    # The first view goes through window.impactFit, which leaves room for the legend and the attribution.
    fits = re.findall(r"window\.impactFit\(map, (\[\[.*?\]\]), false\)", page)
    assert len(fits) == 1
    (south, west), (north, east) = json.loads(fits[0])
    assert south <= CRIMEA_SOUTH and west <= WESTERNMOST and north >= NORTHERNMOST and east >= EASTERNMOST
    padding = re.search(r"var tl = L\.point\((\[.*?\])\), br = L\.point\((\[.*?\])\)", page)
    assert min(json.loads(padding.group(1)) + json.loads(padding.group(2))) > 0  # not flush with the map's edge
    assert "paddingTopLeft: tl, paddingBottomRight: br" in page
    # At 560 px high the box needs zoom 5.97: whole zoom steps would fall back to 5, a third of the country's size.
    snap = re.search(r'"?zoomSnap"?: *([0-9.]+)', page)  # folium 0.17 writes the key unquoted
    assert snap and float(snap.group(1)) < 1


def test_view_fits_the_filtered_records(records, boundary_file):
    from dashboard.map.fit import UKRAINE_VIEW, view_for

    boundaries = load_boundaries(boundary_file)
    everything = np.ones(len(records.incidents), dtype=bool)
    assert view_for(records, everything, boundaries) == UKRAINE_VIEW
    assert view_for(records, ~everything, boundaries) == UKRAINE_VIEW

    # One city: a city-sized box around it, not the whole country.
    kherson = incident_mask(records, Filters(cities=("Kherson",)))
    (south, west), (north, east) = view_for(records, kherson, boundaries)
    assert south < 46.6354 < north and west < 32.6169 < east
    assert 0.1 < north - south < 1.0 and 0.1 < east - west < 1.5

    # An oblast: its oblast-level record is drawn as the whole oblast, so the view holds the outline.
    oblast = incident_mask(records, Filters(oblasts=("Kherson Oblast",)))
    (south, west), (north, east) = view_for(records, oblast, boundaries)
    o_west, o_south, o_east, o_north = boundaries.frame.set_index("oblast_iso").loc[["UA-65"]].total_bounds
    assert south <= o_south and west <= o_west and north >= o_north and east >= o_east
    assert north - south < 4 and east - west < 6

    # Several cities: every record inside, with padding.
    two = incident_mask(records, Filters(cities=("Kherson", "Odesa")))
    (south, west), (north, east) = view_for(records, two, boundaries)
    assert south < 46.4825 and west < 30.7233 and north > 46.6354 and east > 32.6169


def test_filtered_group_moves_the_view_once_per_filter(records):
    from dashboard.map.fit import view_for

    boundaries = load_boundaries(None)
    mask = incident_mask(records, Filters(cities=("Odesa",)))
    view = view_for(records, mask, boundaries)
    m = base_map(boundaries)
    layers_for_mask(records, mask, boundaries, fit=view).add_to(m)
    page = m.get_root().render()
    script = page[page.index("impactFitted") - 200 :]
    assert json.dumps(view) in script
    # Guarded by the view: a rerun for a pan (same filters) does not pull the map back.
    assert "window.impactFitted !==" in script


def test_a_link_carries_the_map_view():
    from dashboard.map.fit import parse_view, view_text

    assert parse_view(view_text(46.4825, 30.7233, 10.5)) == ((46.4825, 30.7233, 10.5), None)
    assert parse_view(None) == (None, None) and parse_view("") == (None, None)
    for bad in ("46.48,30.72", "north,30.72,9", "46.48,30.72,40", "146.48,30.72,9", "nan,30.72,9"):
        view, warning = parse_view(bad)
        assert view is None
        # The warning names the parameter, the value and the rule.
        assert warning.startswith("view ") and repr(bad) in warning and "latitude,longitude,zoom" in warning


def test_the_page_link_follows_pans_and_zooms():
    page = base_map(load_boundaries(None)).get_root().render()
    script = page[page.index('map.on("moveend"') :]
    assert 'searchParams.set("view"' in script and "history.replaceState" in script


def test_a_linked_view_opens_once_then_filters_move_the_map(records):
    from dashboard.map.fit import view_for

    boundaries = load_boundaries(None)
    mask = incident_mask(records, Filters(cities=("Odesa",)))
    fit = view_for(records, mask, boundaries)
    m = base_map(boundaries)
    layers_for_mask(records, mask, boundaries, fit=fit, link_view=(46.5, 30.7, 9.0)).add_to(m)
    page = m.get_root().render()
    script = page[page.index("window.impactFitted") - 200 :]
    assert "[46.5, 30.7, 9.0]" in script and "map.setView([view[0], view[1]], view[2]" in script
    assert "window.impactFitted !==" in script
