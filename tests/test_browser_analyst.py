"""The analyst's page in Chromium: a table row zooms the map, "only in view", a legend clear of the data.

The server and Chromium fixtures are those of tests/test_browser.py; clicks are real mouse
clicks at the element's screen position. The legend test also runs on the CIR fixture from
``../shared`` (read there, never copied into the repository).
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from dashboard.config import MAPPINGS_DIR, Settings
from dashboard.io.importer import import_file
from dashboard.io.open import open_store
from dashboard.query.aggregate import MapView
from dashboard.query.in_view import in_view_mask
from geo.boundaries import load_boundaries
from tests import test_browser
from tests.conftest import BOUNDARY_FILE, skip_or_fail
from tests.test_browser import _map_frame, _overlaps
from tests.test_imports import CIR

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # starts Streamlit and Chromium
server = test_browser.server
chromium = test_browser.chromium
MAP = 'iframe[title*="streamlit_folium"]'
SYMBOLS = "path.impact-incident, path.impact-facility, path.impact-cell, .impact-registry"
TABLE = "[data-testid=stTabPanel]:visible [data-testid=stDataFrame]"


def _click(page, box: dict) -> None:
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _open(chromium, url: str, width: int = 1400, height: int = 1000):
    page = chromium.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    return page, _map_frame(page)


def _open_summed(chromium, url: str, width: int, height: int):
    """The page and its map's frame once the map drew its summed cells (many incidents)."""
    page = chromium.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        frame = next((f for f in page.frames if "streamlit_folium" in f.url), None)
        if frame and frame.locator("path.impact-cell").count() > 0:
            return page, frame
        page.wait_for_timeout(250)
    raise AssertionError("the map never drew its cells")


def _settled_view(frame, seconds: float = 20) -> tuple[float, float, float]:
    """The map's centre and zoom once they have not changed for a second (fits and reruns done)."""
    deadline, last, steady = time.monotonic() + seconds, None, 0
    while time.monotonic() < deadline:
        view = tuple(frame.evaluate("() => { var c = map.getCenter(); return [c.lat, c.lng, map.getZoom()]; }"))
        steady = steady + 1 if view == last else 0
        if steady >= 4:
            return view
        last = view
        frame.page.wait_for_timeout(250)
    raise AssertionError(f"the map kept moving: {last}")


def _grid(page):
    """The incident table (the Map tab has a table of its own, the facilities hit)."""
    return page.locator(TABLE).filter(has_text=re.compile(r"inc-\d|Incident")).first


def _table_ids(page) -> list[str]:
    """The incident ids of the table's rows, in their order (the grid's accessible rows)."""
    rows = _grid(page).locator("[role=row]").all_inner_texts()[1:]
    return [re.search(r"inc-\d{3}", text).group(0) for text in rows]  # the seed's ids


def _open_incidents_tab(page) -> None:
    tab = page.get_by_role("tab", name="Incidents")
    tab.scroll_into_view_if_needed()
    _click(page, tab.bounding_box())
    page.get_by_text("Only incidents in the map's view").wait_for(timeout=30_000)
    _grid(page).wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # the grid fills its rows after it appears


def _wait_for_rows(page, wanted: list[str], seconds: float = 30) -> list[str]:
    deadline, ids = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        ids = _table_ids(page)
        if ids == wanted:
            return ids
        page.wait_for_timeout(250)
    return ids


def test_a_table_row_zooms_the_map_to_its_incident_and_opens_its_popup(server, chromium, records):
    page, frame = _open(chromium, server)
    lat0, lng0, zoom0 = _settled_view(frame)
    frame.evaluate("() => { window.mountedBefore = true; }")  # gone if the map were mounted again

    _open_incidents_tab(page)
    ids = _table_ids(page)
    odesa = records.incidents[records.incidents["incident_id"] == "inc-004"].iloc[0]
    # The grid draws on a canvas: the row's screen position from its place among the rows.
    grid = _grid(page).bounding_box()
    row_height = (grid["height"] - 2) / (len(ids) + 1)  # the header and the rows are one height
    page.mouse.click(grid["x"] + 15, grid["y"] + row_height * (ids.index("inc-004") + 1.5))  # its row marker

    # The page shows the map again, zoomed to Odesa, with Odesa's popup open.
    frame.wait_for_selector(".leaflet-popup-content", timeout=20_000)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    lat, lng, zoom = _settled_view(frame)
    assert zoom >= zoom0 + 3, (zoom0, zoom)
    assert abs(lat - odesa.latitude) < 0.2 and abs(lng - odesa.longitude) < 0.3, (lat, lng)
    popup = frame.locator(".leaflet-popup-content").inner_text()
    assert "Odesa" in popup and odesa.quote[:50] in popup.replace("\n", " ")
    assert frame.evaluate("() => window.mountedBefore") is True  # the same map, moved, not a new one
    assert page.locator(MAP).count() == 1

    # An oblast-level report zooms to its oblast's outline (never to a point) and opens that area's popup.
    close = frame.locator(".leaflet-popup-close-button").bounding_box()
    _click(page, close)
    _open_incidents_tab(page)
    ids = _table_ids(page)
    grid = _grid(page).bounding_box()
    assert "inc-005" in ids, ids
    page.mouse.click(grid["x"] + 15, grid["y"] + row_height * (ids.index("inc-005") + 1.5))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "oblast-level report" not in " ".join(
        frame.locator(".leaflet-popup-content").all_inner_texts()
    ):
        page.wait_for_timeout(250)
    lat, lng, zoom = _settled_view(frame)
    south, west, north, east = frame.evaluate(
        "() => { var b = map.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
    )
    # Kherson oblast spans about 45.9-47.6 N and 31.5-35.3 E: all of it on screen, and not much more.
    assert south < 46.0 and north > 47.5 and west < 31.6 and east > 35.2, (south, west, north, east)
    assert east - west < 9 and zoom > zoom0, (west, east, zoom)
    assert "Kherson Oblast (oblast-level report)" in frame.locator(".leaflet-popup-content").inner_text()
    assert frame.evaluate("() => window.mountedBefore") is True


def test_only_in_view_drops_the_incident_panned_out_of_the_view(server, chromium, records):
    page, frame = _open(chromium, server)
    _settled_view(frame)
    page.locator(MAP).scroll_into_view_if_needed()
    page.wait_for_timeout(300)

    # Drag the map left until Odesa (the westmost point) is past the left edge and Kherson is not.
    def centre(incident_id: str) -> tuple[float, float]:
        row = records.incidents[records.incidents["incident_id"] == incident_id].iloc[0]
        point = frame.evaluate(
            "([lat, lng]) => { var p = map.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
            [float(row.latitude), float(row.longitude)],
        )
        return point[0], point[1]

    box = page.locator(MAP).bounding_box()
    odesa_x, _ = centre("inc-004")
    kherson_x, _ = centre("inc-002")
    shift = (odesa_x + kherson_x) / 2
    start = (box["x"] + box["width"] - 60, box["y"] + box["height"] - 80)  # clear of the legend, over no symbol
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] - shift, start[1], steps=25)
    page.wait_for_timeout(300)  # a pause before the release: no inertia after it
    page.mouse.up()
    _settled_view(frame)
    south, west, north, east = frame.evaluate(
        "() => { var b = map.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
    )
    view = MapView(6, south, west, north, east)
    everything = np.ones(len(records.incidents), dtype=bool)
    expected = list(
        records.incidents.loc[in_view_mask(records, everything, view, load_boundaries(BOUNDARY_FILE)), "incident_id"]
    )
    assert "inc-004" not in expected and len(expected) >= 3, (expected, view)  # the drag did what it meant to

    _open_incidents_tab(page)
    assert _table_ids(page) == list(records.incidents["incident_id"])  # switched off: every filtered row
    switch = page.locator('[data-testid="stCheckbox"]', has_text="Only incidents in the map's view")
    _click(page, switch.locator("label").first.bounding_box())
    assert _wait_for_rows(page, expected) == expected
    assert page.get_by_text(f"{len(expected)} of the 5 filtered incidents are in the map's view").count() == 1
    # The totals stay the filters' (the switch's help says so).
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert values[0].strip() == "5"


def _scroll_to_map(page) -> None:
    """Bring the whole map on screen (the page may still be redrawing it after its first reruns)."""
    for _ in range(20):
        try:
            page.locator(MAP).scroll_into_view_if_needed(timeout=5_000)
            return
        except Exception:  # the frame was replaced by a rerun's redraw: find it again
            page.wait_for_timeout(500)
    raise AssertionError("the map never stood still on the page")


def west_most_cell(frame) -> float:
    """The left edge, in the frame's pixels, of the westmost summed cell drawn."""
    return frame.evaluate(
        "() => Math.min.apply(null, Array.prototype.map.call(document.querySelectorAll('path.impact-cell'),"
        " function (p) { return p.getBoundingClientRect().left; }))"
    )


def _legend_clear_of_symbols(page, frame) -> int:
    """Assert the legend's box (open or folded) covers no incident or facility symbol; return how many."""
    _settled_view(frame)
    legend = frame.locator(".impact-legend").bounding_box()
    boxes = [symbol.bounding_box() for symbol in frame.locator(SYMBOLS).all()]
    boxes = [box for box in boxes if box and box["width"] > 0]
    covered = [box for box in boxes if _overlaps(legend, box)]
    assert not covered, (legend, covered[:5])
    return len(boxes)


@pytest.mark.parametrize("width,height", [(1400, 1000), (390, 844)])
def test_the_legend_covers_no_symbol_in_the_first_view_on_the_seed(server, chromium, width, height):
    page, frame = _open(chromium, server, width, height)
    page.locator(MAP).scroll_into_view_if_needed()
    assert _legend_clear_of_symbols(page, frame) >= 9  # 3 incident spots and 6 facilities drawn


def test_the_legend_covers_no_symbol_in_the_first_view_on_the_cir_fixture(server, chromium, settings, tmp_path):
    if not CIR.is_file():
        skip_or_fail(f"{CIR} not found (../shared beside the project)")
    importing = Settings.from_env(
        {
            "IMPACT_DB_URL": settings.db_url,
            "IMPACT_QUARANTINE_DIR": str(tmp_path / "imports"),
            "IMPACT_BOUNDARY_FILE": str(BOUNDARY_FILE),
        }
    )
    report = import_file(
        CIR, open_store(importing), importing, "mapped", MAPPINGS_DIR / "cir_russia_ukraine_monitor.toml"
    )
    assert report.accepted > 3000
    for width, height in ((1400, 1000), (390, 844)):
        page, frame = _open_summed(chromium, server, width, height)
        _scroll_to_map(page)
        # Thousands of incidents: summed cells (Lviv, Volyn and Zakarpattia among them, the legend's side).
        assert _legend_clear_of_symbols(page, frame) >= 5, (width, height)
        page.screenshot(path=str(test_browser.ARTIFACTS / f"legend-cir-{width}.png"))
        west_most = west_most_cell(frame)
        legend = frame.locator(".impact-legend").bounding_box()
        assert west_most < legend["x"] + legend["width"] + 200, "no symbol near the legend: the test would prove little"
        page.close()
