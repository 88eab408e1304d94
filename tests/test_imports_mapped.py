"""The mapped format on a 20-row sample kept in the repository (tests/files/mapped/).

The same behaviour is checked on the full real file in test_imports.py when ``../shared``
is there; these run everywhere.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from dashboard import cli
from dashboard.config import MAPPINGS_DIR
from dashboard.io.importer import import_file
from dashboard.store.sql import read_records

SAMPLE = Path(__file__).parent / "files" / "mapped" / "cir_monitor_sample.csv"
MAPPING = MAPPINGS_DIR / "cir_russia_ukraine_monitor.toml"
SEED_INCIDENTS = 5


def sample_rows(*lines: int) -> list[list[str]]:
    """Header plus the sample's rows at these file lines (2 = first data row)."""
    rows = list(csv.reader(SAMPLE.open(encoding="utf-8", newline="")))
    return [rows[0]] + [list(rows[n - 1]) for n in lines]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def cir_incidents(engine) -> pd.DataFrame:
    return read_records(engine).incidents.query("source_id == 'cir-rum'")


def test_every_sample_row_is_accepted_rejected_or_a_duplicate(store):
    engine, settings = store
    report = import_file(SAMPLE, engine, settings, "mapped", MAPPING)
    assert (report.rows_read, report.accepted, report.duplicates, report.rejected) == (20, 15, 1, 4)
    reasons = {(r["line"], r["rule"]) for r in report.rejections}
    assert (2, "outside the dashboard's coverage (Ukraine)") in reasons
    assert {line for line, rule in reasons if rule.startswith("out of scope")} == {4, 11, 21}
    assert any(r["line"] == 21 and r["column"].startswith("event_date") for r in report.rejections)
    stored = cir_incidents(engine)
    assert len(stored) == 15 and stored["incident_id"].is_unique
    assert set(stored["oblast"]) >= {"Donetsk Oblast", "Luhansk Oblast", "Kyiv Oblast", "Kharkiv Oblast"}
    # Re-importing the same file changes nothing.
    again = import_file(SAMPLE, engine, settings, "mapped", MAPPING)
    assert (again.accepted, again.updated, again.unchanged) == (0, 0, 15)
    assert len(read_records(engine).incidents) == SEED_INCIDENTS + 15


def test_rejected_rows_go_to_quarantine_in_their_own_columns_and_reimport_once_fixed(
    store, tmp_path, capsys, monkeypatch
):
    engine, settings = store
    rows = sample_rows(9, 16)
    rows[2][1] = "2022-13-45"  # an impossible date
    path = write_csv(tmp_path / "small.csv", rows)
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", settings.boundary_file)
    code = cli.main(["import", str(path), "--format", "mapped", "--mapping", str(MAPPING), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and (report["accepted"], report["rejected"]) == (1, 1)
    rejection = next(r for r in report["rejections"] if r["line"] == 3)
    assert (rejection["column"], rejection["value"]) == ("date", "2022-13-45")  # the input's own column
    quarantine = pd.read_csv(report["quarantine_file"], dtype=str, keep_default_na=False)
    assert list(quarantine.columns) == rows[0] + ["source_line", "reason"]
    quarantine.loc[0, "date"] = "2022-03-30"
    fixed = tmp_path / "fixed.csv"
    quarantine.to_csv(fixed, index=False)
    second = import_file(fixed, engine, settings, "mapped", MAPPING)
    assert (second.accepted, second.rejected) == (1, 0)
    assert len(cir_incidents(engine)) == 2


def test_a_reused_id_for_different_events_keeps_both(store, tmp_path):
    engine, settings = store
    rows = sample_rows(9, 16)
    rows[1][0] = rows[2][0] = "UW-same"  # two different events filed under one id
    report = import_file(write_csv(tmp_path / "same.csv", rows), engine, settings, "mapped", MAPPING)
    assert (report.accepted, report.duplicates, report.rejected) == (2, 0, 0)
    mine = cir_incidents(engine)
    assert len(mine) == 2 and all(i.startswith("cir-rum:UW-same:") for i in mine["incident_id"])


def test_a_corrected_row_updates_its_record(store, tmp_path):
    engine, settings = store
    rows = sample_rows(9, 10, 16)
    import_file(write_csv(tmp_path / "v1.csv", rows), engine, settings, "mapped", MAPPING)
    rows[3][4] = "Damaged residential buildings in Mariupol (corrected description)"
    second = import_file(write_csv(tmp_path / "v2.csv", rows), engine, settings, "mapped", MAPPING)
    assert (second.accepted, second.updated, second.unchanged) == (0, 1, 2)
    assert (cir_incidents(engine)["description"].str.contains("corrected description")).sum() == 1


def test_a_blank_province_is_filled_from_the_coordinates(store, tmp_path):
    engine, settings = store
    rows = sample_rows(9)
    rows[1][8] = ""  # Severodonetsk's coordinates are in Luhansk Oblast
    import_file(write_csv(tmp_path / "p.csv", rows), engine, settings, "mapped", MAPPING)
    row = cir_incidents(engine).iloc[0]
    assert (row["oblast"], row["oblast_iso"]) == ("Luhansk Oblast", "UA-09")


def test_dry_run_reports_but_writes_nothing(store):
    engine, settings = store
    report = import_file(SAMPLE, engine, settings, "mapped", MAPPING, dry_run=True)
    assert report.accepted == 15 and report.dry_run
    assert cir_incidents(engine).empty
