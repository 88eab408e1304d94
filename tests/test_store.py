"""The store: filled from data/ the first time it is opened, same records back, on every backend."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard.config import Settings
from dashboard.query.totals import summarize
from dashboard.store.sql import TABLES, batches, open_store, read_records


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


def test_rejected_rows_are_written_to_quarantine(tmp_path):
    from tests.builders import record_folder

    data = record_folder(tmp_path / "copy", salvos_edit=lambda t: t.replace(",138,", ",lots,"))
    settings = Settings.from_env(
        {
            "IMPACT_DB_URL": f"sqlite:///{tmp_path / 's.sqlite'}",
            "IMPACT_DATA_DIR": str(data),
            "IMPACT_QUARANTINE_DIR": str(tmp_path / "rejected"),
        }
    )
    engine = open_store(settings)
    assert len(read_records(engine).salvos) == 1
    quarantined = pd.read_csv(tmp_path / "rejected" / "salvos.rejected.csv", dtype=str)
    assert quarantined.loc[0, "salvo_id"] == "sal-002"
    assert quarantined.loc[0, "line"] == "3"
    assert "launched: a whole number >= 0 (got 'lots')" in quarantined.loc[0, "reason"]


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
