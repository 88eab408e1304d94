"""Shared fixtures: the seed records, a fresh store per test, the shared boundary file, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard.config import BUNDLED_BOUNDARY_FILE, PROJECT_ROOT, Settings
from dashboard.records.load import load_records

SHARED = PROJECT_ROOT.parent / "shared"
BOUNDARY_FILE = BUNDLED_BOUNDARY_FILE
POSTGRES_URL = os.environ.get("IMPACT_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip locally; under CI=true a skip would hide a broken setup, so fail."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a skip counts as a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def records():
    report = load_records(PROJECT_ROOT / "data")
    assert report.failures.empty, report.failures
    return report.records


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings pointing at a fresh SQLite store under tmp_path and the bundled records."""
    return Settings.from_env(
        {
            "IMPACT_DB_URL": f"sqlite:///{tmp_path / 'impact.sqlite'}",
            "IMPACT_QUARANTINE_DIR": str(tmp_path / "rejected"),
        }
    )


@pytest.fixture
def boundary_file() -> Path:
    if not BOUNDARY_FILE.is_file():
        skip_or_fail(f"bundled boundary file {BOUNDARY_FILE} not found")
    return BOUNDARY_FILE


@pytest.fixture
def postgres_url():
    """A PostgreSQL URL whose search_path is a throwaway schema, dropped afterwards."""
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # no server here
        skip_or_fail(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
    schema = f"impact_test_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """The store URL for each backend the project supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'impact.sqlite'}"
    return request.getfixturevalue("postgres_url")
