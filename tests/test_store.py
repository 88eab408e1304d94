"""The store: filled from data/ the first time it is opened, same records back, on every backend."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.config import Settings
from dashboard.io.open import open_store
from dashboard.query.totals import summarize
from dashboard.store.migrate import prepare_store
from dashboard.store.sql import TABLES, batches, import_batches, read_records, rows_for_insert
from tests.builders import record_folder


def _settings(url: str, tmp_path) -> Settings:
    return Settings.from_env({"IMPACT_DB_URL": url, "IMPACT_QUARANTINE_DIR": str(tmp_path / "rejected")})


def test_empty_store_is_filled_on_first_open(store_url, tmp_path, records):
    engine = open_store(_settings(store_url, tmp_path))
    stored = read_records(engine)
    for table in ("sources", "incidents", "assets", "impacts", "salvos"):
        pd.testing.assert_frame_equal(stored.table(table), records.table(table), check_dtype=True)


def test_reopening_changes_nothing(store_url, tmp_path):
    settings = _settings(store_url, tmp_path)
    open_store(settings)
    engine = open_store(settings)
    with engine.connect() as connection:
        counts = {t: connection.execute(sa.select(sa.func.count()).select_from(TABLES[t])).scalar_one() for t in TABLES}
    assert counts == {"sources": 1, "incidents": 5, "assets": 6, "impacts": 6, "salvos": 2}
    log = batches(engine)
    assert len(log) == 5  # one batch per record file, written once
    assert set(log["accepted"]) >= {5, 6, 2, 1}
    assert (log["sha256"].str.len() == 64).all()


def test_totals_from_store_equal_totals_from_files(store_url, tmp_path, records):
    engine = open_store(_settings(store_url, tmp_path))
    assert summarize(read_records(engine)) == summarize(records)


def _copy_settings(tmp_path, **edits) -> Settings:
    """Settings whose record folder is a copy of data/ (and seeds/) with ``edits`` applied."""
    data = record_folder(tmp_path / "copy", **edits)
    return Settings.from_env(
        {
            "IMPACT_DB_URL": f"sqlite:///{tmp_path / 's.sqlite'}",
            "IMPACT_DATA_DIR": str(data),
            "IMPACT_QUARANTINE_DIR": str(tmp_path / "rejected"),
        }
    )


def test_first_fill_goes_through_the_importer(tmp_path):
    """One batch row per file, as ``impact import`` writes it, and an import log beside each."""
    engine = open_store(_settings(f"sqlite:///{tmp_path / 'f.sqlite'}", tmp_path))
    log = batches(engine).sort_values("batch_id")
    assert list(log["file"].map(lambda f: f.rsplit("/", 1)[-1])) == [
        "sources.csv",
        "incidents.csv",
        "assets.csv",
        "impacts.csv",
        "salvos.csv",
    ]
    assert (log["format"] == "canonical").all() and (log["rejected"] == 0).all()
    assert list(log["accepted"]) == [1, 5, 6, 6, 2]
    assert len(list((tmp_path / "rejected").glob("*.log.json"))) == 5


def test_rejected_rows_are_written_to_the_importers_quarantine(tmp_path):
    engine = open_store(_copy_settings(tmp_path, salvos_edit=lambda t: t.replace(",138,", ",lots,")))
    assert len(read_records(engine).salvos) == 1
    (path,) = (tmp_path / "rejected").glob("*-salvos.rejected.csv")
    quarantined = pd.read_csv(path, dtype=str)
    assert quarantined.loc[0, "salvo_id"] == "sal-002"
    assert quarantined.loc[0, "source_line"] == "3"
    assert "launched: a whole number >= 0 (got 'lots')" in quarantined.loc[0, "reason"]
    assert "line" not in quarantined.columns


def test_first_fill_checks_quotes_against_the_source_document(tmp_path):
    engine = open_store(
        _copy_settings(tmp_path, incidents_edit=lambda t: t.replace("a missile struck the city", "a bomb hit the city"))
    )
    assert "inc-001" not in set(read_records(engine).incidents["incident_id"])
    (path,) = (tmp_path / "rejected").glob("*-incidents.rejected.csv")
    reason = pd.read_csv(path, dtype=str).loc[0, "reason"]
    assert "quote: must appear word for word in the source document" in reason


def test_a_folder_that_fails_mid_write_leaves_the_store_empty(tmp_path, monkeypatch):
    """All files or none: the second file's insert fails, so the first file's rows are gone too."""
    import dashboard.io.importer as importer

    settings = _copy_settings(tmp_path)
    real = importer.write_file
    written = []

    def fail_on_second(connection, plan, report, progress):
        written.append(report.file)
        if len(written) == 2:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))
        return real(connection, plan, report, progress)

    monkeypatch.setattr(importer, "write_file", fail_on_second)
    with pytest.raises(sa.exc.OperationalError):
        open_store(settings)
    engine = sa.create_engine(settings.db_url)
    with engine.connect() as connection:
        counts = {t: connection.execute(sa.select(sa.func.count()).select_from(TABLES[t])).scalar_one() for t in TABLES}
    assert set(counts.values()) == {0} and batches(engine).empty
    assert not list((tmp_path / "rejected").glob("*"))  # no log of a write that did not happen
    monkeypatch.undo()
    assert len(read_records(open_store(settings)).incidents) == 5  # the next open fills it


def test_a_fill_planned_after_another_finished_writes_nothing(tmp_path, monkeypatch):
    """Another process filled the store between our emptiness check and our plan."""
    import dashboard.io.open as opening

    settings = _copy_settings(tmp_path)
    open_store(settings)
    monkeypatch.setattr(opening, "is_empty", lambda engine: True)
    engine = open_store(settings)
    assert len(batches(engine)) == 5 and len(read_records(engine).incidents) == 5


def test_a_fill_racing_another_gives_way(tmp_path, monkeypatch):
    """Another process commits its fill between our plan and our write: ours sees it under the lock and yields."""
    import dashboard.io.importer as importer

    settings = _copy_settings(tmp_path)
    real = importer._write
    raced = []

    def other_process_first(*args, **kwargs):
        if not raced:
            raced.append(True)
            other = sa.create_engine(settings.db_url)
            with other.begin() as other_connection:
                for table, steps in plan_of_everyone.items():
                    other_connection.execute(TABLES[table].insert(), rows_for_insert(steps, table))
                other_connection.execute(import_batches.insert().values(**other_batch))
            other.dispose()
        return real(*args, **kwargs)

    plan_of_everyone = {t: read_records(open_store(_settings("sqlite://", tmp_path))).table(t) for t in TABLES}
    other_batch = {"file": "other", "sha256": "0" * 64, "imported_at": pd.Timestamp.now(), "rows_read": 0}
    other_batch |= {"accepted": 0, "rejected": 0}
    monkeypatch.setattr(importer, "_write", other_process_first)
    engine = open_store(settings)
    assert list(batches(engine)["file"]) == ["other"]  # only the other process's fill
    assert len(read_records(engine).incidents) == 5


def test_the_project_carries_its_own_outlines(tmp_path):
    """With only the repository, the default settings draw oblast outlines; an empty value turns them off."""
    from dashboard.config import BUNDLED_BOUNDARY_FILE
    from geo.boundaries import load_boundaries

    default = Settings.from_env({})
    assert default.boundary_file == str(BUNDLED_BOUNDARY_FILE)
    outlines = load_boundaries(default.boundary_file)
    assert outlines.available and len(outlines.frame) == 27
    off = load_boundaries(Settings.from_env({"IMPACT_BOUNDARY_FILE": ""}).boundary_file)
    assert not off.available and off.note


def test_a_table_read_in_many_chunks_equals_one_read(tmp_path, monkeypatch):
    """Reading joins chunks column by column (to halve the peak memory): the frames must be the same."""
    import dashboard.store.sql as sql
    from dashboard.io.importer import import_path
    from dashboard.io.synth import write_synth

    settings = _settings(f"sqlite:///{tmp_path / 'chunks.sqlite'}", tmp_path)
    engine = sql.create_engine(settings.db_url)
    prepare_store(engine)
    import_path(write_synth(300, 2, tmp_path / "synth"), engine, settings)
    whole = sql.read_records(engine)
    monkeypatch.setattr(sql, "FETCH_ROWS", 7)
    chunked = sql.read_records(engine)
    for table in sql.SCHEMAS:
        pd.testing.assert_frame_equal(chunked.table(table), whole.table(table))
