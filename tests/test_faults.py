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
