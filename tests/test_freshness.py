"""Two app processes over one store: an import through the command line shows on both pages, whole.

Each page is open in Chromium and left alone (no click, no reload); the test imports 20
synthetic incidents with ``impact import`` and polls both pages' attack tiles. Within 10 s
each must show the new total, and at every poll a tile shows the old total or the new one,
never a part of the import.
"""

from __future__ import annotations

import os

import pytest

from dashboard.io.synth import write_synth
from tests.servers import import_and_watch, stop, wait_for_attacks
from tests.servers import serve as _serve
from tests.test_browser import chromium  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SEED_ATTACKS = 5
ADDED = 20


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
            wait_for_attacks(page, SEED_ATTACKS)
            pages.append(page)

        seen, shown_after = import_and_watch(pages, env, write_synth(ADDED, 7, tmp_path / "more"))
        for index in (0, 1):
            assert seen[index] <= {SEED_ATTACKS, SEED_ATTACKS + ADDED}, f"page {index + 1} showed part of an import"
            assert shown_after[index] is not None and shown_after[index] <= 10, (index, shown_after, seen)
    finally:
        stop(servers)
