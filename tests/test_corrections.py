"""Corrections, retractions and the audit trail, on SQLite and PostgreSQL.

An analyst corrects a field or retracts a record; the totals, the map's records and the
exports change at once, every change is in the record's history with who, when, old and
new value and why, and re-importing the source never silently overwrites a correction.
"""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from dashboard import cli
from dashboard.config import PROJECT_ROOT, Settings
from dashboard.io.importer import import_file
from dashboard.io.open import open_store
from dashboard.query.exposure import records_for_role
from dashboard.query.totals import summarize
from dashboard.records.edits import BadEdit
from dashboard.store import corrections
from dashboard.store.sql import read_records, store_version
from tests.conftest import seeded_sqlite_url

SEED_INCIDENTS = PROJECT_ROOT / "data" / "incidents.csv"


@pytest.fixture
def seeded(store_url, tmp_path, monkeypatch, seeded_sqlite_template):
    """A store of the seed records on each backend, and the settings the CLI reads from the environment."""
    if store_url.startswith("sqlite"):  # the seeded template's copy; PostgreSQL is filled here
        store_url = seeded_sqlite_url(seeded_sqlite_template, tmp_path / "impact.sqlite")
    env = {"IMPACT_DB_URL": store_url, "IMPACT_HOME": str(tmp_path / "home")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(env)
    return open_store(settings), settings


def _count(value) -> int:
    return 0 if pd.isna(value) else int(value)


def _incident(records, incident_id: str) -> dict:
    rows = records.incidents[records.incidents["incident_id"] == incident_id]
    return rows.iloc[0].to_dict() if len(rows) else {}


def test_a_correction_changes_the_totals_and_is_in_the_history(seeded):
    engine, _ = seeded
    before = summarize(read_records(engine))
    version = store_version(engine)
    made = corrections.correct(
        engine, "incidents", "inc-001", {"injured": "9"}, "Regional administration, day 2", "ana"
    )
    assert made == [{"field": "injured", "old_value": "6", "new_value": "9"}]
    assert store_version(engine) > version  # every page reads the records again
    after = summarize(read_records(engine))
    assert after["injured"] == before["injured"] + 3
    table, history = corrections.record_history(engine, "inc-001")
    assert table == "incidents"
    assert list(history["action"]) == ["added", "corrected"]
    last = history.iloc[-1]
    assert (last["user_name"], last["field"], last["old_value"], last["new_value"]) == ("ana", "injured", "6", "9")
    assert last["reason"] == "Regional administration, day 2"
    assert history.iloc[0]["file"].endswith("incidents.csv")  # the import that added it


def test_setting_the_source_value_again_removes_the_correction(seeded):
    engine, _ = seeded
    corrections.correct(engine, "incidents", "inc-001", {"injured": "9"}, "typo in the report", "ana")
    corrections.correct(engine, "incidents", "inc-001", {"injured": "6"}, "the report was right", "bob")
    assert corrections.current_text(engine, "incidents", "inc-001")["injured"] == "6"
    assert _incident(read_records(engine), "inc-001")["injured"] == 6
    _, history = corrections.record_history(engine, "inc-001")
    assert list(history["user_name"])[-2:] == ["ana", "bob"]
    assert corrections.correct(engine, "incidents", "inc-001", {"injured": "6"}, "no-op", "bob") == []


def test_a_retracted_incident_leaves_totals_with_its_impacts_and_stays_listed(seeded):
    engine, _ = seeded
    records = read_records(engine)
    before = summarize(records)
    hit = records.impacts[records.impacts["incident_id"] == "inc-001"]
    assert len(hit), "the seed's Kryvyi Rih attack hit facilities"
    assert corrections.retract(engine, "incidents", "inc-001", "duplicate of a later report", "ana")
    assert not corrections.retract(engine, "incidents", "inc-001", "again", "ana")  # already: nothing written
    records = read_records(engine)
    after = summarize(records)
    assert after["attacks"] == before["attacks"] - 1
    assert after["injured"] == before["injured"] - 6
    assert not records.impacts["incident_id"].eq("inc-001").any()
    assert _incident(records, "inc-001") == {}
    listed = records.retracted.to_dict("records")
    assert [(r["table_name"], r["record_id"], r["user_name"]) for r in listed] == [("incidents", "inc-001", "ana")]
    # Viewers get the totals without it and no list of what analysts retracted.
    assert records_for_role(records, "viewer").retracted.empty
    assert corrections.restore(engine, "incidents", "inc-001", "not a duplicate after all", "bob")
    assert summarize(read_records(engine)) == before
    _, history = corrections.record_history(engine, "inc-001")
    assert list(history["action"]) == ["added", "retracted", "restored"]


def _seed_copy(tmp_path, **changes: dict[str, str]) -> object:
    """data/incidents.csv with some cells changed: {incident_id: {field: value}}."""
    rows = list(csv.DictReader(SEED_INCIDENTS.open(encoding="utf-8", newline="")))
    for row in rows:
        row.update(changes.get(row["incident_id"].replace("-", "_"), {}))
    path = tmp_path / "incidents.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_re_import_never_overwrites_a_correction_and_reports_the_conflict(seeded, tmp_path):
    engine, settings = seeded
    corrections.correct(engine, "incidents", "inc-001", {"injured": "9"}, "hospital figures", "ana")
    same = import_file(_seed_copy(tmp_path), engine, settings, root=PROJECT_ROOT, user="cli-test")
    assert (same.accepted, same.updated, same.conflicts) == (0, 0, [])
    assert _incident(read_records(engine), "inc-001")["injured"] == 9

    newer = _seed_copy(tmp_path, inc_001={"injured": "8"}, inc_004={"injured": "3"})
    report = import_file(newer, engine, settings, root=PROJECT_ROOT, user="cli-test")
    assert report.updated == 2
    assert [(c["record_id"], c["field"], c["imported_before"], c["imported_now"], c["corrected_to"]) for c in report.conflicts] == [
        ("inc-001", "injured", "6", "8", "9")
    ]  # fmt: skip
    assert "conflicts" in report.summary() and "kept '9'" in report.summary()
    records = read_records(engine)
    assert _incident(records, "inc-001")["injured"] == 9  # the correction stands
    assert _incident(records, "inc-004")["injured"] == 3  # an uncorrected field takes the source's new value
    _, history = corrections.record_history(engine, "inc-001")
    imported = history[history["action"] == "imported"].iloc[-1]
    assert (imported["user_name"], imported["old_value"], imported["new_value"]) == ("cli-test", "6", "8")


@pytest.mark.parametrize(
    ("table", "record", "changes", "reason", "message"),
    [
        ("incidents", "inc-001", {"injured": "many"}, "r", "injured: 'many' breaks the rule"),
        ("incidents", "inc-001", {"colour": "red"}, "r", "incidents has no field 'colour'"),
        ("incidents", "inc-001", {"incident_id": "inc-9"}, "r", "is the record's id"),
        ("incidents", "inc-001", {"injured": "1"}, "  ", "give a reason"),
        ("impacts", None, {"incident_id": "inc-404"}, "r", "'inc-404' is not the id of a stored record in incidents"),
        ("incidents", "inc-001", {"geo_precision": "9"}, "r", "geo_precision: '9' breaks the rule"),
    ],
)
def test_a_bad_correction_is_refused_with_its_rule_and_writes_nothing(seeded, table, record, changes, reason, message):
    engine, _ = seeded
    record = record or read_records(engine).impacts["impact_id"].iloc[0]
    version = store_version(engine)
    with pytest.raises(BadEdit, match=message):
        corrections.correct(engine, table, record, changes, reason, "ana")
    assert store_version(engine) == version


def test_the_command_line_corrects_retracts_and_prints_the_history(seeded, capsys):
    records = read_records(seeded[0])
    before, retracted = summarize(records), _incident(records, "inc-002")
    assert cli.main(["correct", "inc-001", "injured=7", "killed=", "--reason", "OCHA flash update 3"]) == 0
    out = capsys.readouterr().out
    assert "injured: '6' -> '7'" in out
    assert cli.main(["retract", "inc-002", "--reason", "same event as inc-003", "--user", "ana"]) == 0
    assert capsys.readouterr().out.strip() == "incidents inc-002: retracted"
    assert cli.main(["summary", "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)
    # One more injured at inc-001; inc-002 and its casualties left the totals.
    assert (totals["attacks"], totals["injured"], totals["killed"]) == (
        before["attacks"] - 1,
        before["injured"] + 1 - _count(retracted["injured"]),
        before["killed"] - _count(retracted["killed"]),  # inc-001's killed was blank and stays blank
    )
    assert cli.main(["history", "inc-002", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [c["action"] for c in history["changes"]] == ["added", "retracted"]
    assert history["changes"][-1]["user_name"] == "ana"
    assert cli.main(["history", "inc-001"]) == 0
    text = capsys.readouterr().out
    assert "corrected injured: '6' -> '7'  (OCHA flash update 3)" in text
    # Refusals: one line, exit 2, nothing written.
    assert cli.main(["correct", "inc-404", "killed=1", "--reason", "r"]) == 2
    assert "no record in any table has the id 'inc-404'" in capsys.readouterr().err
    assert cli.main(["correct", "inc-001", "killed", "--reason", "r"]) == 2
    assert "'killed' is not FIELD=VALUE" in capsys.readouterr().err
    assert cli.main(["retract", "src-000", "--reason", "r"]) == 2
    assert "sources records are corrected, not retracted" in capsys.readouterr().err


def test_an_export_can_say_when_each_record_last_changed(seeded, capsys, tmp_path):
    engine, _ = seeded
    corrections.correct(engine, "incidents", "inc-003", {"injured": "2"}, "hospital list", "ana")
    _, history = corrections.record_history(engine, "inc-003")
    corrected_at = history["changed_at"].iloc[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert cli.main(["export", "--last-changed"]) == 0
    rows = {row["incident_id"]: row for row in csv.DictReader(capsys.readouterr().out.splitlines())}
    assert rows["inc-003"]["last_changed"] == corrected_at and rows["inc-003"]["injured"] == "2"
    assert all(row["last_changed"] <= corrected_at for row in rows.values())
    assert cli.main(["export", "--last-changed", "--out", str(tmp_path / "x.csv")]) == 0
    meta = json.loads((tmp_path / "x.csv.meta.json").read_text())
    assert meta["columns"][-1]["name"] == "last_changed"
    assert cli.main(["export"]) == 0
    assert "last_changed" not in capsys.readouterr().out.splitlines()[0]  # only when asked
