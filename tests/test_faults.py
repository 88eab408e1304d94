"""Faults give one message and an exit code, never a traceback or an old answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def impact(home, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPACT_")} | {"IMPACT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def home(tmp_path, monkeypatch, capsys):
    """An IMPACT_HOME whose store was filled from the seed and read once (so a Parquet snapshot exists).

    Filled by the command in this process (a second interpreter would cost a second of imports
    per test); each test then runs ``impact`` as its own process on it.
    """
    from dashboard import cli

    monkeypatch.setenv("IMPACT_HOME", str(tmp_path))
    assert cli.main(["summary", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["attacks"] == 5
    assert (tmp_path / "impact.sqlite").is_file()
    return tmp_path


def test_a_truncated_store_gives_a_message_and_exit_3(home):
    store = home / "impact.sqlite"
    store.write_bytes(store.read_bytes()[: store.stat().st_size // 3])
    result = impact(home, "summary", "--json")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr and "damaged" in result.stderr
    assert result.stdout == ""


def test_garbage_in_the_store_is_not_hidden_by_the_snapshot(home):
    store = home / "impact.sqlite"
    data = bytearray(store.read_bytes())
    middle = len(data) // 2 // 4096 * 4096
    data[middle : middle + 4096] = os.urandom(4096)
    store.write_bytes(bytes(data))
    result = impact(home, "summary", "--json")
    # Before: exit 0 with the snapshot's old totals, no warning.
    assert result.returncode == 3, result.stdout
    assert "Traceback" not in result.stderr and "damaged" in result.stderr


def test_a_file_name_too_long_is_bad_input(home):
    result = impact(home, "import", "x" * 300 + ".csv")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "too long" in result.stderr


# --- Bad input: an empty file, a header without rows, a file not in the declared format ---

PROJECT = __import__("pathlib").Path(__file__).resolve().parent.parent


def batch_count(home) -> int:
    import sqlite3

    with sqlite3.connect(home / "impact.sqlite") as connection:
        return connection.execute("SELECT count(*) FROM import_batches").fetchone()[0]


def refused(result: subprocess.CompletedProcess) -> str:
    """The one message of a refused import (exit 2), after checking nothing else was printed."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("content", [b"", b"\n\n", b"  \n"])
def test_an_empty_file_is_bad_input(home, tmp_path, content):
    empty = tmp_path / "EMPTY.csv"
    empty.write_bytes(content)
    before = batch_count(home)
    message = refused(impact(home, "import", str(empty)))
    # Before: exit 0, "rejected 0", and a batch row for nothing.
    assert "EMPTY.csv is empty: no header row" in message
    assert batch_count(home) == before


def test_a_header_without_rows_is_bad_input(home, tmp_path):
    header_only = tmp_path / "incidents.csv"
    header_only.write_text((PROJECT / "data" / "incidents.csv").read_text().splitlines()[0] + "\n")
    before = batch_count(home)
    message = refused(impact(home, "import", str(header_only)))
    assert "incidents.csv" in message and "no rows" in message
    assert batch_count(home) == before


def test_canonical_records_declared_as_acled_say_what_they_look_like(home):
    before = batch_count(home)
    message = refused(impact(home, "import", str(PROJECT / "data" / "incidents.csv"), "--format", "acled"))
    # Before: exit 0 and "rejected 0" with a line per missing column.
    assert "incidents.csv does not look like acled: missing columns " in message
    assert "event_id_cnty" in message and "fatalities" in message
    assert "it looks like canonical (try --format canonical)" in message
    assert batch_count(home) == before


def test_an_acled_export_declared_as_canonical_says_try_acled(home):
    message = refused(impact(home, "import", str(PROJECT / "tests" / "files" / "acled" / "acled_v1.csv")))
    assert "acled_v1.csv does not look like canonical" in message
    assert "(try --format acled)" in message


def test_a_header_of_no_known_format_says_so(home, tmp_path):
    mystery = tmp_path / "mystery.csv"
    mystery.write_text("foo,bar\n1,2\n")
    message = refused(impact(home, "import", str(mystery)))
    assert "mystery.csv does not look like canonical" in message
    assert "incident_id" in message and "--format mapped" in message


def test_canonical_incidents_missing_columns_name_them(home, tmp_path):
    partial = tmp_path / "incidents.csv"
    partial.write_text("incident_id,event_date\nx-1,2024-03-14\n")
    # Before: a KeyError traceback.
    message = refused(impact(home, "import", str(partial)))
    assert "incidents.csv does not look like canonical: missing columns " in message
    assert "oblast" in message and "quote" in message


# --- A full disk, a read-only store: exit 3, one message, the store as it was ---


@pytest.fixture
def small_disk(home, tmp_path):
    """A tmpfs folder holding a copy of the filled store, with almost no room left; unmounted afterwards."""
    import shutil

    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "small"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], check=True)
    try:
        shutil.copy(home / "impact.sqlite", folder / "impact.sqlite")
        free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
        (folder / "filler").write_bytes(b"\0" * max(free - 8192, 0))
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def store_env(home, folder) -> dict[str, str]:
    return {"IMPACT_DB_URL": f"sqlite:///{folder / 'impact.sqlite'}", "IMPACT_QUARANTINE_DIR": str(home / "q")}


def impact_with(env: dict[str, str], home, *args: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("IMPACT_")} | {"IMPACT_HOME": str(home)} | env
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args], env=full, capture_output=True, text=True, timeout=180
    )


@pytest.fixture
def many_incidents(tmp_path):
    """Synthetic record files big enough not to fit in the space left."""
    out = tmp_path / "synthetic"
    result = impact(tmp_path / "synth-home", "synth", "--incidents", "300", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def assert_one_store_message(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 3, (result.returncode, result.stdout, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    # Nothing from the records: no SQL, no parameters, no synthetic place or quote text.
    assert "INSERT" not in lines[0] and "[parameters" not in lines[0]
    return lines[0]


def test_a_full_disk_gives_one_message_and_leaves_the_store(home, small_disk, many_incidents):
    env = store_env(home, small_disk)
    before = impact_with(env, home, "summary", "--json")
    assert before.returncode == 0, before.stderr
    result = impact_with(env, home, "import", str(many_incidents))
    message = assert_one_store_message(result, "disk full while writing")
    assert str(small_disk) in message
    after = impact_with(env, home, "summary", "--json")
    assert after.returncode == 0 and json.loads(after.stdout) == json.loads(before.stdout)


def test_a_read_only_store_gives_one_message_and_leaves_the_store(home, small_disk, tmp_path):
    (small_disk / "filler").unlink()
    env = store_env(home, small_disk)
    before = impact_with(env, home, "summary", "--json")
    assert before.returncode == 0, before.stderr
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    extra = tmp_path / "incidents.csv"
    lines = (PROJECT / "data" / "incidents.csv").read_text().splitlines()
    # One changed record: the import has something to write.
    extra.write_text("\n".join([lines[0], lines[1].replace(",2024-", ",2023-", 1)]) + "\n")
    result = impact_with(env, home, "import", str(extra))
    message = assert_one_store_message(result, "is read-only")
    assert f"store {small_disk / 'impact.sqlite'} is read-only" in message
    after = impact_with(env, home, "summary", "--json")
    assert after.returncode == 0 and json.loads(after.stdout) == json.loads(before.stdout)


# --- PostgreSQL: a connection the server dropped is replaced, the page carries on ---

APP = str(PROJECT / "dashboard" / "ui" / "app.py")


def terminate_backends(url: str, application_name: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        killed = connection.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND application_name = :name"
            ),
            {"name": application_name},
        ).scalar_one()
    engine.dispose()
    return int(killed)


def named_url(postgres_url: str) -> tuple[str, str]:
    import uuid

    name = f"impact-test-{uuid.uuid4().hex[:8]}"
    return f"{postgres_url}&application_name={name}", name


def test_the_store_reconnects_after_its_connections_are_killed(postgres_url, tmp_path):
    from dashboard.config import Settings
    from dashboard.io.open import open_store
    from dashboard.query.totals import Filters, summarize
    from dashboard.store.sql import read_records, store_version

    url, name = named_url(postgres_url)
    settings = Settings.from_env({"IMPACT_DB_URL": url, "IMPACT_HOME": str(tmp_path)})
    engine = open_store(settings)
    first = summarize(read_records(engine), Filters())
    version = store_version(engine)
    assert terminate_backends(postgres_url, name) >= 1  # the pooled connection was there, and is gone
    assert store_version(engine) == version
    assert summarize(read_records(engine), Filters()) == first
    engine.dispose()


def test_the_page_reconnects_after_its_connections_are_killed(postgres_url, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from dashboard.ui.shared import UNEXPECTED_ERROR

    url, name = named_url(postgres_url)
    monkeypatch.setenv("IMPACT_DB_URL", url)
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", "")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    tiles = {metric.label: metric.value for metric in at.metric}
    assert terminate_backends(postgres_url, name) >= 1
    at.run()
    assert not [e.value for e in at.error if UNEXPECTED_ERROR in e.value]
    assert not at.exception
    assert {metric.label: metric.value for metric in at.metric} == tiles


def test_readme_lists_every_exit_code():
    from dashboard.store.health import EXIT_CODES

    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert "## Exit codes" in text
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in section, code


def test_an_unusable_setting_is_one_message_and_exit_2(home):
    """IMPACT_UPLOAD_QUOTA_MB=lots ended in a ValueError traceback."""
    env = {"IMPACT_UPLOAD_QUOTA_MB": "lots"}
    result = impact_with(env, home, "summary")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "IMPACT_UPLOAD_QUOTA_MB: 'lots' is not a number of megabytes" in result.stderr
