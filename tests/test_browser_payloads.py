"""Hostile record text in a real Chromium: shown literally everywhere, no dialog, no other host asked.

The store is filled on first open from ``tests.payloads.payload_folder``: every text
field of every table carries one of the payloads (script tags, event handlers,
``javascript:`` links, Markdown images and links, template braces, backticks, a bidi
override, 100 KB of markup). Each test watches the page the same way: any dialog
(``alert``) is recorded and dismissed, and any request to another host is recorded
and aborted; both lists must stay empty. What each test checked is written to
``IMPACT_TEST_ARTIFACTS/payload-places.txt``.

Run alone with ``pytest -m browser tests/test_browser_payloads.py``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest

from dashboard.records.schemas import SCHEMAS
from tests.conftest import BOUNDARY_FILE, skip_or_fail, wait_until_healthy
from tests.payloads import AREA_PLACE, LONG, PAYLOADS, PLACES, payload_folder, payload_rows
from tests.test_browser import ARTIFACTS, _free_port, chromium  # noqa: F401  (chromium is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # starts Streamlit and Chromium
WAIT_MS = 120_000  # the 100 KB payload makes every popup and tab heavy: be generous
SOURCE_ID = re.compile(r"\[src-p(\d\d)\]")
# JavaScript run in a document: anything a payload could have turned into a live element.
LIVE_MARKUP = """() => ({
    handlers: document.querySelectorAll('[onerror],[onload],[onclick],[onmouseover]').length,
    js_links: document.querySelectorAll('a[href^="javascript:" i]').length,
    images: Array.from(document.images).map(i => i.getAttribute('src')),
    evil_links: document.querySelectorAll('a[href*="evil.example"]').length,
    links: Array.from(document.querySelectorAll('a[href^="javascript:" i], a[href*="evil.example"]')).map(a => a.outerHTML.slice(0, 300) + ' IN ' + a.parentElement.outerHTML.slice(0, 300)),
})"""


def flat(text: str) -> str:
    """Text with whitespace runs as one space (inner_text follows CSS white-space rules), as a reader sees it.

    The invisible WORD JOINER that keeps a Markdown address from becoming a link is dropped.
    """
    return " ".join(text.replace("\u2060", "").split())


@dataclass
class Watch:
    """What a page did that it must not: dialogs opened, requests to other hosts."""

    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def only_localhost(route) -> None:
            if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                self.blocked.append(route.request.url)
                route.abort()

        page.on("dialog", on_dialog)
        page.context.route("**/*", only_localhost)

    def finish(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with open(ARTIFACTS / "payload-places.txt", "a", encoding="utf-8") as out:
            out.write(f"{name}: {'; '.join(self.checked)}; dialogs {self.dialogs}; blocked {self.blocked}\n")
        assert self.dialogs == [], f"a payload opened a dialog: {self.dialogs}"
        assert self.blocked == [], f"the page asked other hosts for: {self.blocked}"


def assert_no_live_markup(document, where: str) -> None:
    found = document.evaluate(LIVE_MARKUP)
    assert found["handlers"] == 0, f"{where}: an element with an event handler attribute"
    assert found["js_links"] == 0 and found["evil_links"] == 0, f"{where}: a link from record text: {found['links']}"
    strange = [src for src in found["images"] if src is None or src == "x" or "evil.example" in src]
    assert strange == [], f"{where}: images from record text: {strange}"


@pytest.fixture(scope="module")
def payload_server(tmp_path_factory):
    """``impact serve`` on a new SQLite store whose first fill imports the payload folder."""
    if not BOUNDARY_FILE.is_file():
        skip_or_fail(f"bundled boundary file {BOUNDARY_FILE} not found")
    root = tmp_path_factory.mktemp("payload-server")
    folder = payload_folder(root / "project", oblast_level=True)
    port = _free_port()
    env = dict(os.environ)
    env.update(
        IMPACT_DB_URL=f"sqlite:///{root / 'impact.sqlite'}",
        IMPACT_DATA_DIR=str(folder),
        IMPACT_QUARANTINE_DIR=str(root / "rejected"),
        IMPACT_BOUNDARY_FILE=str(BOUNDARY_FILE),
        STREAMLIT_SERVER_PORT=str(port),
        STREAMLIT_SERVER_HEADLESS="true",
        STREAMLIT_SERVER_ADDRESS="127.0.0.1",
        IMPACT_ALLOW_WRITES="1",  # the import page test uploads
    )
    log_path = root / "serve.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process, log_path, seconds=120)
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


def open_main_page(chromium, url: str, watch: Watch):  # noqa: F811
    """The main page, loaded until the map frame has drawn its incident symbols."""
    page = chromium.new_page(viewport={"width": 1400, "height": 1400})
    page.set_default_timeout(WAIT_MS)
    watch.attach(page)
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=WAIT_MS)
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        frame = next((f for f in page.frames if "streamlit_folium" in f.url), None)
        if frame and frame.locator("path.impact-incident").count() > 0:
            return page, frame
        page.wait_for_timeout(250)
    pytest.fail("the map never drew its incident symbols")


def centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def settled(page, locator) -> tuple[float, float]:
    """The centre of an element once it stops moving (a popup pans the map to fit)."""
    before = None
    for _ in range(50):
        now = centre(locator)
        if now == before:
            return now
        before = now
        page.wait_for_timeout(200)
    return before


def open_popup(page, frame, at: tuple[float, float]) -> str:
    """Click at a screen point like a user, read the popup it opens, close it with its button."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # only where Chromium runs

    page.mouse.click(*at)
    frame.wait_for_selector(".leaflet-popup-content", timeout=WAIT_MS)
    text = frame.locator(".leaflet-popup-content").inner_text()
    close = frame.locator(".leaflet-popup-close-button")
    page.mouse.click(*settled(page, close))
    try:
        frame.wait_for_selector(".leaflet-popup-content", state="detached", timeout=10_000)
    except PlaywrightTimeout:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "popup-stuck.png"))
        pytest.fail(f"the popup's close button did not close it: {text[:200]!r}")
    return text


def shown_literally(payload: str, text: str) -> bool:
    return flat(payload) in flat(text)


def test_map_popups_and_tooltips_show_payloads_literally(payload_server, chromium, records):  # noqa: F811
    watch = Watch()
    page, frame = open_main_page(chromium, payload_server, watch)
    symbols = frame.locator("path.impact-incident")
    assert symbols.count() >= len(PAYLOADS)
    # The open legend (top left) lies over western payload records: fold it, as a user would.
    if frame.locator(".impact-legend-body").is_visible():
        page.mouse.click(*centre(frame.locator(".impact-legend-toggle")))
        frame.wait_for_selector(".impact-legend-body", state="hidden", timeout=10_000)

    # Every symbol's popup: the payload of its record (named by its source id) is there, as text.
    seen: set[int] = set()
    for n in range(symbols.count()):
        text = open_popup(page, frame, centre(symbols.nth(n)))
        for index in {int(i) for i in SOURCE_ID.findall(text)}:
            assert shown_literally(PAYLOADS[index], text), f"popup of payload {index}: {text[:300]!r}"
            seen.add(index)
    assert seen == set(range(len(PAYLOADS))), f"no popup found for payloads {set(range(len(PAYLOADS))) - seen}"
    watch.checked.append(f"{symbols.count()} incident popups ({len(seen)} payloads)")

    # Tooltips: hovering each symbol shows its place, which is the payload.
    tooltips = []
    for n in range(symbols.count()):
        page.mouse.move(*centre(symbols.nth(n)))
        frame.wait_for_selector(".leaflet-tooltip", timeout=WAIT_MS)
        tooltips.append(frame.locator(".leaflet-tooltip").last.inner_text())
        page.mouse.move(5, 5)  # off the map: the tooltip closes
        frame.wait_for_selector(".leaflet-tooltip", state="detached", timeout=WAIT_MS)
    # A spot the payload shares with a seed incident has one symbol whose tooltip counts them instead.
    seed_spots = {
        (round(lat, 4), round(lon, 4))
        for lat, lon in zip(records.incidents["latitude"], records.incidents["longitude"], strict=True)
    }
    alone = [i for i, (_, _, lat, lon) in enumerate(PLACES) if (round(lat, 4), round(lon, 4)) not in seed_spots]
    assert len(alone) >= len(PAYLOADS) - 2
    missing = [i for i in alone if not any(shown_literally(PAYLOADS[i], t) for t in tooltips)]
    assert missing == [], f"payloads not shown literally in any tooltip: {missing}"
    watch.checked.append(f"{len(tooltips)} incident tooltips ({len(alone)} payloads alone at their spot)")

    # The oblast-level area (the payloads again, as oblast-level reports): a click inside it,
    # at the point of its reports, which no other symbol is near.
    text = open_popup(page, frame, area_point(frame))
    assert "oblast-level report" in text
    missing = [i for i, p in enumerate(PAYLOADS) if not shown_literally(p, text)]
    assert missing == [], f"payloads not shown literally in the area popup: {missing}"
    watch.checked.append("the oblast-level area popup (13 reports)")

    assert_no_live_markup(page, "main document")
    assert_no_live_markup(frame, "map frame")
    watch.finish("map")


def area_point(frame) -> tuple[float, float]:
    """The screen point of the oblast-level reports' coordinates, from the map's own projection."""
    lat, lon = AREA_PLACE[2], AREA_PLACE[3]
    point = frame.evaluate(
        """([lat, lon]) => {
            const map = Object.values(window).find(v => v && v._leaflet_id && v.latLngToContainerPoint);
            const p = map.latLngToContainerPoint([lat, lon]);
            const r = map.getContainer().getBoundingClientRect();
            return [p.x + r.left, p.y + r.top];
        }""",
        [lat, lon],
    )
    frame_box = frame.frame_element().bounding_box()
    return frame_box["x"] + point[0], frame_box["y"] + point[1]


def test_sources_tab_shows_payloads_literally(payload_server, chromium):  # noqa: F811
    watch = Watch()
    page, _frame = open_main_page(chromium, payload_server, watch)
    page.get_by_role("tab", name="Sources").click()
    panel = page.locator('[role="tabpanel"]:visible').first
    panel.get_by_text("Records in view and the sentence").wait_for(timeout=WAIT_MS)
    text = panel.inner_text()
    missing = [i for i, p in enumerate(PAYLOADS) if not shown_literally(p, text)]
    assert missing == [], f"payloads not shown literally in the Sources tab: {missing}"
    # Title (heading), publisher, dates as stated, link, credit and notes: six times each payload.
    counts = {i: flat(text).count(flat(p)) for i, p in enumerate(PAYLOADS) if p != LONG}
    assert all(count >= 6 for count in counts.values()), counts
    watch.checked.append(f"Sources tab: {len(PAYLOADS)} sources x 6 fields")
    assert_no_live_markup(page, "Sources tab")
    watch.finish("sources")


def hostile_csv() -> bytes:
    """An incidents CSV with payloads as extra column names and in every cell of one row each."""
    columns = list(SCHEMAS["incidents"].columns)
    extra = [p for p in PAYLOADS if p not in (LONG,)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns + extra)
    for i, payload in enumerate(PAYLOADS):
        row = payload_rows(i, payload)["incidents"]
        row.update(incident_id=f"inc-u{i:02d}", event_date=payload, source_id="src-000")
        writer.writerow([row.get(c, "") for c in columns] + [payload] * len(extra))
    return out.getvalue().encode("utf-8")


def header_only_csv() -> bytes:
    """A CSV of no known format: its header and its one row are the payloads (the 100 KB one left out)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([[p for p in PAYLOADS if p != LONG]] * 2)
    return out.getvalue().encode("utf-8")


def upload(page, name: str, data: bytes) -> None:
    page.locator('input[type="file"]').first.set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )


def test_import_preview_shows_payloads_literally(payload_server, chromium):  # noqa: F811
    watch = Watch()
    page = chromium.new_page(viewport={"width": 1300, "height": 1400})
    page.set_default_timeout(WAIT_MS)
    watch.attach(page)
    page.goto(f"{payload_server}/import")
    page.wait_for_selector("text=Import data", timeout=WAIT_MS)

    # Payloads in the header (extra columns) and every cell: a preview whose every row is rejected.
    name = "<img src=x onerror=alert(1)> {{7*7}} `x`.csv"
    upload(page, name, hostile_csv())
    page.get_by_text("Rejected rows, one line per problem").wait_for(timeout=WAIT_MS)
    main = page.locator('[data-testid="stMain"]').first
    text = main.inner_text()
    # The uploader shortens a long name with "...": its two ends are shown as typed.
    assert name[:7] in text and name[-7:] in text, f"the file name is not shown as typed: {text[:600]!r}"
    # The report's figures can still be drawing when the table's caption shows: wait for them.
    page.locator('[data-testid="stMetricLabel"]', has_text="Rejected").wait_for(timeout=WAIT_MS)
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    metrics = {label.strip(): value.strip() for label, value in zip(labels, values, strict=True)}
    assert (metrics["Rows read"], metrics["Rejected"]) == (str(len(PAYLOADS)), str(len(PAYLOADS))), metrics
    watch.checked.append("import preview of payload header and cells (file name, counts)")

    # A file of no known format: the refusal (an st.error, Markdown) quotes the file's name.
    name = "<img src=x onerror=alert(1)> [a](javascript:alert(1)) ${x} `x` **b** :smile: www.evil.example \u202eoverride.csv"
    upload(page, name, header_only_csv())
    alert = page.locator('[data-testid="stAlert"]').first
    alert.wait_for(timeout=WAIT_MS)
    message = alert.inner_text()
    assert "does not look like" in message, message
    # A message quoting a value among its own words shows a bidi control as its code.
    expected = name.replace("\u202e", "\\u202e")
    assert shown_literally(expected, message), f"the refusal does not quote the name as typed: {message!r}"
    watch.checked.append("import refusal (st.error) quoting a hostile file name")
    page.screenshot(path=str(ARTIFACTS / "import-payloads.png"), full_page=True)
    assert_no_live_markup(page, "import page")
    watch.finish("import")
