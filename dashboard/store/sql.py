"""The store: an SQL database behind SQLAlchemy, SQLite by default.

Tables follow the record schemas column for column, plus a batch log with a row
per imported file (name, content hash, time, counts). Every write goes through the
importer (``dashboard.io.importer``); ``dashboard.io.open.open_store`` fills an
empty store from the record folder. SQL stays portable (Core expressions only) so
that ``IMPACT_DB_URL`` can name another database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.records.load import Records, with_lookup_columns
from dashboard.records.membership import is_in
from dashboard.records.schemas import SCHEMAS
from dashboard.store import audit
from dashboard.store.tables import TABLES, asset_links, import_batches, metadata, source_documents  # noqa: F401  (re-exported)


def create_engine(url: str) -> Engine:
    """An engine for the store URL; an SQLite file's folder is created when missing."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # One shared in-memory database, not a new empty one per connection.
        return sa.create_engine(url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False})
    if parsed.get_backend_name() == "sqlite":
        # A reader waits up to 30 s for an import's commit to be written (SQLite's busy timeout).
        return sa.create_engine(url, connect_args={"timeout": 30})
    # A pooled connection the server dropped (a restart, an idle timeout) is replaced before use,
    # so an open page carries on after a PostgreSQL restart instead of showing an error.
    return sa.create_engine(url, pool_pre_ping=True)


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


def use_rollback_journal(engine: Engine) -> None:
    """Put an SQLite store file in the rollback-journal mode; other databases (and memory) are left as they are.

    A store left in WAL mode by 0.4's development versions is switched back: WAL needs its
    ``-shm`` file writable, so a store on a read-only medium could not even be read, and on a
    full disk every read failed with an I/O error. Readers still see one whole version each (a
    read transaction holds a shared lock), and an import holds its changes in memory until it
    commits (``store.lock``), so readers are held up only while the commit is written.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    try:
        with engine.connect() as connection:
            if connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal":
                connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    except sa.exc.OperationalError:
        pass  # a read-only file: reads still work, imports fail with a message


def rows_for_insert(frame: pd.DataFrame, table: str) -> list[dict]:
    """Typed frame rows as dicts of Python values (None for blanks) for a Core ``insert()``."""
    columns = {name: spec.column_kind.to_db(frame[name], "default") for name, spec in SCHEMAS[table].columns.items()}
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def insert_frame(connection: sa.Connection, table: str, frame: pd.DataFrame) -> int:
    """Insert a typed frame's rows in bulk; returns the number of rows.

    Each kind turns its column into driver values at once (no per-cell Python).
    SQLite gets one ``executemany`` of tuples; PostgreSQL a ``COPY`` from CSV (through
    psycopg2 or psycopg 3, the driver of a bare ``postgresql://`` URL under SQLAlchemy 2.1);
    other databases a Core ``insert()`` executemany.
    """
    if frame.empty:
        return 0
    dialect = connection.dialect.name
    specs = SCHEMAS[table].columns
    if dialect == "postgresql" and connection.dialect.driver in ("psycopg2", "psycopg"):
        _copy_into(connection, table, frame)
    elif dialect == "sqlite":
        columns = [spec.column_kind.to_db(frame[name], dialect) for name, spec in specs.items()]
        names = ", ".join(f'"{name}"' for name in specs)
        marks = ", ".join("?" for _ in specs)
        rows = list(zip(*columns, strict=True))
        connection.exec_driver_sql(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
    else:
        connection.execute(TABLES[table].insert(), rows_for_insert(frame, table))
    return len(frame)


def _copy_into(connection: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    """PostgreSQL COPY from CSV text; an unquoted empty field is NULL, as blanks are stored."""
    import io

    specs = SCHEMAS[table].columns
    cells = pd.DataFrame({name: spec.column_kind.to_db(frame[name], "postgresql") for name, spec in specs.items()})
    buffer = io.StringIO()
    cells.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    names = ", ".join(f'"{name}"' for name in specs)
    statement = f'COPY "{table}" ({names}) FROM STDIN WITH (FORMAT csv)'
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if connection.dialect.driver == "psycopg2":
            cursor.copy_expert(statement, buffer)
        else:  # psycopg 3
            with cursor.copy(statement) as copy:
                copy.write(buffer.getvalue())
    finally:
        cursor.close()


def stored_typed(stored: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rows as ``select_typed`` reads them, converted to the typed frame ``typed_table`` gives."""
    columns = {name: spec.column_kind.from_stored(stored[name]) for name, spec in SCHEMAS[table].columns.items()}
    return pd.DataFrame(columns, index=stored.index)


def select_typed(table: str, dialect: str) -> sa.Select:
    """SELECT of a table's columns in the form each kind reads back without text (dates as day numbers)."""
    return sa.select(
        *(spec.column_kind.db_select(TABLES[table].c[name], dialect) for name, spec in SCHEMAS[table].columns.items())
    )


FETCH_ROWS = 100_000  # rows fetched and typed at a time


def _read_typed(connection: sa.Connection, table: str, query: sa.Select) -> pd.DataFrame:
    """Typed rows of a ``select_typed`` query, straight from the driver's cursor.

    Rows are fetched and typed 100,000 at a time, so the driver's Python tuples never
    hold the whole table at once (they cost several times the typed columns).
    """
    result = connection.execute(query)
    names = list(result.keys())
    chunks = []
    while rows := result.cursor.fetchmany(FETCH_ROWS):
        chunks.append(stored_typed(pd.DataFrame.from_records(rows, columns=names, coerce_float=True), table))
    if not chunks:
        return stored_typed(pd.DataFrame(columns=names), table)
    if len(chunks) == 1:
        return chunks[0]
    # Column by column, each chunk's column let go as soon as it is joined: the peak is the
    # table plus one column, not the table twice (what one pd.concat of the chunks holds).
    columns = {name: pd.concat([chunk.pop(name) for chunk in chunks], ignore_index=True) for name in list(chunks[0])}
    return pd.DataFrame(columns)


def read_records(engine: Engine) -> Records:
    """Every record table, typed as the query core expects, all of one store version."""
    return read_versioned(engine)[1]


def read_versioned(engine: Engine) -> tuple[int, Records]:
    """The store's version and every record table, read in one transaction: one whole version.

    An import committing meanwhile is either wholly in the result or not at all, and the
    version is the one these records belong to. SQLite reads one snapshot
    from its first read to the end of a ``BEGIN`` transaction; PostgreSQL reads one
    under ``REPEATABLE READ``.
    """
    dialect = engine.dialect.name
    with _read_transaction(engine) as connection:
        version = store_version(connection)
        frames = {table: _read_typed(connection, table, select_typed(table, dialect)) for table in SCHEMAS}
        frames["impacts"] = _linked(connection, frames["impacts"])
        # The analysts' corrections win over the source and a link; retracted records leave.
        frames, retracted = audit.apply_decisions(connection, frames)
    frames = {table: _compact(with_lookup_columns(frame)) for table, frame in frames.items()}
    return version, Records(**frames, retracted=retracted)


def _linked(connection: Connection, impacts: pd.DataFrame) -> pd.DataFrame:
    """Impacts with an accepted link hit the registry facility instead of their unnamed asset.

    Applied here, at read time, so the stored impacts stay as imported (a re-import is still
    "unchanged") and every reader (totals, map, exports) sees the same linked records.
    """
    if impacts.empty:
        return impacts
    accepted = sa.select(asset_links.c.impact_id, asset_links.c.to_asset_id).where(asset_links.c.status == "accepted")
    targets = dict(connection.execute(accepted).all())
    if not targets:
        return impacts
    linked = impacts["impact_id"].map(targets)
    impacts["asset_id"] = linked.where(linked.notna(), impacts["asset_id"]).astype(impacts["asset_id"].dtype)
    return impacts


# Text columns that repeat a few values across many rows (places, oblasts, who reported):
# held as categories, their values are stored once (about 170 MB less at 1M incidents).
_REPEATING = (
    "oblast", "oblast_iso", "place", "place_key", "reported_by", "perpetrator_as_reported", "source_id",
    "weapons", "date_precision", "geo_precision", "date_as_stated", "asset_type", "service",
    "state_after", "people_qualifier", "people_served_qualifier", "count_qualifier", "event_type",
)  # fmt: skip


COMPACT_FROM = 10_000  # rows from which a table's repeating columns become categories


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its repeating text columns as categories (read-only records for queries)."""
    if len(frame) < COMPACT_FROM:  # small stores: nothing to gain
        return frame
    for name in _REPEATING:
        if name in frame.columns and frame[name].nunique() * 4 < len(frame):
            frame[name] = frame[name].astype("category")
    return frame


@contextmanager
def _read_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one committed state of the store; rolled back at the end."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # pysqlite opens no transaction for reads: each SELECT would see the newest commit.
            connection.exec_driver_sql("BEGIN")
        elif engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            connection.begin()
        try:
            yield connection
        finally:
            connection.rollback()


def read_table_typed(engine: Engine, table: str, ids: list[str] | None = None) -> pd.DataFrame:
    """Stored rows of one table, typed, optionally only those with the given ids."""
    query = select_typed(table, engine.dialect.name)
    key = SCHEMAS[table].key
    if ids is not None and len(ids) <= 10_000:
        query = query.where(TABLES[table].c[key].in_(ids))
    with engine.connect() as connection:
        typed = _read_typed(connection, table, query)
    if ids is not None and len(ids) > 10_000:
        typed = typed[is_in(typed[key], set(ids))].reset_index(drop=True)
    return typed


def typed_to_text(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Canonical text cells of a typed frame (the inverse of ``RecordSchema.convert``)."""
    columns = {name: spec.column_kind.to_text(frame[name]) for name, spec in SCHEMAS[table].columns.items()}
    return pd.DataFrame(columns, index=frame.index)


def read_table_text(engine: Engine, table: str, ids: list[str] | None = None) -> pd.DataFrame:
    """Stored rows of one table as canonical text, optionally only those with the given ids."""
    return typed_to_text(read_table_typed(engine, table, ids), table)


def read_documents(bind: Engine | Connection) -> dict[str, str]:
    """Stored source documents: source id to text (empty for a store made before they were kept)."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return read_documents(connection)
    if not sa.inspect(bind).has_table(source_documents.name):
        return {}
    query = sa.select(source_documents.c.source_id, source_documents.c.text)
    return {source_id: text for source_id, text in bind.execute(query)}


def write_documents(connection: Connection, documents: dict[str, str]) -> None:
    """Store (or replace) the documents of these sources."""
    if not documents:
        return
    ids = list(documents)
    connection.execute(source_documents.delete().where(source_documents.c.source_id.in_(ids)))
    connection.execute(
        source_documents.insert(),
        [
            {"source_id": source_id, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "text": text}
            for source_id, text in documents.items()
        ],
    )


def store_version(bind: Engine | Connection) -> int:
    """The newest batch id: changes whenever an import writes, so caches can key on it."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return store_version(connection)
    return int(bind.execute(sa.select(sa.func.max(import_batches.c.batch_id))).scalar() or 0)


def batches(engine: Engine) -> pd.DataFrame:
    """The batch log, newest first."""
    with engine.connect() as connection:
        return pd.read_sql(sa.select(import_batches).order_by(import_batches.c.batch_id.desc()), connection)
