"""``make screenshots``: the real page, driven like a user, photographed for the README.

Starts ``impact serve`` on a temporary ``IMPACT_HOME`` (first on the seed records, then on
synthetic incidents written by ``dashboard.io.synth``), opens it in Debian's Chromium at
1400×1000 and 390×844, and clicks like a user, at each element's screen position: a symbol
on the map (its popup opens), a city in the City filter, "All totals". Each step's viewport
is saved as a PNG in ``docs/screenshots/`` (lossless: a reduced palette would change the legend's colours).

Usage::

    python docs/screenshots.py [--out docs/screenshots] [--incidents 100000] [--port 8950]

The server listens on 127.0.0.1 only and is stopped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from any folder

from dashboard.config import BUNDLED_BOUNDARY_FILE  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = ((1400, 1000), (390, 844))
MAP = 'iframe[title*="streamlit_folium"]'
SYMBOLS = "path.impact-incident, path.impact-cell"


def log(message: str) -> None:
    print(f"[screenshots] {message}", flush=True)


def serve(home: Path, port: int, data_dir: Path | None) -> subprocess.Popen:
    """``impact serve`` on a fresh IMPACT_HOME, waited for until its health check answers."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("IMPACT_")}
    env.update(IMPACT_HOME=str(home), IMPACT_BOUNDARY_FILE=str(BUNDLED_BOUNDARY_FILE))
    if data_dir is not None:
        env["IMPACT_DATA_DIR"] = str(data_dir)  # an empty store imports this folder on first open
    command = [sys.executable, "-m", "dashboard.cli", "serve", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    process = subprocess.Popen(command, env=env, stdout=open(home / "serve.log", "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status == 200:
                return process
        except OSError:
            time.sleep(0.5)
        if process.poll() is not None:
            break
    process.kill()
    raise SystemExit(f"impact serve did not start: {(home / 'serve.log').read_text()[-2000:]}")


def click(page, box: dict) -> None:
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def map_frame(page, seconds: float = 300):
    """The map's frame once it has drawn symbols (markers or summed cells)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        frame = next((f for f in page.frames if "streamlit_folium" in f.url), None)
        if frame is not None and frame.locator(SYMBOLS).count() > 0:
            return frame
        page.wait_for_timeout(300)
    raise SystemExit("the map never drew a symbol")


def settle(frame) -> None:
    """Wait until the map's view has stopped changing (its first fits and reruns)."""
    last, steady = None, 0
    for _ in range(120):
        view = frame.evaluate("() => { var c = map.getCenter(); return [c.lat, c.lng, map.getZoom()]; }")
        steady = steady + 1 if view == last else 0
        if steady >= 4:
            return
        last = view
        frame.page.wait_for_timeout(250)


def save(page, path: Path) -> None:
    """The viewport as a PNG, losslessly compressed (a few tens to a few hundred KB)."""
    from PIL import Image

    page.wait_for_timeout(700)  # popups and expanders finish their transitions
    raw = path.with_suffix(".raw.png")
    page.screenshot(path=str(raw))
    with Image.open(raw) as image:
        image.convert("RGB").save(path, optimize=True)  # lossless: a smaller palette shifts the legend's colours
    raw.unlink()
    log(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")


def open_popup(page, frame) -> str:
    """Click the largest symbol clear of the legend, like a user; return the popup's first line."""
    page.locator(MAP).scroll_into_view_if_needed()
    settle(frame)
    legend = frame.locator(".impact-legend").bounding_box()
    boxes = [box for box in (s.bounding_box() for s in frame.locator(SYMBOLS).all()) if box]
    clear = [
        box for box in boxes if box["x"] > legend["x"] + legend["width"] or box["y"] > legend["y"] + legend["height"]
    ]
    box = max(clear, key=lambda b: b["width"])
    click(page, box)
    frame.wait_for_selector(".leaflet-popup-content", timeout=20_000)
    page.wait_for_timeout(800)  # the popup's pan to fit
    return frame.locator(".leaflet-popup-content").inner_text().splitlines()[0]


def choose_city(page, city: str, phone: bool) -> None:
    """Open the sidebar on a phone, type the city into the City filter and pick it."""
    page.mouse.wheel(0, -10_000)
    if phone:
        toggle = page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button')
        click(page, toggle.first.bounding_box())
        page.wait_for_timeout(800)
    select = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    click(page, select.bounding_box())
    page.keyboard.type(city)
    option = page.get_by_role("option", name=city, exact=True).first
    option.wait_for(timeout=20_000)
    click(page, option.bounding_box())
    page.keyboard.press("Escape")
    if phone:
        close = page.locator('[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarHeader"] button')
        click(page, close.first.bounding_box())
        page.wait_for_timeout(800)


def shoot(browser, url: str, name: str, city: str, out: Path) -> list[Path]:
    saved = []
    for width, height in VIEWPORTS:
        phone = width < 600
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        page.wait_for_selector('[data-testid="stMetricValue"]', timeout=600_000)
        frame = map_frame(page)
        first = open_popup(page, frame)
        log(f"{name} {width}x{height}: popup '{first}'")
        saved.append(out / f"{name}-{width}x{height}-popup.png")
        save(page, saved[-1])
        close = frame.locator(".leaflet-popup-close-button").bounding_box()
        click(page, close)

        attacks_before = page.locator('[data-testid="stMetricValue"]').first.inner_text()
        choose_city(page, city, phone)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if page.locator('[data-testid="stMetricValue"]').first.inner_text() != attacks_before:
                break
            page.wait_for_timeout(300)
        summary = page.get_by_text("All totals", exact=True)
        summary.scroll_into_view_if_needed()
        click(page, summary.bounding_box())
        page.get_by_text("Projectiles launched", exact=True).wait_for(timeout=20_000)
        page.mouse.wheel(0, -10_000)
        saved.append(out / f"{name}-{width}x{height}-{city.lower().replace(' ', '-')}-totals.png")
        save(page, saved[-1])
        page.locator(MAP).scroll_into_view_if_needed()
        settle(map_frame(page))
        saved.append(out / f"{name}-{width}x{height}-{city.lower().replace(' ', '-')}-map.png")
        save(page, saved[-1])
        page.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--incidents", type=int, default=100_000, help="synthetic incidents (0: the seed only)")
    parser.add_argument("--port", type=int, default=8950)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from dashboard.io.synth import write_synth

    args.out.mkdir(parents=True, exist_ok=True)
    runs = [("seed", None, "Kherson")]
    if args.incidents:
        runs.append((f"synth-{args.incidents // 1000}k", args.incidents, "Kharkiv"))
    with tempfile.TemporaryDirectory(prefix="impact-screenshots-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        for name, incidents, city in runs:
            home = Path(tmp) / name
            home.mkdir()
            data = None
            if incidents:
                log(f"writing {incidents:,} synthetic incidents")
                data = write_synth(incidents, 0, home / "records")
            started = time.monotonic()
            process = serve(home, args.port, data)
            log(f"{name}: server up in {time.monotonic() - started:.0f} s")
            try:
                shoot(browser, f"http://127.0.0.1:{args.port}", name, city, args.out)
            finally:
                process.terminate()
                process.wait(timeout=30)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
