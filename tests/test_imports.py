"""impact import: every row accounted for, nothing counted twice, re-imports change nothing."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard import cli
from dashboard.config import PROJECT_ROOT, Settings
from dashboard.io.formats.registry import FormatMismatch
from dashboard.io.importer import import_file, import_path
from dashboard.io.open import open_store
from dashboard.query.totals import summarize
from dashboard.store.sql import TABLES, read_records
from tests.conftest import SHARED, skip_or_fail

CIR = SHARED / "fixtures" / "real" / "cir_russia_ukraine_monitor_events.csv"
CIR_MAPPING = PROJECT_ROOT / "examples" / "mappings" / "cir_russia_ukraine_monitor.toml"


@pytest.fixture
def cir_file():
    if not CIR.is_file():
        skip_or_fail(f"{CIR} not found (../shared beside the project)")
    return CIR


def cir_rows(*lines: int) -> list[list[str]]:
    """Header plus the fixture rows starting at the given file lines (2 = first data row)."""
    rows = list(csv.reader(CIR.open(encoding="utf-8", newline="")))
    return [rows[0]] + [rows[n - 1] for n in lines]


def write_csv(path, rows) -> object:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def count(engine, table="incidents") -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(TABLES[table])).scalar_one()


@pytest.mark.slow  # the whole 6,650-row real file
def test_cir_fixture_every_row_accounted_for(cir_file, store):
    engine, settings = store
    report = import_file(cir_file, engine, settings, "mapped", CIR_MAPPING)
    assert report.rows_read == 6650
    assert report.accepted + report.duplicates + report.rejected == 6650
    assert report.accepted > 3000 and report.duplicates >= 1
    # The four rows without a date are rejected, with their line numbers and the reason.
    no_date = [r for r in report.rejections if r["column"].startswith("event_date") and r["value"] == ""]
    assert sorted(r["line"] for r in no_date) == [6648, 6649, 6650, 6651]
    # Rows outside Ukraine are rejected with that reason, not silently dropped.
    assert any(r["rule"] == "outside the dashboard's coverage (Ukraine)" for r in report.rejections)
    stored = count(engine)
    assert stored == report.accepted + 5  # plus the seed's five
    assert summarize(read_records(engine))["attacks"] == stored

    again = import_file(cir_file, engine, settings, "mapped", CIR_MAPPING)
    assert (again.accepted, again.updated, again.unchanged) == (0, 0, report.accepted)
    assert count(engine) == stored


def test_reused_id_for_different_events_keeps_both(cir_file, store, tmp_path):
    engine, settings = store
    frame = pd.read_csv(cir_file, dtype=str, keep_default_na=False)
    named = frame[frame["entry"] != ""]
    reused = named[named["entry"].duplicated(keep=False)]
    assert reused.groupby("entry")["title"].nunique().max() > 1, "the fixture reuses ids for different events"
    rows = cir_rows(840, 2629)
    rows[1][0] = rows[2][0] = "UW-same"  # two different events filed under one id
    report = import_file(write_csv(tmp_path / "same.csv", rows), engine, settings, "mapped", CIR_MAPPING)
    assert (report.accepted, report.duplicates, report.rejected) == (2, 0, 0)
    mine = read_records(engine).incidents.query("source_record_id == 'UW-same'")
    assert len(mine) == 2 and mine["incident_id"].is_unique
    assert all(i.startswith("cir-rum:UW-same:") for i in mine["incident_id"])


def test_small_file_report_quarantine_and_fixed_reimport(cir_file, store, tmp_path, capsys, monkeypatch):
    engine, settings = store
    rows = cir_rows(840, 2629, 1599)  # three civilian-infrastructure rows
    bad = list(rows[1])
    bad[0], bad[1] = "UW-test-1", "2022-13-45"
    rows += [bad, list(rows[2])]  # an impossible date and an exact repeat
    path = write_csv(tmp_path / "small.csv", rows)
    for name in ("IMPACT_DB_URL", "IMPACT_QUARANTINE_DIR", "IMPACT_BOUNDARY_FILE"):
        monkeypatch.setenv(
            name,
            str(
                getattr(
                    settings,
                    {
                        "IMPACT_DB_URL": "db_url",
                        "IMPACT_QUARANTINE_DIR": "quarantine_dir",
                        "IMPACT_BOUNDARY_FILE": "boundary_file",
                    }[name],
                )
            ),
        )
    code = cli.main(["import", str(path), "--format", "mapped", "--mapping", str(CIR_MAPPING), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1  # some rows were rejected
    assert (report["rows_read"], report["accepted"], report["duplicates"], report["rejected"]) == (5, 3, 1, 1)
    rejection = next(r for r in report["rejections"] if r["line"] == 5)
    assert rejection["column"] == "date"  # the input's own column
    assert rejection["value"] == "2022-13-45"
    quarantine = pd.read_csv(report["quarantine_file"], dtype=str, keep_default_na=False)
    assert list(quarantine.columns) == rows[0] + ["source_line", "reason"]
    assert quarantine.loc[0, "source_line"] == "5" and "2022-13-45" in quarantine.loc[0, "reason"]
    assert json.loads(open(report["log_file"]).read())["sha256"] == report["sha256"]
    # Fix the date in the quarantine file and import it as it is.
    quarantine.loc[0, "date"] = "2022-03-13"
    fixed = tmp_path / "fixed.csv"
    quarantine.to_csv(fixed, index=False)
    second = import_file(fixed, engine, settings, "mapped", CIR_MAPPING)
    assert (second.accepted, second.rejected) == (1, 0)
    assert count(engine) == 5 + 4


def test_newer_version_updates_instead_of_duplicating(cir_file, store, tmp_path):
    engine, settings = store
    rows = cir_rows(840, 2629, 1599)
    first = import_file(write_csv(tmp_path / "v1.csv", rows), engine, settings, "mapped", CIR_MAPPING)
    assert first.accepted == 3
    rows[2][4] = "Damaged residential buildings in Mariupol (corrected description)"
    second = import_file(write_csv(tmp_path / "v2.csv", rows), engine, settings, "mapped", CIR_MAPPING)
    assert (second.accepted, second.updated, second.unchanged) == (0, 1, 2)
    stored = read_records(engine).incidents
    assert (stored["description"] == "Damaged residential buildings in Mariupol (corrected description)").sum() == 1
    assert count(engine) == 5 + 3


def test_failed_import_leaves_the_store_as_before(cir_file, store, tmp_path, monkeypatch):
    engine, settings = store
    before = count(engine)
    broken_log = sa.Table("no_such_table", sa.MetaData(), sa.Column("batch_id", sa.Integer, primary_key=True))
    monkeypatch.setattr("dashboard.io.import_write.import_batches", broken_log)
    with pytest.raises(sa.exc.SQLAlchemyError):
        import_file(write_csv(tmp_path / "v1.csv", cir_rows(840, 2629)), engine, settings, "mapped", CIR_MAPPING)
    assert count(engine) == before


def test_dry_run_writes_nothing(cir_file, store, tmp_path):
    engine, settings = store
    report = import_file(
        write_csv(tmp_path / "v1.csv", cir_rows(840, 2629)), engine, settings, "mapped", CIR_MAPPING, dry_run=True
    )
    assert report.accepted == 2 and report.dry_run
    assert count(engine) == 5


def test_point_in_polygon_fills_a_blank_province(cir_file, store, tmp_path):
    engine, settings = store
    rows = cir_rows(840)
    rows[1][8] = ""  # province blank; the coordinates are in Luhansk Oblast
    import_file(write_csv(tmp_path / "p.csv", rows), engine, settings, "mapped", CIR_MAPPING)
    row = read_records(engine).incidents.query("source_id == 'cir-rum'").iloc[0]
    assert (row["oblast"], row["oblast_iso"]) == ("Luhansk Oblast", "UA-09")


def test_place_without_coordinates_is_geocoded_or_reported(cir_file, store, tmp_path):
    engine, settings = store
    rows = cir_rows(840, 2629)
    rows[1][5] = rows[1][6] = ""  # Severodonetsk, no coordinates
    rows[2][5] = rows[2][6] = ""
    rows[2][10] = "Ivanivka"  # ambiguous name: reported, never guessed
    rows[2][8] = ""
    report = import_file(write_csv(tmp_path / "g.csv", rows), engine, settings, "mapped", CIR_MAPPING)
    assert report.accepted == 1
    located = read_records(engine).incidents.query("source_id == 'cir-rum'").iloc[0]
    assert located["geo_precision"] == "2" and abs(located["latitude"] - 48.95) < 0.1
    assert any(r["line"] == 3 and "ambiguous" in r["rule"].lower() for r in report.rejections)


@pytest.mark.slow  # imports the whole real file, exports and re-imports it
def test_canonical_export_reimports_with_identical_totals(cir_file, store, tmp_path):
    from dashboard.io.csv_writer import to_csv_bytes
    from dashboard.io.extract import hxl_csv_bytes
    from dashboard.query.totals import Filters, filter_incidents

    engine, settings = store
    import_file(cir_file, engine, settings, "mapped", CIR_MAPPING)
    records = read_records(engine)
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "sources.csv").write_bytes(to_csv_bytes(records.sources, "sources"))
    (folder / "incidents.csv").write_bytes(hxl_csv_bytes(filter_incidents(records, Filters())))
    fresh = Settings.from_env(
        {
            "IMPACT_DB_URL": f"sqlite:///{tmp_path / 'fresh.sqlite'}",
            "IMPACT_DATA_DIR": str(tmp_path / "empty"),
            "IMPACT_QUARANTINE_DIR": str(tmp_path / "q2"),
        }
    )
    other = open_store(fresh)
    reports = import_path(folder, other, fresh)
    assert [r.rejected for r in reports] == [0, 0]
    copy = read_records(other)
    original = summarize(records)
    again = summarize(copy)
    for key in ("attacks", "killed", "injured", "children_killed", "children_injured"):
        assert again[key] == original[key], key
    pd.testing.assert_frame_equal(
        copy.incidents.drop(columns="place_key"),
        records.incidents.drop(columns="place_key")
        .sort_values(["event_date", "incident_id"], kind="stable")
        .reset_index(drop=True),
        check_like=True,
    )


def test_mapping_errors_are_reported_not_raised(tmp_path, capsys, store, monkeypatch):
    engine, settings = store
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    bad = tmp_path / "bad.toml"
    bad.write_text('[source]\nsource_id = "x"\n[identity]\n[fields.killed_people]\ncolumn = "x"\n')
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n")
    assert cli.main(["import", str(data), "--format", "mapped", "--mapping", str(bad)]) == 2
    assert "killed_people" in capsys.readouterr().err


def test_csv_with_unknown_header_is_refused_with_a_reason(tmp_path, store):
    engine, settings = store
    path = tmp_path / "mystery.csv"
    path.write_text("foo,bar\n1,2\n")
    # Was: a report with one rejected row and exit 0 from the CLI; a file that is not the declared
    # format is now refused as a whole (bad input, exit 2) with the columns it lacks.
    with pytest.raises(FormatMismatch, match="mystery.csv does not look like canonical: missing columns one of"):
        import_file(path, engine, settings, "canonical")


def test_canonical_rows_repeated_are_duplicates(tmp_path, store):
    engine, settings = store
    text = (PROJECT_ROOT / "data" / "incidents.csv").read_text()
    lines = text.splitlines()
    path = tmp_path / "incidents.csv"
    path.write_text("\n".join(lines + [lines[1]]) + "\n")
    report = import_file(path, engine, settings, "canonical")
    assert (report.unchanged, report.duplicates, report.rejected) == (5, 1, 0)


def test_report_text_names_the_counts(cir_file, store, tmp_path):
    engine, settings = store
    report = import_file(write_csv(tmp_path / "v1.csv", cir_rows(840)), engine, settings, "mapped", CIR_MAPPING)
    text = report.summary()
    for word in ("rows read", "accepted", "updated", "unchanged", "duplicates", "rejected"):
        assert word in text
    assert io.StringIO(text).readline().startswith(str(tmp_path))
