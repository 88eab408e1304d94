"""The sign-in form in a real browser: before sign-in no record, total or map reaches it over the wire."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dashboard.io import users
from tests.conftest import wait_until_healthy
from tests.test_browser import _free_port, chromium  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # starts Streamlit and Chromium
PASSWORD = "correct horse battery"
# Text every page with data sends (tile labels, a seed place, the map component): none before sign-in.
DATA_MARKERS = [b"Projectiles launched", b"Without heating", b"Kherson", b"streamlit_folium"]


@contextmanager
def dashboard(folder: Path, port: int, **impact_env: str) -> Iterator[str]:
    """`impact serve` on 127.0.0.1:``port`` with these IMPACT_* settings, its log in ``folder``; yields its URL."""
    env = dict(os.environ)
    env.update(
        impact_env,
        STREAMLIT_SERVER_PORT=str(port),
        STREAMLIT_SERVER_HEADLESS="true",
        STREAMLIT_SERVER_ADDRESS="127.0.0.1",
    )
    log_file = folder / "serve.log"
    with open(log_file, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(url, process, log_file)
            yield url
        except BaseException:
            # A failing test shows why the server misbehaved (the page shows only a reference).
            print(f"--- {log_file} ---\n{log_file.read_text()[-20_000:]}")
            raise
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture
def form_server(settings, boundary_file, tmp_path):
    users_file = tmp_path / "users.toml"
    users.add_user(users_file, "field-analyst", "analyst", PASSWORD)
    with dashboard(
        tmp_path,
        _free_port(),
        IMPACT_DB_URL=settings.db_url,
        IMPACT_QUARANTINE_DIR=str(settings.quarantine_dir),
        IMPACT_BOUNDARY_FILE=str(boundary_file),
        IMPACT_AUTH="form",
        IMPACT_USERS_FILE=str(users_file),
    ) as url:
        yield url


def _click(page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_nothing_of_the_records_is_sent_before_sign_in(form_server, chromium):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    received: list[bytes] = []

    def watch(socket):
        socket.on("framereceived", lambda frame: received.append(frame if isinstance(frame, bytes) else frame.encode()))

    page.on("websocket", watch)
    page.goto(form_server)
    page.wait_for_selector('input[type="password"]', timeout=60_000)
    page.wait_for_timeout(1500)  # let the run finish sending
    before = b"".join(received)
    assert b"Sign in" in before
    assert [marker for marker in DATA_MARKERS if marker in before] == []
    assert page.locator('[data-testid="stMetricValue"]').count() == 0

    _click(page, 'input[aria-label="User name"]')
    page.keyboard.type("field-analyst")
    _click(page, 'input[type="password"]')
    page.keyboard.type(PASSWORD)
    _click(page, 'button:has-text("Sign in")')
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    assert b"Projectiles launched" in b"".join(received)
