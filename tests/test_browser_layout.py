"""The page's layout in Debian's Chromium: the map on the first screen, a phone, an empty view, no Deploy.

Screenshots go to each test's tmp_path, never into the repository.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest

from tests.test_browser import _map_frame, chromium, server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # starts Streamlit and Chromium
MAP = 'iframe[title*="streamlit_folium"]'
HEADLINE = ("Attacks", "Killed", "Injured", "Without heating")


def _open(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    return page


def _tiles(page) -> dict[str, str]:
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values, strict=True) if label.strip()}


def _in_viewport(page, box: dict) -> bool:
    size = page.viewport_size
    return box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and 0 <= box["x"] < size["width"]


def test_map_is_on_the_first_screen_and_the_popup_uses_the_page_font(server, chromium, tmp_path):  # noqa: F811
    page = _open(chromium, server, 1400, 1000)
    frame = _map_frame(page)
    box = page.locator(MAP).bounding_box()
    assert box["y"] < 1000, box  # the map's top edge is on the first screen
    assert box["y"] < 600, box  # ... and well up it, not just peeking in
    assert list(_tiles(page))[:4] == list(HEADLINE)
    # The facility breakdown is a table beside the map (same height band, to its right).
    table = page.get_by_text("Facilities hit, by type").bounding_box()
    assert table["x"] > box["x"] + box["width"] - 5 and table["y"] < box["y"] + box["height"]
    page.screenshot(path=str(tmp_path / "first-screen-1400.png"))

    # The popup is in the page's font, loaded from this server (the page blocks no host here,
    # but the font rule only takes the server's own files).
    page.locator(MAP).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    symbol = frame.locator("path.impact-incident").first.bounding_box()
    page.mouse.click(symbol["x"] + symbol["width"] / 2, symbol["y"] + symbol["height"] / 2)
    frame.wait_for_selector(".leaflet-popup-content", timeout=10_000)
    family = frame.evaluate("() => getComputedStyle(document.querySelector('.leaflet-popup-content')).fontFamily")
    assert family.startswith('"Source Sans"'), family
    assert frame.evaluate("() => document.fonts.check('13px \"Source Sans\"')")


def test_phone_shows_filters_headline_totals_and_a_wide_map(server, chromium, tmp_path):  # noqa: F811
    page = _open(chromium, server, 390, 844)
    _map_frame(page)
    for label in HEADLINE:
        tile = page.locator('[data-testid="stMetric"]', has_text=label).first
        tile.scroll_into_view_if_needed()
        assert tile.is_visible() and _in_viewport(page, tile.bounding_box()), label
    # Two tiles to a row on a phone: the headline takes two rows, not four.
    rows = {
        round(page.locator('[data-testid="stMetric"]', has_text=label).first.bounding_box()["y"]) for label in HEADLINE
    }
    assert len(rows) == 2, rows
    frame = page.locator(MAP)
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    assert box["width"] >= 300 and _in_viewport(page, {**box, "height": min(box["height"], 300)}), box
    page.screenshot(path=str(tmp_path / "phone-map.png"))
    # The filters open from the collapsed sidebar and can be used.
    toggle = page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button')
    button = toggle.first.bounding_box()
    page.mouse.click(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)
    city = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    city.wait_for(state="visible", timeout=10_000)
    deadline = time.monotonic() + 10  # the sidebar slides in
    while time.monotonic() < deadline and not _in_viewport(page, city.bounding_box()):
        page.wait_for_timeout(200)
    assert _in_viewport(page, city.bounding_box()) and city.bounding_box()["width"] > 200, city.bounding_box()
    page.screenshot(path=str(tmp_path / "phone-filters.png"))


def test_no_match_offers_clear_filters_which_brings_the_totals_back(server, chromium, tmp_path):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/?city=Khersonn&weapon=drone")
    message = page.get_by_text("No incidents match these filters")
    message.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stMetric"]').count() == 0
    page.screenshot(path=str(tmp_path / "no-match.png"))
    button = page.get_by_role("button", name="Clear filters").bounding_box()
    page.mouse.click(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=30_000)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "city" in page.url:
        page.wait_for_timeout(200)
    assert _tiles(page)["Attacks"] == "5"
    query = parse_qs(urlparse(page.url).query)
    assert not {"city", "weapon", "start", "end"} & set(query), page.url
    assert (
        page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.inner_text().find("Khersonn") < 0
    )


def test_no_deploy_button_and_a_backwards_linked_range_is_said_beside_the_dates(server, chromium):  # noqa: F811
    page = _open(chromium, f"{server}/?start=2024-03-14&end=2024-03-12", 1400, 1000)
    _map_frame(page)
    assert page.get_by_role("button", name="Deploy").count() == 0
    assert page.get_by_text("Deploy", exact=True).count() == 0
    warning = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]', has_text="is after end")
    dates = page.locator('[data-testid="stDateInput"]').bounding_box()
    box = warning.bounding_box()
    assert 0 <= box["y"] - (dates["y"] + dates["height"]) < 80, (dates, box)  # right under the date filter
    assert _tiles(page)["Attacks"] == "5"  # the range was ignored, not applied as "nothing"
