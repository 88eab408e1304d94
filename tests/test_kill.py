"""Kill-safe folder imports: SIGKILL an `impact import` of 200,000 synthetic incidents at random points.

After each kill the store opens and holds exactly the state before the import or exactly the
state after it (every table's rows, the batch log included, and the page's totals); a re-run
then completes and reaches the state of a store that was never interrupted: no row is lost.

K = 5 kill points by default; the long mode is ``IMPACT_KILL_POINTS=20 pytest -m slow tests/test_kill.py``.
The kill delays come from ``random.Random(IMPACT_KILL_SEED, default 0)``, spread over the
measured duration of one uninterrupted import.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard.io.synth import write_synth
from dashboard.store.health import quick_check
from dashboard.store.sql import TABLES, create_engine
from tests.conftest import POSTGRES_URL, skip_or_fail
from tests.test_concurrency import impact, impact_env, row_counts, seeded_home, sqlite_url, state_of

INCIDENTS = int(os.environ.get("IMPACT_KILL_INCIDENTS", "200000"))
POINTS = int(os.environ.get("IMPACT_KILL_POINTS", "5"))
SEED = int(os.environ.get("IMPACT_KILL_SEED", "0"))


@pytest.fixture(scope="session")
def big_folder(tmp_path_factory) -> Path:
    """200,000 synthetic incidents (with their assets, impacts, salvos and source), written once."""
    return write_synth(INCIDENTS, 3, tmp_path_factory.mktemp("kill") / "big")


class SQLiteStores:
    """Fresh seeded SQLite stores: the seed filled once, then copied for every kill point."""

    def __init__(self, root: Path):
        self.root = root
        self.template = seeded_home(root / "template")

    def fresh(self, name: str) -> tuple[Path, dict[str, str], str]:
        home = self.root / name
        home.mkdir()
        for part in self.template.glob("impact.sqlite*"):  # the file and any WAL beside it
            shutil.copy(part, home / part.name)
        return home, {}, sqlite_url(home)

    def close(self) -> None:
        pass


class PostgresStores:
    """Fresh seeded PostgreSQL stores, one schema each, dropped at the end."""

    def __init__(self, root: Path):
        self.root = root
        self.admin = sa.create_engine(POSTGRES_URL)
        try:
            with self.admin.connect():
                pass
        except Exception as exc:  # no server here
            skip_or_fail(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
        self.schemas: list[str] = []

    def fresh(self, name: str) -> tuple[Path, dict[str, str], str]:
        schema = f"impact_kill_{uuid.uuid4().hex[:10]}"
        with self.admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        env = {"IMPACT_DB_URL": url}
        return seeded_home(self.root / name, env), env, url

    def close(self) -> None:
        with self.admin.begin() as connection:
            for schema in self.schemas:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        self.admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path):
    made = (SQLiteStores if request.param == "sqlite" else PostgresStores)(tmp_path)
    yield made
    made.close()


def _sound(url: str) -> None:
    """The store opens; an SQLite file passes its integrity check."""
    engine = create_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            assert quick_check(engine) == []
        with engine.connect() as connection:
            connection.execute(sa.select(sa.func.count()).select_from(TABLES["incidents"])).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_killed_folder_import_leaves_before_or_after_and_a_rerun_completes(stores, big_folder):
    before_home, env, before_url = stores.fresh("before")
    before = {"rows": row_counts(before_url), "state": state_of(before_url)}
    reference_home, env, reference_url = stores.fresh("reference")
    started = time.monotonic()
    result = impact(reference_home, "import", str(big_folder), env=env)
    duration = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    after = {"rows": row_counts(reference_url), "state": state_of(reference_url)}
    assert after["rows"]["incidents"] == before["rows"]["incidents"] + INCIDENTS
    rng = random.Random(SEED)
    delays = sorted(rng.uniform(0.2, duration) for _ in range(POINTS))
    outcomes = []
    for point, delay in enumerate(delays):
        home, env, url = stores.fresh(f"point{point}")
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "import", str(big_folder)],
            env=impact_env(home, env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        killed = process.poll() is None
        process.kill()
        process.wait(timeout=60)
        _sound(url)
        rows = row_counts(url)
        assert rows in (before["rows"], after["rows"]), f"kill at {delay:.2f} s left {rows}"
        assert state_of(url) == (before if rows == before["rows"] else after)["state"]
        outcomes.append((round(delay, 2), killed, "before" if rows == before["rows"] else "after"))
        rerun = impact(home, "import", str(big_folder), env=env)
        assert rerun.returncode == 0, rerun.stderr
        rows = row_counts(url)
        lost = {t: after["rows"][t] - rows[t] for t in [*TABLES, "source_documents"] if rows[t] != after["rows"][t]}
        assert lost == {}, f"kill at {delay:.2f} s, then a re-run: rows lost or gained {lost}"
        assert state_of(url) == after["state"]
        shutil.rmtree(home, ignore_errors=True)
    print(f"import of {INCIDENTS:,} incidents took {duration:.1f} s; kill points (s, killed, state): {outcomes}")
