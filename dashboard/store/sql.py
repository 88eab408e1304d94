"""The store: an SQL database behind SQLAlchemy, SQLite by default.

Tables follow the record schemas column for column, plus a batch log with a row
per imported file (name, content hash, time, counts). Every write goes through the
importer (``dashboard.io.importer``); ``dashboard.io.open.open_store`` fills an
empty store from the record folder. SQL stays portable (Core expressions only) so
that ``IMPACT_DB_URL`` can name another database.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.records.load import Records, with_lookup_columns
from dashboard.records.schemas import SCHEMAS

_SQL_TYPES = {
    "id": lambda: sa.String(128),
    "code": lambda: sa.String(64),
    "text": sa.Text,
    "list": sa.Text,
    "date": sa.Date,
    "count": sa.BigInteger,
    "number": sa.Float,
}

metadata = sa.MetaData()
TABLES: dict[str, sa.Table] = {
    name: sa.Table(
        name,
        metadata,
        *(
            sa.Column(
                column,
                _SQL_TYPES[spec.kind](),
                primary_key=(column == schema.key),
                nullable=column != schema.key,
            )
            for column, spec in schema.columns.items()
        ),
    )
    for name, schema in SCHEMAS.items()
}
import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=True),
    sa.Column("unchanged", sa.Integer, nullable=True),
    sa.Column("duplicates", sa.Integer, nullable=True),
    sa.Column("format", sa.String(32), nullable=True),
)


def create_engine(url: str) -> Engine:
    """An engine for the store URL; an SQLite file's folder is created when missing."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # One shared in-memory database, not a new empty one per connection.
        return sa.create_engine(url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False})
    return sa.create_engine(url)


def is_empty(bind: Engine | Connection) -> bool:
    """Whether no record table holds a row (batch log rows do not count)."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return is_empty(connection)
    inspector = sa.inspect(bind)
    if not inspector.has_table("incidents"):
        return True
    return all(
        bind.execute(sa.select(sa.func.count()).select_from(TABLES[t])).scalar_one() == 0
        for t in TABLES
        if inspector.has_table(t)
    )


def create_tables(engine: Engine) -> None:
    """Create missing tables, and bring a store made by an earlier version up to date."""
    _add_missing_columns(engine)
    metadata.create_all(engine)


def _add_missing_columns(engine: Engine) -> None:
    """Bring a store made by an earlier version up to date: add new nullable columns."""
    inspector = sa.inspect(engine)
    for table in [*TABLES.values(), import_batches]:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=engine.dialect)
                with engine.begin() as connection:
                    connection.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


def rows_for_insert(frame: pd.DataFrame, table: str) -> list[dict]:
    """Typed frame rows as dicts of Python values (None for blanks) for an INSERT."""
    columns = list(SCHEMAS[table].columns)
    out = frame[columns].astype(object).where(frame[columns].notna(), None)
    rows = out.to_dict("records")
    for row in rows:
        for column, spec in SCHEMAS[table].columns.items():
            value = row[column]
            if spec.kind == "date" and value is not None:
                row[column] = pd.Timestamp(value).date()
            elif spec.kind == "count" and value is not None:
                row[column] = int(value)
            elif spec.kind == "number" and value is not None:
                row[column] = float(value)
            elif spec.kind in ("text", "id", "code", "list") and value == "":
                row[column] = None
    return rows


def _stored_as_text(stored: pd.DataFrame, table: str) -> pd.DataFrame:
    """Stored rows as canonical text cells, the form validation and comparison use."""
    text = pd.DataFrame(index=stored.index)
    for column, spec in SCHEMAS[table].columns.items():
        values = stored[column] if column in stored.columns else pd.Series(None, index=stored.index, dtype=object)
        if spec.kind == "date":
            text[column] = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
        elif spec.kind == "count":
            text[column] = values.astype("Int64").astype("str").replace("<NA>", "")
        elif spec.kind == "number":
            text[column] = values.astype("Float64").astype("str").replace("<NA>", "")
        else:
            text[column] = values.astype(object).where(values.notna(), "").astype("str")
    return text.fillna("")


def typed_to_text(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Canonical text cells of a typed frame (the inverse of ``RecordSchema.convert``)."""
    return _stored_as_text(frame, table)


def _stored_typed(stored: pd.DataFrame, table: str) -> pd.DataFrame:
    """Stored rows converted straight to the typed frame ``typed_table`` gives for the same text."""
    typed = pd.DataFrame(index=stored.index)
    for column, spec in SCHEMAS[table].columns.items():
        values = stored[column]
        if spec.kind == "date":
            typed[column] = pd.to_datetime(values.astype("str"), format="%Y-%m-%d").astype("datetime64[us]")
        elif spec.kind == "count":
            typed[column] = values.astype("Float64").astype("Int64")
        elif spec.kind == "number":
            typed[column] = values.astype("Float64")
        else:
            typed[column] = values.astype(object).where(values.notna(), "").astype("str")
    return with_lookup_columns(typed)


def read_records(engine: Engine) -> Records:
    """Every record table, typed as the query core expects."""
    frames = {}
    with engine.connect() as connection:
        for table in SCHEMAS:
            frames[table] = _stored_typed(pd.read_sql(sa.select(TABLES[table]), connection), table)
    return Records(**frames)


def read_table_text(engine: Engine, table: str, ids: list[str] | None = None) -> pd.DataFrame:
    """Stored rows of one table as canonical text, optionally only those with the given ids."""
    query = sa.select(TABLES[table])
    if ids is not None and len(ids) <= 10_000:
        query = query.where(TABLES[table].c[SCHEMAS[table].key].in_(ids))
    with engine.connect() as connection:
        stored = pd.read_sql(query, connection)
    text = _stored_as_text(stored, table)
    if ids is not None and len(ids) > 10_000:
        text = text[text[SCHEMAS[table].key].isin(set(ids))]
    return text


def store_version(engine: Engine) -> int:
    """The newest batch id: changes whenever an import writes, so caches can key on it."""
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.max(import_batches.c.batch_id))).scalar() or 0)


def batches(engine: Engine) -> pd.DataFrame:
    """The batch log, newest first."""
    with engine.connect() as connection:
        return pd.read_sql(sa.select(import_batches).order_by(import_batches.c.batch_id.desc()), connection)
