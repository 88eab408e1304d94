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
def home(tmp_path):
    """An IMPACT_HOME whose store was filled from the seed and read once (so a Parquet snapshot exists)."""
    result = impact(tmp_path, "summary", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["attacks"] == 5
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
