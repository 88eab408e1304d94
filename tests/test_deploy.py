"""The deploy/ topology, run here: nginx on deploy/nginx.conf in front of two ``impact serve`` over one PostgreSQL.

The fast tests check that the shipped files agree with each other and with ``impact serve``
(upload limit, hardening settings, no secret in the example). The slow one starts the whole
thing as a non-root user on loopback ports: a fresh PostgreSQL database, two app processes,
nginx on the shipped config (only ports and paths rendered, tests/deployment.py). Two
browsers open the page through the proxy and land on different app processes, each staying
on its own (the sticky key); an ``impact import`` shows on both within 10 s, whole; and
deploy/restore-drill.sh restores a dump of that database and finds the same totals.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.cli import SERVE_DEFAULTS
from dashboard.config import PROJECT_ROOT
from dashboard.io.synth import write_synth
from tests.conftest import POSTGRES_URL, skip_or_fail
from tests.deployment import NGINX_CONF, SHIPPED_LISTEN, SHIPPED_UPSTREAMS, Nginx, nginx_binary, render_nginx_conf
from tests.servers import free_port, fresh_database, import_and_watch, serve, stop, wait_for_attacks
from tests.test_browser import chromium  # noqa: F401  (a fixture)

DEPLOY = PROJECT_ROOT / "deploy"
PORTS = (8700, 8799)  # this test's own range
SEED_ATTACKS = 5
ADDED = 20


def _env_example() -> dict[str, str]:
    lines = (DEPLOY / "impact.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_the_rendered_config_changes_only_ports_and_paths(tmp_path):
    shipped = NGINX_CONF.read_text()
    rendered = render_nginx_conf(shipped, 8750, (8751, 8752), tmp_path)
    assert len(rendered.splitlines()) == len(shipped.splitlines())
    changed = [(a, b) for a, b in zip(shipped.splitlines(), rendered.splitlines(), strict=True) if a != b]
    # The listen line, two upstream servers, pid, two logs and five temp paths: nothing else.
    assert len(changed) == 11, changed
    for _, new in changed:
        assert str(tmp_path) in new or "127.0.0.1:875" in new, new
    for directive in (
        "hash $route_key consistent;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_read_timeout 1d;",
    ):
        assert directive in rendered
    assert "listen 127.0.0.1:8750 default_server;" in rendered
    assert SHIPPED_LISTEN not in rendered and not any(line in rendered for line in SHIPPED_UPSTREAMS)


def test_the_renderer_refuses_a_config_it_does_not_recognise(tmp_path):
    with pytest.raises(ValueError, match="listen 80"):
        render_nginx_conf(NGINX_CONF.read_text().replace(SHIPPED_LISTEN, "listen 8080;"), 1, (2, 3), tmp_path)


def test_nginx_takes_a_body_just_over_streamlits_upload_limit_and_no_more():
    """A file at the page's limit must reach Streamlit (which says why it refuses a bigger one), not die at nginx."""
    limits = re.findall(r"^\s*#?\s*client_max_body_size (\d+)m;", NGINX_CONF.read_text(), flags=re.M)
    upload_mb = int(SERVE_DEFAULTS["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"])
    assert limits and all(upload_mb < int(limit) <= upload_mb + 1 for limit in limits), limits
    assert _env_example()["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"] == str(upload_mb)


def test_the_env_example_runs_with_every_hardening_setting_of_impact_serve_and_no_secret():
    example = _env_example()
    for name, value in SERVE_DEFAULTS.items():
        assert example.get(name) == value, name
    assert "CHANGE_ME" in example["IMPACT_DB_URL"]
    assert example["IMPACT_AUTH"] == "form"  # a deployment behind a proxy is reachable: sign-in on


def test_deploy_readme_explains_every_hardening_setting_and_the_upgrade_steps():
    text = (DEPLOY / "README.md").read_text()
    for name in SERVE_DEFAULTS:
        assert f"`{name}`" in text, name
    for step in ("impact db upgrade", "backup.sh", "restore-drill.sh", "impact users add", "systemctl"):
        assert step in text, step


def test_nginx_accepts_the_rendered_config(tmp_path):
    binary = nginx_binary()
    if binary is None:
        skip_or_fail("nginx not installed (apt-get install -y nginx-light; .ci/run does)")
    (tmp_path / "temp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx_conf(NGINX_CONF.read_text(), 8750, (8751, 8752), tmp_path))
    checked = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


def _upstream_of(nginx: Nginx, context) -> str | None:
    """The app process nginx sent this browser's requests to, from its access log and the sticky cookie."""
    route = next((c["value"] for c in context.cookies() if c["name"] == "impact_route"), None)
    upstreams = {line["upstream"] for line in nginx.access_log() if line["route"] == route}
    return upstreams.pop() if route and len(upstreams) == 1 else None


def _postgres_or_skip() -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # no server, or no driver
        skip_or_fail(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
    finally:
        engine.dispose()


def _upload_status(nginx: Nginx, length: int) -> int:
    """The status nginx answers an upload announcing ``length`` bytes with (no body sent)."""
    port = int(nginx.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        request = f"PUT /_stcore/upload_file/s/f HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n\r\n"
        sock.sendall(request.encode())
        return int(sock.recv(200).split()[1])


def _contexts_on_both_upstreams(chromium, nginx: Nginx, tries: int = 16) -> list:  # noqa: F811
    """Browsers (each its own context: its own cookies) until one is on each app process.

    Each new browser gets a random key, so two may share a process; 16 tries all on one
    process would happen once in 2**15 runs.
    """
    kept: dict[str, object] = {}
    for _ in range(tries):
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(nginx.url)
        upstream = _upstream_of(nginx, context)
        if upstream is not None and upstream not in kept:
            kept[upstream] = page
        else:
            context.close()
        if len(kept) == 2:
            return list(kept.values())
    pytest.fail(f"{tries} browsers through the proxy did not reach both app processes: {nginx.access_log()}")


@pytest.mark.slow
@pytest.mark.browser
def test_two_app_processes_behind_nginx_sticky_fresh_and_restorable(chromium, tmp_path, boundary_file):  # noqa: F811
    binary = nginx_binary()
    if binary is None:
        skip_or_fail("nginx not installed (apt-get install -y nginx-light; .ci/run does)")
    _postgres_or_skip()
    with fresh_database(POSTGRES_URL) as db_url:
        env = dict(os.environ) | {
            "IMPACT_DB_URL": db_url,
            "IMPACT_HOME": str(tmp_path / "home"),
            "IMPACT_BOUNDARY_FILE": str(boundary_file),
            "IMPACT_REFRESH_SECONDS": "2",
            "STREAMLIT_SERVER_HEADLESS": "true",
        }
        # As deploy/README.md says: the schema first, then the processes (the first open fills the seed).
        for command in (["db", "upgrade"], ["summary", "--json"]):
            done = subprocess.run(
                [sys.executable, "-m", "dashboard.cli", *command], env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
        app_ports = (free_port(*PORTS), 0)
        servers = [serve(env | {"IMPACT_CACHE_DIR": str(tmp_path / "cache1")}, tmp_path / "serve1.log", app_ports[0])]
        nginx = None
        try:
            app_ports = (app_ports[0], free_port(app_ports[0] + 1, PORTS[1]))
            servers.append(
                serve(env | {"IMPACT_CACHE_DIR": str(tmp_path / "cache2")}, tmp_path / "serve2.log", app_ports[1])
            )
            nginx = Nginx(binary, free_port(app_ports[1] + 1, PORTS[1]), app_ports, tmp_path / "nginx")
            nginx.wait_until_proxying()

            pages = _contexts_on_both_upstreams(chromium, nginx)
            cookie = next(c for c in pages[0].context.cookies() if c["name"] == "impact_route")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # plain HTTP here
            assert _upload_status(nginx, 110 * 2**20) == 413  # over the limit: refused by nginx before any byte
            for page in pages:
                wait_for_attacks(page, SEED_ATTACKS)
            drill_env = env | {"IMPACT_BIN": str(Path(sys.executable).parent / "impact")}
            before = tmp_path / "before-import.dump"
            backup = subprocess.run(
                ["bash", str(DEPLOY / "backup.sh"), str(before)], env=env, capture_output=True, text=True
            )
            assert backup.returncode == 0 and backup.stdout.strip() == str(before), backup.stderr
            seen, shown_after = import_and_watch(pages, env, write_synth(ADDED, 7, tmp_path / "more"))
            for index in (0, 1):
                assert seen[index] <= {SEED_ATTACKS, SEED_ATTACKS + ADDED}, f"page {index + 1} showed part of an import"
                assert shown_after[index] is not None and shown_after[index] <= 10, (index, shown_after, seen)

            routes = [next(c["value"] for c in page.context.cookies() if c["name"] == "impact_route") for page in pages]
            for page in pages:
                page.context.close()  # nginx logs a websocket when it closes
            log = nginx.access_log()
            deadline = time.monotonic() + 10  # a websocket's line comes when nginx sees it closed
            streams = {line["route"] for line in log if line["path"] == "/_stcore/stream"}
            while not set(routes) <= streams and time.monotonic() < deadline:
                time.sleep(0.2)
                log = nginx.access_log()
                streams = {line["route"] for line in log if line["path"] == "/_stcore/stream"}
            for route in routes:
                mine = [line for line in log if line["route"] == route]
                # Sticky: the page, its scripts, its websocket and the map's frame all on one process.
                assert len({line["upstream"] for line in mine}) == 1, mine
                assert any(line["path"] == "/_stcore/stream" and line["status"] == "101" for line in mine), mine
            assert not [line for line in log if line["status"].startswith("5")], "the proxy answered with a 5xx"

            # A dump from before the import no longer matches the store: the drill must say so.
            old = subprocess.run(
                ["bash", str(DEPLOY / "restore-drill.sh"), str(before)], env=drill_env, capture_output=True, text=True
            )
            assert old.returncode == 1 and "restore drill: FAILED" in old.stderr, old.stdout + old.stderr
            drill = subprocess.run(
                ["bash", str(DEPLOY / "restore-drill.sh")], env=drill_env, capture_output=True, text=True, timeout=300
            )
            assert drill.returncode == 0, drill.stdout + drill.stderr
            assert "restore drill: OK" in drill.stdout
        finally:
            if nginx is not None:
                nginx.stop()
            stop(servers)


@pytest.mark.slow
@pytest.mark.browser
def test_the_load_test_runs_tiny_with_no_error_and_no_stale_total(tmp_path):
    """bench/loadtest.py at 2 sessions, 20 s, 2,000 incidents: a batch lands while the sessions run."""
    if nginx_binary() is None:
        skip_or_fail("nginx not installed (apt-get install -y nginx-light; .ci/run does)")
    if not Path("/usr/bin/chromium").exists():
        skip_or_fail("/usr/bin/chromium not installed")
    _postgres_or_skip()
    from bench import loadtest

    out = tmp_path / "loadtest.json"
    argv = ["--incidents", "2000", "--sessions", "2", "--duration", "20", "--imports", "1", "--import-rows", "200"]
    assert loadtest.main([*argv, "--work", str(tmp_path / "work"), "--json", str(out), "--pg-url", POSTGRES_URL]) == 0
    results = json.loads(out.read_text())
    summary = json.dumps({key: value for key, value in results.items() if key not in ("machine", "plan")})
    assert results["errors"] == 0, summary
    assert results["stale"] == 0, summary
    assert results["changes"] > 0 and 0 < results["p50_s"] <= results["p95_s"], summary
    assert results["store_sizes"] == [2000, 2200], summary  # the import landed
    assert [c["incidents"] for c in results["corrections"]] == [5], summary  # and a correction round after it
    assert 2200 in results["versions_seen_by_pages"], summary  # and the pages followed it while the sessions ran
    assert len(results["upstreams_with_a_session"]) == 2, summary  # a session on each app process
