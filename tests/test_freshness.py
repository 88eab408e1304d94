"""Two app processes over one store: an import through the command line shows on both pages, whole.

Each page is open in Chromium and left alone (no click, no reload); the test imports 20
synthetic incidents with ``impact import`` and polls both pages' attack tiles. Within 10 s
each must show the new total, and at every poll a tile shows the old total or the new one,
never a part of the import.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from dashboard.io.synth import write_synth
from tests.conftest import wait_until_healthy
from tests.test_browser import _free_port, chromium  # noqa: F401, F811  (chromium: a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SEED_ATTACKS = 5
ADDED = 20


def _serve(env: dict, log_path):
    port = _free_port()
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve"],
        env=env | {"STREAMLIT_SERVER_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process, log_path)
    return process, log, url


def _attacks(page) -> int | None:
    """The attacks tile's figure, or None while the page is redrawing."""
    tiles = page.locator('[data-testid="stMetric"]').filter(has_text="Attacks")
    if tiles.count() == 0:
        return None
    text = tiles.first.locator('[data-testid="stMetricValue"]').inner_text().replace(",", "")
    return int(text) if text.isdigit() else None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_import_shows_on_every_app_process_within_10_seconds_and_whole(
    backend,
    chromium,  # noqa: F811
    tmp_path,
    request,
    boundary_file,
):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    env = dict(os.environ) | {
        "IMPACT_DB_URL": url,
        "IMPACT_HOME": str(tmp_path / "home"),
        "IMPACT_BOUNDARY_FILE": str(boundary_file),
        "IMPACT_REFRESH_SECONDS": "2",
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
    }
    servers = [
        _serve(env | {"IMPACT_CACHE_DIR": str(tmp_path / f"cache{n}")}, tmp_path / f"serve{n}.log") for n in (1, 2)
    ]
    try:
        pages = []
        for _, _, address in servers:
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(address)
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
            deadline = time.monotonic() + 30
            while _attacks(page) != SEED_ATTACKS and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            assert _attacks(page) == SEED_ATTACKS
            pages.append(page)

        folder = write_synth(ADDED, 7, tmp_path / "more")
        imported = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "import", str(folder)], env=env, capture_output=True, text=True
        )
        assert imported.returncode == 0, imported.stderr
        committed = time.monotonic()

        seen: list[set[int]] = [set(), set()]
        shown_after: list[float | None] = [None, None]
        while time.monotonic() - committed < 15 and None in shown_after:
            for index, page in enumerate(pages):
                value = _attacks(page)
                if value is not None:
                    seen[index].add(value)
                if value == SEED_ATTACKS + ADDED and shown_after[index] is None:
                    shown_after[index] = time.monotonic() - committed
            pages[0].wait_for_timeout(250)
        for index in (0, 1):
            assert seen[index] <= {SEED_ATTACKS, SEED_ATTACKS + ADDED}, f"page {index + 1} showed part of an import"
            assert shown_after[index] is not None and shown_after[index] <= 10, (index, shown_after, seen)
    finally:
        for process, log, _ in servers:
            process.terminate()
            process.wait(timeout=20)
            log.close()
