"""ACLED exports through the importer: a first version, then an edited one that updates, adds and deletes."""

from __future__ import annotations

from pathlib import Path

from dashboard.io.importer import import_file
from dashboard.io.open import open_store
from dashboard.store.sql import read_records

FILES = Path(__file__).parent / "files" / "acled"


def acled(engine) -> object:
    incidents = read_records(engine).incidents
    return incidents[incidents["source_id"] == "acled"].set_index("source_record_id")


def test_first_version_imports_with_the_fatalities_caveat(settings):
    engine = open_store(settings)
    report = import_file(FILES / "acled_v1.csv", engine, settings, "acled")
    assert report.rows_read == report.accepted + report.duplicates + report.rejected
    assert report.accepted >= 8 and report.rejected >= 1
    stored = acled(engine)
    assert len(stored) == report.accepted
    assert stored["notes"].str.contains("do not separate civilians").all()
    assert (stored["reported_by"].str.startswith("ACLED")).all()


def test_edited_version_updates_adds_and_reports_deletions(settings):
    engine = open_store(settings)
    first = import_file(FILES / "acled_v1.csv", engine, settings, "acled")
    before = acled(engine)
    second = import_file(FILES / "acled_v2.csv", engine, settings, "acled")
    after = acled(engine)
    assert second.updated == 1 and second.accepted == 1
    assert second.not_in_file == 1 and second.deleted == 0
    assert len(after) == first.accepted + 1  # the deleted event is kept without --sync
    changed = [i for i in before.index if i in after.index and before.at[i, "killed"] != after.at[i, "killed"]]
    assert len(changed) == 1
    again = import_file(FILES / "acled_v2.csv", engine, settings, "acled")
    assert (again.accepted, again.updated) == (0, 0)


def test_sync_deletes_events_the_new_version_dropped(settings):
    engine = open_store(settings)
    first = import_file(FILES / "acled_v1.csv", engine, settings, "acled")
    second = import_file(FILES / "acled_v2.csv", engine, settings, "acled", sync=True)
    assert second.deleted == 1
    assert len(acled(engine)) == first.accepted  # one dropped, one added
    # The history keeps what the sync removed and what the new version changed, with the old value.
    from dashboard.store.corrections import record_history

    _, removed = record_history(engine, "acled:UKR150003")  # no longer stored: its history is kept
    assert list(removed["action"]) == ["added", "removed by import"]
    _, changed = record_history(engine, "acled:UKR150001", "incidents")
    assert changed[changed["action"] == "imported"][["field", "old_value", "new_value"]].values.tolist() == [
        ["killed", "1", "2"]
    ]
