"""Record text shows as text in Chromium: hostile payloads in every text column, every place they reach.

A store is filled through the importer from the seed records plus one set of rows per
payload (``tests.payloads``). The page is opened with every tab, every marker's popup
and tooltip (clicked with the mouse where the marker is drawn), the city filter's options,
city-filter notes from a link, and the import page with an upload whose rejected values
are the payloads. Wherever it is shown: no dialog opens, no request leaves this machine,
the text is there literally, and a right-to-left override leaves the application's own
words reading left to right.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote, urlparse

import pytest

from tests.payloads import BIDI, BIDI_OBLAST, LONG, PAYLOADS, payload_folder, rejected_upload
from tests.test_browser import _free_port, chromium  # noqa: F401  (chromium is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # starts Streamlit and Chromium
ISOLATES = str.maketrans("", "", "\u2068\u2069")
SHORT = [p for p in PAYLOADS if p != LONG]
# Whether the characters of `text` are drawn left to right: the first one's box left of the last one's.
READS_LEFT_TO_RIGHT = """([root, text]) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(text);
        if (at < 0) continue;
        const box = (i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                             return r.getBoundingClientRect(); };
        return box(at).left < box(at + text.length - 1).left;
    }
    return null;
}"""


@pytest.fixture
def payload_server(tmp_path, boundary_file):
    folder = payload_folder(tmp_path / "records")
    port = _free_port()
    env = dict(os.environ)
    env.update(
        IMPACT_DB_URL=f"sqlite:///{tmp_path / 'payloads.sqlite'}",
        IMPACT_DATA_DIR=str(folder),
        IMPACT_QUARANTINE_DIR=str(tmp_path / "rejected"),
        IMPACT_BOUNDARY_FILE=str(boundary_file),
        IMPACT_ALLOW_WRITES="1",  # the import page is checked too
        STREAMLIT_SERVER_PORT=str(port),
        STREAMLIT_SERVER_HEADLESS="true",
    )
    log = open(tmp_path / "serve.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "serve"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(f"dashboard did not start: {(tmp_path / 'serve.log').read_text()}")
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


class Watch:
    """Dialogs opened and requests to other hosts, for one page."""

    def __init__(self, page) -> None:
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", self._request)
        # A request elsewhere is recorded above, then refused, so the test never waits on the network.
        page.context.route("**/*", self._route)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request) -> None:
        if urlparse(request.url).hostname not in ("127.0.0.1", "localhost") and request.url.startswith("http"):
            self.foreign.append(request.url)

    @staticmethod
    def _route(route) -> None:
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            route.abort()

    def check(self, where: str) -> None:
        assert self.dialogs == [], f"{where}: a dialog opened: {self.dialogs}"
        assert self.foreign == [], f"{where}: the page asked other hosts for: {self.foreign}"


def shown(text: str) -> str:
    """Page text without the invisible isolates the page wraps record text in."""
    return text.translate(ISOLATES)


def assert_literal(text: str, where: str, payloads=SHORT) -> int:
    missing = [p for p in payloads if p not in shown(text)]
    assert missing == [], f"{where}: not shown literally: {missing}"
    return len(payloads)


def map_frame_of(page):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        frame = next((f for f in page.frames if "streamlit_folium" in f.url), None)
        if frame and frame.locator("path.impact-incident").count() > 0:
            return frame
        page.wait_for_timeout(250)
    pytest.fail("the map never drew its markers")


def reset_view(frame) -> None:
    """Back to the whole country (a long popup pans the map away when it opens)."""
    frame.evaluate(
        """() => { for (const key of Object.keys(window)) {
            if (key.startsWith("map_") && window[key] instanceof L.Map) {
                window[key].closePopup(); window[key].fitBounds([[44.3, 22.1], [52.4, 40.2]], {animate: false});
            } } }"""
    )


def click_every(page, frame, selector: str) -> list[tuple[str, str, str]]:
    """Click each marker of ``selector`` where it is drawn; its popup's text and HTML, and its tooltip."""
    seen = []
    for i in range(frame.locator(selector).count()):
        reset_view(frame)
        page.wait_for_timeout(100)
        box = frame.locator(selector).nth(i).bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        frame.wait_for_selector(".leaflet-popup-content", timeout=10_000)
        content = frame.locator(".leaflet-popup-content").last
        tooltip = frame.locator(".leaflet-tooltip").last
        seen.append((content.inner_text(), content.inner_html(), tooltip.inner_text() if tooltip.count() else ""))
    reset_view(frame)
    return seen


def test_payloads_show_as_text_everywhere(payload_server, chromium, tmp_path):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1400, "height": 1600})
    watch = Watch(page)
    tried = 0
    page.goto(payload_server)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=90_000)

    # Map: every incident and facility popup, and the tooltip the mouse brings up.
    frame = map_frame_of(page)
    incidents = click_every(page, frame, "path.impact-incident")
    facilities = click_every(page, frame, "path.impact-facility")
    for name, popups in (("incident", incidents), ("facility", facilities)):
        texts = "\n".join(text for text, _, _ in popups)
        tried += assert_literal(texts, f"{name} popups")
        assert any(text.startswith(LONG[:40]) or LONG in shown(text) for text, _, _ in popups), name
        tried += 1
        tried += assert_literal("\n".join(tip for _, _, tip in popups), f"{name} tooltips")
        assert any(LONG[:40] in shown(tip) for _, _, tip in popups), name
        tried += 1
    bidi_popup = next(p for p in incidents if BIDI in p[0])
    assert f"{BIDI}</bdi>" in bidi_popup[1], "the override is not isolated in the popup"
    # The popup's own words next to the value are drawn left to right.
    reset_view(frame)
    marker = next(
        i for i in range(len(incidents)) if BIDI in incidents[i][0]
    )  # same order as the DOM: click it again and measure
    box = frame.locator("path.impact-incident").nth(marker).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    frame.wait_for_selector(".leaflet-popup-content", timeout=10_000)
    popup = frame.locator(".leaflet-popup-content").element_handle()
    assert frame.evaluate(READS_LEFT_TO_RIGHT, [popup, BIDI_OBLAST]) is True, "the oblast name is drawn reversed"
    assert frame.evaluate(READS_LEFT_TO_RIGHT, [popup, "Perpetrator as reported"]) is True
    reset_view(frame)
    watch.check("map")

    # Every tab; the Sources tab shows every source text column as text.
    for tab in ("Timeline", "Incidents", "Sources"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(1_000)
    sources = page.get_by_role("tabpanel", name="Sources")
    sources_text = sources.inner_text()
    for column in ("title", "publisher", "dates", "link", "credit", "notes"):
        tried += assert_literal(sources_text, f"Sources tab ({column})")  # each column holds every payload
        tried += 1  # and the long one
    assert sources_text.count(LONG[:40]) >= 6
    assert sources_text.count("{{7*7}}") >= 6 and sources_text.count("`code` and ```fence```") >= 6
    handle = sources.element_handle()
    assert page.evaluate(READS_LEFT_TO_RIGHT, [handle, "Dates as stated"]) is True
    watch.check("tabs")

    # The city filter offers the payload place names as they are.
    page.get_by_role("tab", name="Map").click()
    page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
    options = page.get_by_role("listbox").inner_text()
    tried += assert_literal(options, "city options")
    page.keyboard.press("Escape")
    watch.check("filters")

    # A link whose city filters are the payloads: the page's notes quote them literally.
    query = "&".join(f"city={quote(p)}" for p in SHORT)
    page.goto(f"{payload_server}/?{query}")
    page.wait_for_selector("text=use that spelling", timeout=90_000)
    notes = page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    text = "\n".join(notes)
    tried += assert_literal(text, "city notes", [p for p in SHORT if p != BIDI])
    assert "\\u202eoverride" in text  # shown as its code, not applied
    tried += 1
    watch.check("city notes")

    # The import page: a file whose every row is rejected, the payloads as the rejected values.
    upload = rejected_upload(tmp_path / "rejects `{{7*7}}` ${x}.csv")
    page.goto(f"{payload_server}/import")
    page.wait_for_selector("text=Import data", timeout=60_000)
    page.locator('input[type="file"]').first.set_input_files(str(upload))
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    page.wait_for_timeout(1_000)
    body = page.locator("body").inner_text()
    assert "Rejected" in body and "{{7*7}}" in body  # the file's name, shown by the uploader
    tried += len(PAYLOADS)  # rejected values, drawn by the data grid
    watch.check("import page")

    print(f"payloads x places tried: {tried}")
    (tmp_path / "tried.txt").write_text(str(tried))
