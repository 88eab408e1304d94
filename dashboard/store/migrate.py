"""Schema versions: Alembic migrations create an empty store and upgrade an old one, never silently.

Every store carries its schema revision in Alembic's ``alembic_version`` table. Opening a
store (``prepare_schema``, called by ``open_store`` and the importer) then:

- creates the schema of the newest revision in an empty store (no record tables);
- leaves a store at the newest revision as it is;
- refuses a store at an older revision, or one made before revisions existed, with
  :class:`SchemaOutOfDate` (exit code 3): "back it up, then run ``impact db upgrade``".
  The store is not touched; a page or a command that only reads does not alter it;
- refuses a store whose revision this version does not know (made by a newer version).

``upgrade`` (``impact db upgrade``) applies the missing revisions in one transaction where
the database has transactional DDL (PostgreSQL, SQLite). A store from before revisions is
first brought to revision 0001 (missing tables created, missing nullable columns added,
exactly as the versions before 0.1.0 did on every open), then stamped and upgraded.

Revisions live in ``dashboard/store/migrations/versions/``; a schema change in
``records/schemas.py`` or ``store/sql.py`` needs a new revision there (a test compares the
upgraded schema with ``store.sql.metadata`` and fails on any difference).

Examples
--------
>>> import sqlalchemy as sa
>>> engine = sa.create_engine("sqlite://")
>>> prepare_schema(engine)
>>> current_revision(engine) == head_revision()
True
"""

from __future__ import annotations

import weakref
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from dashboard.store.health import BROKEN_STORE, Fault
from dashboard.store.lock import import_holder, locked_transaction
from dashboard.store.sql import metadata, use_rollback_journal

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BEFORE_REVISIONS = "before revisions"  # what ``current_revision`` says of a store made before 0.1.0
_PREPARED: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


class SchemaOutOfDate(Fault):
    """The store's schema is older (or newer) than this version of impact reads; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, BROKEN_STORE)


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The newest revision: the schema this version of impact reads and writes."""
    return _scripts().get_current_head()


def _revision(connection: Connection) -> str | None:
    """The stored revision; ``BEFORE_REVISIONS`` for record tables without one; None for an empty store."""
    stored = MigrationContext.configure(connection).get_current_revision()
    if stored is not None:
        return stored
    return BEFORE_REVISIONS if sa.inspect(connection).has_table("incidents") else None


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision, ``BEFORE_REVISIONS``, or None when the store has no tables yet."""
    with engine.connect() as connection:
        return _revision(connection)


def prepare_schema(engine: Engine) -> None:
    """Create the schema in an empty store; refuse (unchanged) a store at another revision.

    Checked once per engine: a store is upgraded only by ``upgrade``, which clears the mark.
    """
    head = head_revision()
    if _PREPARED.get(engine) == head:
        return
    stored = current_revision(engine)
    if stored is None:
        upgrade(engine)
    elif stored != head:
        raise SchemaOutOfDate(out_of_date_message(stored, head))
    _PREPARED[engine] = head


def prepare_store(engine: Engine) -> None:
    """What opening a store does before anything reads it: SQLite's journal mode, then the schema check."""
    use_rollback_journal(engine)
    prepare_schema(engine)


def out_of_date_message(stored: str, head: str) -> str:
    """Why the store is refused and what to do, in two sentences."""
    known = {script.revision for script in _scripts().walk_revisions()}
    if stored != BEFORE_REVISIONS and stored not in known:
        return (
            f"The store's schema is at revision {stored}, which this version of impact does not know "
            f"(it reads revision {head}): it was made by a newer version. Use that version, or restore a backup."
        )
    made = "made before schema revisions" if stored == BEFORE_REVISIONS else f"at revision {stored}"
    return (
        f"The store's schema is {made}; this version of impact reads revision {head}. "
        "Back the store up, then run `impact db upgrade`; nothing was changed."
    )


def _revision_0001_tables() -> sa.MetaData:
    """Revision 0001's tables, as its migration defines them (Alembic has the module loaded)."""
    return _scripts().get_revision("0001").module.define(sa.MetaData())


def _bring_to_0001(connection: Connection) -> None:
    """A store from before revisions: what every open used to do (new tables, new nullable columns)."""
    tables = _revision_0001_tables()
    inspector = sa.inspect(connection)
    for table in tables.sorted_tables:
        if not inspector.has_table(table.name):
            table.create(connection)
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=connection.dialect)
                connection.execute(sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))


def upgrade(engine: Engine, destination: str = "head", lock_timeout: float = 30.0) -> tuple[str | None, str]:
    """Apply the missing revisions in one transaction under the import lock; returns (before, after).

    The lock (``store.lock``) keeps an import from writing mid-upgrade, and gives SQLite a real
    transaction around the DDL (Python's sqlite3 would otherwise commit each statement).

    Examples
    --------
    >>> import sqlalchemy as sa
    >>> upgrade(sa.create_engine("sqlite://"))[0] is None
    True
    """
    scripts = _scripts()
    holder = import_holder("").replace(": impact import ", ": impact db upgrade")
    with locked_transaction(engine, holder, lock_timeout) as connection:
        before = _revision(connection)
        if before == BEFORE_REVISIONS:
            _bring_to_0001(connection)
            MigrationContext.configure(connection).stamp(scripts, "0001")
        elif before is not None and before not in {s.revision for s in scripts.walk_revisions()}:
            raise SchemaOutOfDate(out_of_date_message(before, scripts.get_current_head()))
        with EnvironmentContext(
            Config(),
            scripts,
            fn=lambda revision, _context: scripts._upgrade_revs(destination, revision),
            destination_rev=destination,
        ) as environment:
            environment.configure(connection=connection, target_metadata=metadata)
            environment.run_migrations()
        after = MigrationContext.configure(connection).get_current_revision()
    _PREPARED.pop(engine, None)
    return before, after
