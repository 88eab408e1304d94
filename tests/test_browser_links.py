"""The import page's review list in Chromium: a proposed link is shown and accepted with a real click."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboard.store.links import read_links
from tests.test_browser import chromium  # noqa: F401  (a fixture)
from tests.test_freshness import _serve
from tests.test_links import DNIPRO_HES, import_incident, incident_folder, registry_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_pending_link_is_listed_and_accepted_by_a_click(chromium, tmp_path, boundary_file, monkeypatch):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'links.sqlite'}"
    engine, settings = registry_store(url, tmp_path, boundary_file, monkeypatch)
    import_incident(engine, settings, incident_folder(tmp_path / "incident"))
    env = dict(os.environ) | {
        "IMPACT_DB_URL": url,
        "IMPACT_HOME": str(tmp_path / "home"),
        "IMPACT_BOUNDARY_FILE": str(boundary_file),
        "IMPACT_ALLOW_WRITES": "1",
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
    }
    process, log, address = _serve(env, tmp_path / "serve.log")
    try:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{address}/import")
        heading = page.get_by_text("Links waiting for review")
        heading.wait_for(timeout=60_000)
        [pending] = read_links(engine, "pending").to_dict("records")
        assert pending["to_asset_id"] == DNIPRO_HES and "DniproHES" in pending["reason"]
        button = page.get_by_role("button", name="Accept link")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        heading.wait_for(state="detached", timeout=30_000)
        assert list(read_links(engine, "accepted")["to_asset_id"]) == [DNIPRO_HES]
        summary = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "summary", "--json"], env=env, capture_output=True, text=True
        )
        assert json.loads(summary.stdout)["facilities_hit"].get("hydro_power_plant") == 1
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
