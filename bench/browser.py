"""Real-browser timings in Debian's Chromium, and the server's peak memory.

Ours: ``impact serve`` on a free port; the page is opened (first load timed), and each
repetition selects one oblast in the sidebar's Oblast box on a page opened without
filters (reopened untimed between repetitions); the time runs from the Enter key until
the map iframe (the frame whose URL contains ``streamlit_folium``) has finished
redrawing: the layer signature (element count and markup length of Leaflet's
overlay and marker panes) differs from before and then holds still for ``SETTLE_S``;
the time reported is that of its last change.

Baseline: folium ``FastMarkerCluster`` of the same points on the same base map, as a
static HTML file served by ``http.server``; the time runs from navigation until
``.marker-cluster`` elements appear (a static page has no filter: a different
filter is a different page).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT, log

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SETTLE_S = 1.0
POLL_S = 0.05
SIGNATURE_JS = """() => {
  let n = 0, len = 0;
  document.querySelectorAll('.leaflet-overlay-pane, .leaflet-marker-pane').forEach(p => {
    n += p.getElementsByTagName('*').length; len += p.innerHTML.length; });
  return n + ':' + len;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6  # kB (KiB) -> MB
    except OSError:
        pass
    return None


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _is_streamlit(pid: int) -> bool:
    try:
        return b"streamlit" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class Server:
    """``python -m dashboard.cli serve`` (or ``command``) and the Streamlit process it starts."""

    def __init__(
        self,
        env_extra: dict,
        log_path: Path,
        startup_cap_s: float,
        command: list[str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.port = free_port()
        env = dict(os.environ)
        env.update(env_extra)
        env.update(
            STREAMLIT_SERVER_PORT=str(self.port),
            STREAMLIT_SERVER_HEADLESS="true",
            STREAMLIT_SERVER_ADDRESS="127.0.0.1",
        )
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command or [sys.executable, "-m", "dashboard.cli", "serve"],
            env=env,
            cwd=cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + startup_cap_s
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError(f"impact serve did not answer within {startup_cap_s:.0f} s (see {log_path})")
        # `impact serve` either runs Streamlit as a child or replaces itself with it (exec).
        candidates = [self.process.pid, *children(self.process.pid)]
        self.streamlit_pid = next((p for p in candidates if _is_streamlit(p)), self.process.pid)

    def peak_mb(self) -> float | None:
        return peak_mb(self.streamlit_pid)

    def stop(self) -> None:
        # When `impact serve` runs Streamlit as a child, SIGTERM to the wrapper may not reach it:
        # end that child by its id first, then the wrapper.
        child = getattr(self, "streamlit_pid", self.process.pid)
        if child != self.process.pid:
            try:
                os.kill(child, 15)
            except ProcessLookupError:
                pass
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _map_frame(page):
    return next((f for f in page.frames if "streamlit_folium" in f.url), None)


def _signature(page) -> str | None:
    frame = _map_frame(page)
    if frame is None:
        return None
    try:
        return frame.evaluate(SIGNATURE_JS)
    except Exception:  # the frame went away mid-poll (reloaded): no signature yet
        return None


def wait_redrawn(page, before: str | None, started: float, cap_s: float) -> float | None:
    """Seconds from ``started`` until the map's last change, once it differs from ``before`` and has settled."""
    last_change, current = None, before
    while time.perf_counter() - started < cap_s:
        signature = _signature(page)
        if signature != current:
            current = signature
            if signature is not None and signature != before and not signature.startswith("0:"):
                last_change = time.perf_counter()
            else:
                last_change = None
        if last_change is not None and time.perf_counter() - last_change >= SETTLE_S:
            return last_change - started
        page.wait_for_timeout(POLL_S * 1000)  # lets Playwright handle events (frames, routes)
    return None


def _oblast_input(page):
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Oblast")
    return box.locator("input").first


def measure_ours(server: Server, browser, oblasts: list[str], repeat: int, cap_s: float) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    blocked: list[str] = []

    def only_local(route):
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    out: dict = {"blocked_requests": blocked}
    started = time.perf_counter()
    page.goto(server.url, timeout=cap_s * 1000)
    first = wait_redrawn(page, None, started, cap_s)
    out["first_load_s"] = first
    out["peak_mb_after_first_load"] = server.peak_mb()
    if first is None:
        out["error"] = f"the map did not draw within {cap_s:.0f} s of opening the page"
        page.close()
        return out
    times, urls = [], []
    for index in range(repeat):
        name = oblasts[index % len(oblasts)]
        if index:
            # A fresh page each time, untimed: the page passes the URL's filters to the widget as its
            # default, so the first change after the URL changed is dropped (the widget gets a new
            # identity); on a page opened without filters the first selection always holds.
            started = time.perf_counter()
            page.goto(server.url, timeout=cap_s * 1000)
            if wait_redrawn(page, None, started, cap_s) is None:
                out["error"] = f"the page did not draw again within {cap_s:.0f} s"
                break
        field = _oblast_input(page)
        field.click()
        field.fill(name)
        page.wait_for_timeout(300)  # the dropdown filters its options
        before = _signature(page)
        started = time.perf_counter()
        page.keyboard.press("Enter")
        elapsed = wait_redrawn(page, before, started, cap_s)
        page.keyboard.press("Escape")
        urls.append(page.url)
        if elapsed is None:
            out["error"] = f"the map did not redraw within {cap_s:.0f} s of selecting {name}"
            break
        times.append(elapsed)
        log(f"  browser: {name} redrawn in {elapsed:.2f} s")
    out["urls_after_change"] = urls
    out["redraw_s"] = times
    out["peak_mb_end"] = server.peak_mb()
    page.close()
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def static_site(folder: Path, map_html: str) -> Path:
    """A folder with the baseline page and the app's vendor files at the URLs the page names."""
    from dashboard.map.static_assets import VENDOR_DIR, ensure_vendor_assets

    ensure_vendor_assets()
    vendor = folder / "app" / "static" / "vendor"
    if not vendor.exists():
        shutil.copytree(VENDOR_DIR, vendor)
    (folder / "index.html").write_text(map_html, encoding="utf-8")
    return folder


def measure_static(folder: Path, browser, repeat: int, cap_s: float, budget_s: float) -> dict:
    port = free_port()
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    out: dict = {"bytes": (folder / "index.html").stat().st_size}
    times, spent = [], 0.0
    try:
        for _ in range(max(repeat, 1)):
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            started = time.perf_counter()
            try:
                page.goto(f"http://127.0.0.1:{port}/index.html", wait_until="commit", timeout=cap_s * 1000)
                remaining = max(cap_s - (time.perf_counter() - started), 1)
                page.wait_for_selector(".marker-cluster", timeout=remaining * 1000)
            except Exception as exc:  # playwright's TimeoutError: the cap was reached
                out["error"] = f"> {cap_s:.0f} s cap ({type(exc).__name__})"
                page.close()
                break
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            spent += elapsed
            log(f"  browser: static FastMarkerCluster page drawn in {elapsed:.2f} s")
            page.close()
            if spent > budget_s:
                break
    finally:
        httpd.shutdown()
        httpd.server_close()
    out["load_s"] = times
    return out


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
