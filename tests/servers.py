"""App processes for the tests that start more than one: `impact serve` on a port, the attacks tile, a fresh database.

tests/test_freshness.py (two processes side by side) and tests/test_deploy.py (the same two
behind nginx) start them the same way and read the page the same way.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import wait_until_healthy


def free_port(low: int | None = None, high: int | None = None) -> int:
    """A free loopback port: in ``[low, high]`` when given (a helper's own range), else any."""
    candidates = range(low, high + 1) if low is not None and high is not None else [0]
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in {low}-{high}")


def serve(env: dict, log_path: Path, port: int | None = None):
    """Start ``impact serve`` on ``port`` (a free one if None); (process, log, url) once it answers its health check."""
    port = port or free_port()
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


def stop(servers) -> None:
    """Stop what :func:`serve` started."""
    for process, log, _ in servers:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


def attacks(page) -> int | None:
    """The attacks tile's figure, or None while the page is redrawing."""
    tiles = page.locator('[data-testid="stMetric"]').filter(has_text="Attacks")
    if tiles.count() == 0:
        return None
    text = tiles.first.locator('[data-testid="stMetricValue"]').inner_text().replace(",", "")
    return int(text) if text.isdigit() else None


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``server_url`` (an SQLAlchemy URL); dropped afterwards.

    A database of its own rather than a schema: ``pg_dump`` and the restore drill work on whole databases.
    """
    import sqlalchemy as sa

    name = f"impact_deploy_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_for_attacks(page, expected: int, seconds: float = 30) -> None:
    """Wait until the page's attacks tile shows ``expected`` (the first run after a load can take a while)."""
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    deadline = time.monotonic() + seconds
    while attacks(page) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert attacks(page) == expected


def import_and_watch(
    pages: list, env: dict, folder: Path, seconds: float = 15
) -> tuple[list[set[int]], list[float | None]]:
    """``impact import FOLDER`` by the command line, then poll every page's attacks tile.

    Returns
    -------
    tuple
        Per page, every figure its tile showed after the commit, and the seconds after the
        commit when it first showed ``target`` (None if not within ``seconds``); the target is
        the attacks before plus the incidents in ``folder``, read from each page before.
    """
    import pandas as pd

    added = len(pd.read_csv(folder / "incidents.csv"))
    targets = [attacks(page) + added for page in pages]
    imported = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "import", str(folder)], env=env, capture_output=True, text=True
    )
    assert imported.returncode == 0, imported.stderr
    committed = time.monotonic()
    seen: list[set[int]] = [set() for _ in pages]
    shown_after: list[float | None] = [None for _ in pages]
    while time.monotonic() - committed < seconds and None in shown_after:
        for index, page in enumerate(pages):
            value = attacks(page)
            if value is not None:
                seen[index].add(value)
            if value == targets[index] and shown_after[index] is None:
                shown_after[index] = time.monotonic() - committed
        pages[0].wait_for_timeout(250)
    return seen, shown_after
