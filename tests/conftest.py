"""Shared fixtures: the seed records, a fresh store per test, the shared boundary file, PostgreSQL.

A test run never writes into the repository: ``pytest_configure`` points ``IMPACT_HOME``
(store, cache, quarantine) and the browser test's artifacts at a temporary folder before
any test module is imported, and ``pytest_sessionfinish`` fails the run when it left new
files in the checkout (compared with ``git status`` at the start).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir

from dashboard.config import BUNDLED_BOUNDARY_FILE, PROJECT_ROOT, SEED_DATA_DIR, Settings
from dashboard.records.load import load_records

# Hypothesis would keep its example database in .hypothesis/ of the working directory.
hypothesis_settings.register_profile("impact", database=None)
hypothesis_settings.load_profile("impact")

SHARED = PROJECT_ROOT.parent / "shared"
BOUNDARY_FILE = BUNDLED_BOUNDARY_FILE
POSTGRES_URL = os.environ.get("IMPACT_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def wait_until_healthy(url: str, process, log_file: Path, seconds: float = 60) -> None:
    """Wait for a started dashboard's health endpoint; kill it and fail with its log if it never answers."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                return
        except OSError:
            time.sleep(0.3)
    process.kill()
    pytest.fail(f"dashboard did not start: {log_file.read_text()}")


def skip_or_fail(reason: str) -> None:
    """Skip locally; under CI=true a skip would hide a broken setup, so fail."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a skip counts as a failure)")
    pytest.skip(reason)


# Paths a test run may create in the checkout: byte-code, caches of the tools themselves.
# dashboard/ui/static/vendor/ is the page's own copy of Leaflet, made when a checkout's page starts
# (a wheel ships it); it is ignored by git like byte-code.
_ALLOWED_LEFTOVERS = (
    "__pycache__/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".venv",
    ".egg-info/",
    "dashboard/ui/static/vendor/",
)


def _checkout_files() -> set[str] | None:
    """Untracked and ignored paths of the checkout per ``git status``, or None without git or a repository."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        result = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=all", "--ignored=matching"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:  # not a git checkout (e.g. an unpacked sdist)
        return None
    lines = {line[3:] for line in result.stdout.splitlines() if line.startswith(("??", "!!"))}
    return {line for line in lines if not any(part in line for part in _ALLOWED_LEFTOVERS)}


def pytest_configure(config: pytest.Config) -> None:
    """Send everything a test writes to a temporary IMPACT_HOME; forget the developer's own settings."""
    home = Path(tempfile.mkdtemp(prefix="impact-test-home-"))
    config._impact_home = home  # removed in pytest_unconfigure
    for name in [n for n in os.environ if n.startswith("IMPACT_") and not n.startswith("IMPACT_TEST_")]:
        del os.environ[name]
    os.environ["IMPACT_HOME"] = str(home)
    # Hypothesis keeps caches (constants, unicode data) under .hypothesis/ of the working directory.
    set_hypothesis_home_dir(str(home / "hypothesis"))
    os.environ.setdefault("IMPACT_TEST_ARTIFACTS", str(home / "test-artifacts"))
    config._impact_checkout_before = _checkout_files()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if it left new files in the repository (only when git can tell)."""
    before = getattr(session.config, "_impact_checkout_before", None)
    after = _checkout_files()
    if before is None or after is None:
        return
    new = sorted(after - before)
    if new:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "the test run wrote into the repository: " + ", ".join(new)
        if reporter is not None:
            reporter.write_line(f"ERROR: {message}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    home = getattr(config, "_impact_home", None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def records():
    report = load_records(SEED_DATA_DIR)
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


@pytest.fixture(scope="session")
def seeded_sqlite_template(tmp_path_factory) -> Path:
    """A SQLite store filled from the seed by the first fill (the importer), once per test run.

    Tests that need a seeded SQLite store copy this file (:func:`seeded_sqlite_url`) instead of
    importing the seed again: the same bytes, a fraction of the time. PostgreSQL stores are
    still filled per test.
    """
    from dashboard.io.open import open_store

    folder = tmp_path_factory.mktemp("seed-template")
    settings = Settings.from_env(
        {
            "IMPACT_DB_URL": f"sqlite:///{folder / 'store.sqlite'}",
            "IMPACT_QUARANTINE_DIR": str(folder / "imports"),
            "IMPACT_BOUNDARY_FILE": str(BOUNDARY_FILE),
            "IMPACT_HOME": str(folder / "home"),
        }
    )
    open_store(settings).dispose()  # the rollback journal is gone once closed: the file is the store
    return folder / "store.sqlite"


def seeded_sqlite_url(template: Path, path: Path) -> str:
    """A new SQLite store at ``path``, a copy of the seeded template; its URL."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def store(tmp_path, boundary_file, seeded_sqlite_template):
    """A fresh SQLite store filled with the seed, with the bundled boundaries: (engine, settings) for imports."""
    from dashboard.io.open import open_store

    settings = Settings.from_env(
        {
            "IMPACT_DB_URL": seeded_sqlite_url(seeded_sqlite_template, tmp_path / "store.sqlite"),
            "IMPACT_QUARANTINE_DIR": str(tmp_path / "imports"),
            "IMPACT_BOUNDARY_FILE": str(boundary_file),
        }
    )
    return open_store(settings), settings
