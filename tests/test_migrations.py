"""Schema revisions: an empty store gets the newest schema, an old one is refused until `impact db upgrade`."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dashboard.cli import main
from dashboard.config import Settings
from dashboard.io.open import open_store
from dashboard.query.totals import Filters, summarize
from dashboard.store.migrate import (
    BEFORE_REVISIONS,
    SchemaOutOfDate,
    _revision_0001_tables,
    current_revision,
    head_revision,
    upgrade,
)
from dashboard.store.sql import create_engine, metadata, read_records


def _env(url: str, tmp_path) -> dict[str, str]:
    return {"IMPACT_DB_URL": url, "IMPACT_HOME": str(tmp_path / "home"), "IMPACT_BOUNDARY_FILE": ""}


def _seed_totals(url: str, tmp_path) -> dict:
    return summarize(read_records(open_store(Settings.from_env(_env(url, tmp_path)))), Filters())


def test_an_empty_store_gets_the_newest_schema_and_it_matches_the_code(store_url, tmp_path):
    """The migrations build exactly the tables, columns and indexes that store/sql.py declares."""
    open_store(Settings.from_env(_env(store_url, tmp_path)))
    engine = create_engine(store_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    # A change to records/schemas.py or store/sql.py without a revision in store/migrations fails here.
    assert [d for d in differences if d[0] != "remove_table" or d[1].name != "import_lock"] == []


def test_an_old_store_is_refused_unchanged_until_db_upgrade(store_url, tmp_path, monkeypatch, capsys):
    engine = create_engine(store_url)
    upgrade(engine, "0001")  # a store as 0.1.0 made it
    with engine.connect() as connection:
        before_tables = set(sa.inspect(connection).get_table_names())
    for key, value in _env(store_url, tmp_path).items():
        monkeypatch.setenv(key, value)

    with pytest.raises(SchemaOutOfDate, match=r"at revision 0001.*impact db upgrade.*nothing was changed"):
        open_store(Settings.from_env(_env(store_url, tmp_path)))
    assert main(["summary", "--json"]) == 3
    assert "impact db upgrade" in capsys.readouterr().err
    assert current_revision(create_engine(store_url)) == "0001"  # refused, not altered
    with create_engine(store_url).connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) == before_tables
        assert "ix_incidents_event_date" not in {i["name"] for i in sa.inspect(connection).get_indexes("incidents")}

    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip() == f"store: 0001; this version reads: {head_revision()}"
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.strip() == f"upgraded the store from 0001 to {head_revision()}"
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.strip() == f"already at {head_revision()}"
    assert main(["summary", "--json"]) == 0
    # The seed, filled on the first open after the upgrade: the same totals as a store made new.
    assert json.loads(capsys.readouterr().out) == _seed_totals(f"sqlite:///{tmp_path / 'new.sqlite'}", tmp_path)


def test_a_store_from_before_revisions_is_brought_up_to_date_with_its_rows(store_url, tmp_path, capsys, monkeypatch):
    """0.0.x stores had no revision table, and some lacked newer nullable columns and tables."""
    seeded = _seed_totals(f"sqlite:///{tmp_path / 'reference.sqlite'}", tmp_path)
    reference = read_records(create_engine(f"sqlite:///{tmp_path / 'reference.sqlite'}"))
    engine = create_engine(store_url)
    old = _revision_0001_tables()
    old.remove(old.tables["source_documents"])
    incidents = old.tables["incidents"]
    incidents._columns.remove(incidents.c.notes)  # a column added later, nullable
    old.create_all(engine)
    with engine.begin() as connection:
        for name in ("sources", "incidents", "assets", "impacts", "salvos"):
            frame = reference.table(name)
            columns = [c.name for c in old.tables[name].columns]
            rows = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")
            for row in rows:
                for key, value in row.items():
                    if hasattr(value, "date") and key.endswith("date"):
                        row[key] = value.date()
                    elif value == "":
                        row[key] = None
            connection.execute(old.tables[name].insert(), rows)
    assert current_revision(engine) == BEFORE_REVISIONS
    for key, value in _env(store_url, tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["summary"]) == 3
    assert "made before schema revisions" in capsys.readouterr().err

    assert main(["db", "upgrade"]) == 0
    assert f"from {BEFORE_REVISIONS} to {head_revision()}" in capsys.readouterr().out
    with engine.connect() as connection:
        assert "notes" in {c["name"] for c in sa.inspect(connection).get_columns("incidents")}
        assert sa.inspect(connection).has_table("source_documents")
    assert _seed_totals(store_url, tmp_path) == seeded  # the rows survived, the totals are the same


def test_a_store_from_a_newer_version_is_refused(store_url, tmp_path):
    engine = create_engine(store_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaOutOfDate, match="made by a newer version"):
        open_store(Settings.from_env(_env(store_url, tmp_path)))
    with pytest.raises(SchemaOutOfDate, match="made by a newer version"):
        upgrade(engine)
