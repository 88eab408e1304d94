"""Closed by default: the page listens on this machine only, writes are off, tracebacks stay on the server."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cli
from dashboard.config import PROJECT_ROOT, Settings
from dashboard.ui.shared import UNEXPECTED_ERROR
from tests.conftest import skip_or_fail, wait_until_healthy

APP = str(PROJECT_ROOT / "dashboard" / "ui" / "app.py")


def test_writes_are_off_unless_allowed():
    assert Settings.from_env({}).allow_writes is False
    assert Settings.from_env({"IMPACT_ALLOW_WRITES": "0"}).allow_writes is False
    assert Settings.from_env({"IMPACT_ALLOW_WRITES": "1"}).allow_writes is True


def test_serve_fixes_safe_streamlit_settings():
    env, warnings = cli.serve_environment([], {})
    assert env["STREAMLIT_SERVER_ADDRESS"] == "127.0.0.1"
    assert env["STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION"] == "true"
    assert env["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"] == "100"
    assert env["STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"] == "none"
    assert env["STREAMLIT_CLIENT_TOOLBAR_MODE"] == "minimal"
    assert warnings == []


def test_serve_keeps_an_address_the_user_gives_and_warns_when_writes_are_open():
    env, warnings = cli.serve_environment([], {"STREAMLIT_SERVER_ADDRESS": "0.0.0.0"})
    assert env["STREAMLIT_SERVER_ADDRESS"] == "0.0.0.0" and warnings == []
    _, warnings = cli.serve_environment(["--server.address=10.1.2.3"], {"IMPACT_ALLOW_WRITES": "true"})
    assert "anyone who can reach it can change the stored records" in warnings[0]
    _, warnings = cli.serve_environment([], {"IMPACT_ALLOW_WRITES": "1"})
    assert warnings == []  # loopback only: no one else can reach it


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on ``port`` per /proc/net/tcp and tcp6 (hex, as the kernel writes them)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.slow
def test_serve_listens_on_loopback_only(tmp_path):
    if not Path("/proc/net/tcp").exists():
        skip_or_fail("needs Linux's /proc/net/tcp to see listening sockets")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_SERVER_ADDRESS")}
    env.update(IMPACT_DB_URL=f"sqlite:///{tmp_path / 's.sqlite'}", STREAMLIT_SERVER_HEADLESS="true")
    log = open(tmp_path / "serve.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--server.port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, tmp_path / "serve.log")
        # 0100007F is 127.0.0.1 in /proc's byte order; 00000000 (0.0.0.0) or :: would be every interface.
        assert _listening_addresses(port) == {"0100007F"}
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture
def app(settings, monkeypatch, boundary_file):
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", str(boundary_file))
    return AppTest.from_file(APP, default_timeout=60)


def test_import_page_is_closed_by_default(app):
    at = app.run()
    at.switch_page("import_page.py").run()
    assert not at.exception
    assert "Imports are turned off on this server" in at.info[0].value
    assert not at.get("file_uploader") and not at.button  # no upload, no "Confirm import"


def test_import_page_opens_with_writes_allowed(app, monkeypatch):
    monkeypatch.setenv("IMPACT_ALLOW_WRITES", "1")
    at = app.run()
    at.switch_page("import_page.py").run()
    assert not at.info and at.get("file_uploader")


def test_an_unexpected_error_shows_a_message_not_a_traceback(app, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("record text 'inc-secret' at /srv/private/path")

    monkeypatch.setattr("dashboard.ui.shared.summarize", broken)
    with caplog.at_level(logging.ERROR, logger="dashboard.ui"):
        at = app.run()
    assert not at.exception
    assert UNEXPECTED_ERROR in at.error[0].value
    shown = " ".join(str(element.value) for element in [*at.error, *at.markdown, *at.caption, *at.text])
    assert "inc-secret" not in shown and "/srv/private" not in shown
    reference = at.error[0].value.split("(reference ")[1].split(")")[0]
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)
