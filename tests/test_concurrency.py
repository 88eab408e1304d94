"""One import at a time, whole versions for readers.

Two imports into one store wait for each other (a store-level lock) and both complete; an
import that waits longer than ``IMPACT_IMPORT_LOCK_TIMEOUT`` gives up with who holds the lock
and changes nothing; an import whose plan went stale while it waited plans again; and a
reader sees the store before or after an import, never between.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard.config import Settings
from dashboard.io.open import open_store
from dashboard.io.synth import write_synth
from dashboard.query.totals import summarize
from dashboard.store.sql import TABLES, create_engine, import_batches, read_records, source_documents

FOLDER_INCIDENTS = 20_000


def impact(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``impact`` in a fresh process with only this IMPACT_HOME (plus ``env``)."""
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        env=impact_env(home, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def impact_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("IMPACT_") or k.startswith("IMPACT_TEST_")}
    return base | {"IMPACT_HOME": str(home)} | (extra or {})


def row_counts(url: str) -> dict[str, int]:
    """Rows of every table the importer writes, batch log and documents included."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = [*TABLES.values(), import_batches, source_documents]
            return {t.name: connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables}
    finally:
        engine.dispose()


def whole_state(records) -> dict:
    """What a reader would show: the totals and the rows of each record table."""
    return {"totals": summarize(records), "rows": {t: len(records.table(t)) for t in TABLES}}


def state_of(url: str) -> dict:
    engine = create_engine(url)
    try:
        return whole_state(read_records(engine))
    finally:
        engine.dispose()


def sqlite_url(home: Path) -> str:
    return f"sqlite:///{home / 'impact.sqlite'}"


def seeded_home(path: Path, env: dict[str, str] | None = None) -> Path:
    """An IMPACT_HOME whose store holds the seed (filled by a first `impact summary`)."""
    path.mkdir(parents=True, exist_ok=True)
    result = impact(path, "summary", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Two synthetic record folders with different seeds (no record in common)."""
    root = tmp_path_factory.mktemp("synth")
    return {name: write_synth(FOLDER_INCIDENTS, seed, root / name) for name, seed in (("a", 11), ("b", 12))}


@pytest.fixture(scope="module")
def references(tmp_path_factory, folders) -> dict[str, dict]:
    """Whole-version states, each made by importing one after the other into its own store."""
    root = tmp_path_factory.mktemp("references")
    states = {}
    for name, steps in {"before": [], "a": ["a"], "b": ["b"], "a+b": ["a", "b"], "a+a": ["a", "a"]}.items():
        home = seeded_home(root / name.replace("+", "_"))
        for step in steps:
            result = impact(home, "import", str(folders[step]))
            assert result.returncode == 0, result.stderr
        states[name] = {"state": state_of(sqlite_url(home)), "rows": row_counts(sqlite_url(home))}
    return states


@pytest.mark.slow
@pytest.mark.parametrize("second", ["b", "a"], ids=["two different folders", "the same folder twice"])
def test_two_imports_started_together_both_complete(tmp_path, folders, references, second):
    """Both exit 0, no traceback, and the store holds what one import after the other gives."""
    home = seeded_home(tmp_path / "home")
    env = impact_env(home)
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "import", str(folders[name])],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", second)
    ]
    results = [(process.wait(timeout=300), *process.communicate()) for process in started]
    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    expected = references["a+b" if second == "b" else "a+a"]
    assert row_counts(sqlite_url(home)) == expected["rows"]  # batch log: 5 rows per folder import
    assert state_of(sqlite_url(home)) == expected["state"]


HOLDER = "tester@lab pid 4242: impact import elsewhere.csv"


def test_an_import_that_waits_too_long_names_the_holder_and_changes_nothing(tmp_path):
    """The lock is held here; `impact import` with a 0.5 s timeout gives up with the holder's name."""
    from dashboard.store.lock import locked_transaction

    folders = {"a": write_synth(300, 7, tmp_path / "folder")}
    home = tmp_path / "home"
    open_store(Settings.from_env({"IMPACT_HOME": str(home)})).dispose()  # the seed, without a process start
    url = sqlite_url(home)
    before = row_counts(url)
    engine = create_engine(url)
    with locked_transaction(engine, HOLDER, timeout=5):
        taken = datetime.now(UTC)
        started = time.monotonic()
        result = impact(home, "import", str(folders["a"]), env={"IMPACT_IMPORT_LOCK_TIMEOUT": "0.5"})
        waited = time.monotonic() - started
    engine.dispose()
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "another import is running since" in result.stderr and HOLDER in result.stderr
    since = re.search(r"since (\d\d:\d\d) \(UTC\)", result.stderr)
    minute_before = datetime.fromtimestamp(taken.timestamp() - 60, UTC)
    assert since and since.group(1) in {f"{taken:%H:%M}", f"{minute_before:%H:%M}"}  # when the lock was taken
    assert waited < 60
    assert row_counts(url) == before  # nothing written, not even a batch row
    # Once the lock is free the same import goes through.
    assert impact(home, "import", str(folders["a"])).returncode == 0


def test_the_lock_is_one_at_a_time_on_every_backend(store_url):
    """A second holder waits, then gives up with the first holder's name; after release it gets in."""
    from dashboard.store.lock import ImportLocked, locked_transaction

    first, second = create_engine(store_url), create_engine(store_url)
    open_store(Settings.from_env({"IMPACT_DB_URL": store_url}))
    try:
        with locked_transaction(first, HOLDER, timeout=5):
            started = time.monotonic()
            with pytest.raises(ImportLocked) as raised, locked_transaction(second, "second", timeout=0.5):
                pass
            assert 0.4 < time.monotonic() - started < 10
        message = str(raised.value)
        assert message.startswith("another import is running since ") and HOLDER in message
        assert message.endswith("; try again when it ends")
        assert raised.value.exit_code in (2, 3)
        with locked_transaction(second, "second", timeout=5) as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(import_batches)).scalar_one() == 5
    finally:
        first.dispose()
        second.dispose()


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({"IMPACT_DB_URL": url, "IMPACT_QUARANTINE_DIR": str(tmp_path / "rejected")})


def test_an_import_whose_plan_went_stale_plans_again_under_the_lock(store_url, tmp_path, monkeypatch):
    """Another process imports the same folder between our plan and our write: ours re-plans, no key clash."""
    import dashboard.io.importer as importer

    folder = tmp_path / "folder"
    write_synth(300, 5, folder)
    settings = _settings(store_url, tmp_path)
    engine = open_store(settings)
    real = importer._write
    raced = []

    def other_process_first(*args, **kwargs):
        if not raced:
            raced.append(True)
            other = create_engine(store_url)
            importer.import_path(folder, other, settings)
            other.dispose()
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "_write", other_process_first)
    reports = importer.import_path(folder, engine, settings)
    incidents = next(r for r in reports if r.file.endswith("incidents.csv"))
    assert (incidents.accepted, incidents.updated, incidents.unchanged) == (0, 0, 300)
    counts = row_counts(store_url)
    assert counts["incidents"] == 305 and counts["import_batches"] == 15


def test_a_reader_sees_one_whole_version_while_an_import_commits(store_url, tmp_path, monkeypatch):
    """An import commits after the reader read its first table: the reader's records, version and
    snapshot are all of the version before (or all of the one after), never sources of one and incidents
    of the other."""
    import dashboard.store.sql as sql
    from dashboard.io.importer import import_path
    from dashboard.store import snapshot

    folder = tmp_path / "folder"
    write_synth(300, 6, folder)
    settings = _settings(store_url, tmp_path)
    engine = open_store(settings)
    before = state_of(store_url)
    real = sql._read_typed
    committed = []

    def import_folder():
        other = create_engine(store_url)
        import_path(folder, other, settings)
        other.dispose()

    importer = threading.Thread(target=import_folder)

    def commit_after_first_table(connection, table, query):
        frame = real(connection, table, query)
        if not committed:
            committed.append(True)
            importer.start()
            # PostgreSQL commits now, under the reader's feet; SQLite's commit waits for the
            # reader's shared lock, so the reader goes on after a few seconds and the import
            # commits when the read ends.
            importer.join(timeout=60 if store_url.startswith("postgresql") else 5)
        return frame

    monkeypatch.setattr(sql, "_read_typed", commit_after_first_table)
    records = snapshot.load_records(engine, settings)
    monkeypatch.undo()
    importer.join(timeout=120)
    assert not importer.is_alive()
    after = state_of(store_url)
    assert committed and before != after
    seen = whole_state(records)
    assert seen in (before, after), {t: seen["rows"][t] for t in TABLES}
    # The snapshot on disk is labelled with the version its rows belong to.
    (folder_on_disk,) = [p for p in snapshot.snapshot_dir(settings, 0).parent.iterdir() if not p.name.startswith(".")]
    version = int(folder_on_disk.name[1:].split("-")[0])
    assert version == (5 if seen == before else 10)
    shutil.rmtree(folder_on_disk.parent)


@pytest.mark.slow
def test_a_reader_polling_during_two_imports_sees_only_whole_versions(tmp_path, folders, references):
    """Totals read over and over while two imports run are always one of the whole-version states."""
    from dashboard.store.sql import read_versioned

    home = seeded_home(tmp_path / "home")
    engine = create_engine(sqlite_url(home))
    whole = {name: references[name]["state"] for name in ("before", "a", "b", "a+b")}
    env = impact_env(home)
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "import", str(folders[name])],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    seen: dict[int, dict] = {}
    mixed = []
    done = threading.Event()

    def poll():
        while not done.is_set():
            version, records = read_versioned(engine)
            state = whole_state(records)
            # Neither a state no sequence of whole imports gives, nor two states under one version.
            if state not in whole.values() or seen.setdefault(version, state) != state:
                mixed.append((version, state["rows"]))
            time.sleep(0.05)

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        codes = [process.wait(timeout=300) for process in started]
    finally:
        done.set()
        reader.join()
    assert codes == [0, 0], [p.stderr.read() for p in started]
    assert not mixed, mixed
    version, records = read_versioned(engine)
    assert whole_state(records) == whole["a+b"]
    assert len(seen) >= 2  # the reader did read during the imports
    engine.dispose()


def test_the_page_keys_its_records_by_the_version_they_were_read_at(tmp_path, monkeypatch):
    """An import commits between the page's version check and its read: the page's version is the records'."""
    from dashboard.io.importer import import_path
    from dashboard.ui import shared

    url = sqlite_url(tmp_path)
    monkeypatch.setenv("IMPACT_HOME", str(tmp_path))
    monkeypatch.setenv("IMPACT_DB_URL", url)
    folder = write_synth(300, 8, tmp_path / "folder")
    real = shared.store_version

    def commit_after_the_check(engine):
        version = real(engine)
        other = create_engine(url)
        import_path(folder, other, Settings.from_env())
        other.dispose()
        return version

    shared.engine(url)  # the first fill
    monkeypatch.setattr(shared, "store_version", commit_after_the_check)
    _, version, records = shared.current()
    monkeypatch.undo()
    assert len(records.incidents) == 305  # the newest records...
    assert version == real(shared.engine(url)) == 10  # ...under their own version, not the one checked before
    assert shared.totals(url, version, shared.Filters()) == summarize(records)
