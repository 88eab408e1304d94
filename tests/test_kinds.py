"""Column kinds: one object per kind checks, parses, stores and writes back its values."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.io.import_write import row_hashes as _row_hashes
from dashboard.records.kinds import KINDS
from dashboard.records.schemas import SCHEMAS, ColumnSpec, IncidentSchema
from dashboard.store.migrate import prepare_schema
from dashboard.store.sql import create_engine, insert_frame, read_table_typed


def test_every_column_of_every_schema_has_a_registered_kind():
    for schema in SCHEMAS.values():
        for spec in schema.columns.values():
            assert spec.column_kind is KINDS[spec.kind]


def test_an_unknown_kind_is_refused_where_the_column_is_declared():
    with pytest.raises(ValueError, match="unknown column kind 'money'"):
        ColumnSpec("money", "A price.")


@pytest.mark.parametrize(
    ("column", "good", "bad"),
    [
        ("incident_id", ["inc-1", "a:b_c"], ["-x", "a b", "é"]),
        ("event_date", ["2024-02-29"], ["2023-02-29", "2024-3-1", "14/03/2024"]),
        ("killed", ["0", "12", ""], ["-1", "1.5", "two", "١٢"]),
        ("latitude", ["46.5", "-90"], ["91", "north", "nan"]),
        ("geo_precision", ["1", "3"], ["4", "one"]),
        ("weapons", ["drone", "drone; missile"], ["laser", "drone;laser"]),
    ],
)
def test_kind_checks_accept_and_reject_cells(column, good, bad):
    spec = IncidentSchema.columns[column]
    valid = spec.column_kind.valid(pd.Series(good + bad, dtype="str"), spec)
    assert valid.tolist() == [True] * len(good) + [False] * len(bad)


def test_required_cells_may_not_be_blank_but_optional_ones_may():
    required, optional = IncidentSchema.columns["event_date"], IncidentSchema.columns["killed"]
    blank = pd.Series(["", "  "], dtype="str")
    assert required.column_kind.valid(blank, required).tolist() == [False, False]
    assert optional.column_kind.valid(blank, optional).tolist() == [True, True]


def test_text_typed_text_round_trip_is_canonical(records):
    for table, schema in SCHEMAS.items():
        typed = records.table(table)
        for name, spec in schema.columns.items():
            kind = spec.column_kind
            again = kind.parse(kind.to_text(typed[name]))
            pd.testing.assert_series_equal(again, typed[name], check_names=False)


def _backend_url(backend: str, tmp_path, request) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 's.sqlite'}"
    url = request.getfixturevalue("postgres_url")
    # psycopg 3 is the driver of a bare postgresql:// URL under SQLAlchemy 2.1 and of deploy/'s example.
    return "postgresql+psycopg://" + url.split("://", 1)[1] if backend == "postgresql+psycopg" else url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "postgresql+psycopg"])
def test_rows_come_back_from_the_store_exactly_as_inserted(backend, records, tmp_path, request):
    engine = create_engine(_backend_url(backend, tmp_path, request))
    prepare_schema(engine)
    inserts: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: inserts.append(args[2]))
    with engine.begin() as connection:
        for table in SCHEMAS:
            insert_frame(connection, table, records.table(table))
    if backend != "sqlite":  # a bulk load is one COPY per table, on either driver: no row-by-row INSERT
        assert [s for s in inserts if s.lstrip().upper().startswith("INSERT")] == []
    for table, schema in SCHEMAS.items():
        stored = read_table_typed(engine, table).sort_values(schema.key).reset_index(drop=True)
        expected = records.table(table)[list(schema.columns)].sort_values(schema.key).reset_index(drop=True)
        pd.testing.assert_frame_equal(stored, expected)
    with engine.connect() as connection:
        blanks = connection.execute(sa.text("SELECT count(*) FROM incidents WHERE place IS NULL")).scalar_one()
    assert blanks == (records.incidents["place"] == "").sum()  # blanks are stored as NULL
    engine.dispose()


def test_a_count_changing_from_blank_to_zero_changes_the_row_hash(records):
    incidents = records.incidents.copy()
    before = _row_hashes(incidents, "incidents")
    row = incidents.index[incidents["killed"].isna()][0]  # the seed has incidents with no reported deaths
    incidents.loc[row, "killed"] = 0
    after = _row_hashes(incidents, "incidents")
    changed = before.to_numpy() != after.to_numpy()
    assert changed.tolist() == [index == row for index in range(len(incidents))]
