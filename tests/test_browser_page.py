"""The page in Chromium at 1400×1000: registered facilities on the map, casualty coverage, service tiles.

Run alone with ``pytest -m browser``; the server and Chromium fixtures are those of
tests/test_browser.py. The registry test reads the Global Power Plant Database extract from
``../shared`` (not copied into the repository).
"""

from __future__ import annotations

import csv
import math
import time

import pytest

from dashboard.config import MAPPINGS_DIR, Settings
from dashboard.io.importer import import_file
from dashboard.io.open import open_store
from tests import test_browser
from tests.conftest import SHARED, skip_or_fail
from tests.test_browser import _map_frame, _overlaps

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # starts Streamlit and Chromium
GPPD = SHARED / "fixtures" / "real" / "gppd_geodb_ukraine_power_plants.csv"
VIEWPORT = {"width": 1400, "height": 1000}
# The Streamlit server on a fresh store and Debian's Chromium, as the page's other browser tests use them.
server = test_browser.server
chromium = test_browser.chromium


def _tiles(page) -> dict[str, str]:
    """Tile label -> value, read once a rerun has finished drawing them (as many labels as values)."""
    deadline = time.monotonic() + 20
    while True:
        labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        if (len(labels) == len(values) and labels) or time.monotonic() > deadline:
            return {label.strip(): value.strip() for label, value in zip(labels, values, strict=True)}
        page.wait_for_timeout(250)


def _captions(page) -> str:
    return "\n".join(page.locator('[data-testid="stCaptionContainer"]').all_inner_texts())


def _settled_registry(frame, expected: int) -> list:
    """The registry's symbols once the page has stopped redrawing them (the view's rerun)."""
    deadline, last, steady = time.monotonic() + 40, -1, 0
    while time.monotonic() < deadline:
        count = frame.locator(".impact-registry").count()
        steady = steady + 1 if count == last and count == expected else 0
        if steady >= 6:  # unchanged for about 1.5 s
            return frame.locator(".impact-registry").all()
        last = count
        frame.page.wait_for_timeout(250)
    raise AssertionError(f"the registry layer drew {last} symbols, not {expected}")


def test_registered_power_plants_are_drawn_and_a_click_opens_the_plants_popup(server, chromium, settings, tmp_path):
    if not GPPD.is_file():
        skip_or_fail(f"{GPPD} is not there")
    from tests.conftest import BOUNDARY_FILE

    # The server's store, as a user would fill it: `impact import ... --format mapped --mapping ...`.
    importing = Settings.from_env(
        {
            "IMPACT_DB_URL": settings.db_url,
            "IMPACT_QUARANTINE_DIR": str(tmp_path / "imports"),
            "IMPACT_BOUNDARY_FILE": str(BOUNDARY_FILE),
        }
    )
    report = import_file(GPPD, open_store(importing), importing, "mapped", MAPPINGS_DIR / "gppd_power_plants.toml")
    assert (report.accepted, report.rejected) == (32, 0)
    plants = list(csv.DictReader(GPPD.open(encoding="utf-8", newline="")))

    page = chromium.new_page(viewport=VIEWPORT)
    page.goto(server)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    frame = _map_frame(page)
    symbols = _settled_registry(frame, 32)
    assert frame.locator(".impact-registry-not-hit").count() == 32  # the seed's strikes hit none of them
    legend = frame.locator(".impact-legend").inner_text()
    assert "Registered facility (not hit / hit)" in legend
    assert "Registered facilities in the map's view" in _captions(page)

    # The whole map on screen first: a mouse-down focuses Leaflet's container, and the browser
    # scrolls a partly hidden one into view between the press and the release, so the click
    # would land beside the symbol.
    page.locator('iframe[title*="streamlit_folium"]').scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    # A plant clear of the legend and of every other symbol, clicked like a user at its position.
    others = [s.bounding_box() for s in frame.locator(".impact-registry, path.impact-incident").all()]
    legend_box = frame.locator(".impact-legend").bounding_box()
    chosen = None
    for symbol in symbols:
        box = symbol.bounding_box()
        grown = {"x": box["x"] - 14, "y": box["y"] - 14, "width": box["width"] + 28, "height": box["height"] + 28}
        if _overlaps(grown, legend_box) or sum(_overlaps(grown, other) for other in others) > 1:
            continue
        chosen = (symbol, box)
        break
    assert chosen is not None, "every plant overlaps another symbol or the legend"
    symbol, box = chosen
    lat, lng = symbol.evaluate(
        """el => { var found = null; window.map.eachLayer(function (l) {
               if (l.getElement && l.getElement() === el) { found = l.getLatLng(); } });
               return [found.lat, found.lng]; }"""
    )
    nearest = min(plants, key=lambda p: math.dist((float(p["latitude"]), float(p["longitude"])), (lat, lng)))
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    frame.wait_for_selector(".leaflet-popup-content", timeout=10_000)
    popup = frame.locator(".leaflet-popup-content").inner_text()
    assert nearest["name"] in popup, (nearest["name"], popup)
    assert "Registered facility" in popup and "not hit in the filtered incidents" in popup
    assert "Global Power Plant Database, WRI" in popup  # the registry's credit line
    page.screenshot(path=str(_artifacts() / "registry-popup.png"), full_page=True)

    close = frame.locator(".leaflet-popup-close-button").bounding_box()
    page.mouse.click(close["x"] + close["width"] / 2, close["y"] + close["height"] / 2)
    frame.wait_for_selector(".leaflet-popup-content", state="detached", timeout=10_000)

    # The legend row's box hides the layer (the legend folds while a popup is open).
    frame.locator(".impact-legend-registry input").click()
    assert frame.locator(".impact-registry").count() == 0
    frame.locator(".impact-legend-registry input").click()
    assert frame.locator(".impact-registry").count() == 32


def test_casualty_tiles_show_coverage_and_not_reported_and_service_tiles_peak_and_end_date(server, chromium):
    page = chromium.new_page(viewport=VIEWPORT)
    page.goto(server)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    tiles, captions = _tiles(page), _captions(page)
    assert tiles["Killed"] == "3" and "reported for 2 of 5 attacks" in captions
    assert tiles["Injured"] == "13" and "reported for 3 of 5 attacks" in captions
    # The seed's power plant: 40,000 without heating at peak, still on the end date.
    assert tiles["Without heating"] == "40,000"
    assert "on the end date 40,000; 40,000 person-days" in captions
    assert "Registered facilities in the map's view" not in captions  # no registry in the seed

    # Odesa's strike gives no casualty figure but the injured: "not reported", never 0.
    page.goto(f"{server}/?city=Odesa")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _tiles(page).get("Attacks") != "1":
        page.wait_for_timeout(250)
    # Children killed is under "All totals" (the headline row has four): opened like a user.
    summary = page.get_by_text("All totals", exact=True).bounding_box()
    page.mouse.click(summary["x"] + summary["width"] / 2, summary["y"] + summary["height"] / 2)
    page.get_by_text("Projectiles launched", exact=True).wait_for(timeout=10_000)
    tiles, captions = _tiles(page), _captions(page)
    assert tiles["Attacks"] == "1"
    assert tiles["Killed"] == "not reported" and tiles["Children killed"] == "not reported"
    assert tiles["Injured"] == "6"
    assert "no figure in 1 attack" in captions
    assert "Without heating" not in tiles  # no heating cut off in Odesa
    page.screenshot(path=str(_artifacts() / "tiles-odesa.png"), full_page=True)


def _artifacts():
    from tests.test_browser import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
