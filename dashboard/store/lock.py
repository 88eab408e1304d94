"""One import at a time: a store-level lock held by the import's own write transaction.

:func:`locked_transaction` yields a connection inside one transaction that holds the store's
import lock until it commits or rolls back; a process that dies (even by SIGKILL) releases it
with its connection, so the lock can never be left behind.

- SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock at the start of the
  transaction instead of at its first write, waiting up to the timeout (SQLite's busy
  timeout). Its page cache is made large (``IMPORT_CACHE_KIB``) so that the changes stay in
  memory until the commit: readers keep reading the last committed version meanwhile and
  wait (their busy timeout) only while the commit is written.
- PostgreSQL: ``pg_try_advisory_xact_lock`` on a key of the store's schema, polled until
  the timeout; the lock ends with the transaction.

Who holds the lock, and since when, has to be readable by the process that waits for it,
so it cannot be written inside the locked transaction (uncommitted rows are invisible to
others; under SQLite, the lock holder is the only possible writer). It is kept beside the lock:

- SQLite: a small JSON file next to the store file (``impact.sqlite.import-lock``), written
  once the lock is taken, removed before the commit (while the lock is still held, so it
  never removes the next holder's file). A holder killed by SIGKILL leaves its file; the
  next holder overwrites it, and a waiter only reads the file when the lock is taken.
- PostgreSQL: a row of the table ``import_lock`` (the store may be on another machine than
  the import), written and committed by a second, short transaction once the lock is
  taken, deleted the same way before the commit.

On timeout :class:`ImportLocked` names the holder: "another import is running since HH:MM
(UTC), started by user@host pid N: impact import FILE; try again when it ends".
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.store.health import BROKEN_STORE, Fault, sqlite_path

# First key of PostgreSQL's two-key advisory lock: this project's import lock ("impa");
# the second key is a hash of the store's schema, so stores in other schemas do not wait.
_PG_LOCK_CLASS = 0x696D7061
_POLL_SECONDS = 0.1
# SQLite's busy timeout outside the lock wait (pysqlite's own default).
_DEFAULT_BUSY_MS = 30_000
# SQLite spills a transaction's changed pages to the file (taking the exclusive lock that
# stops readers) once its cache is full; 512 MB holds an import of about a million rows.
IMPORT_CACHE_KIB = 512 * 1024

_lock_metadata = sa.MetaData()
import_lock = sa.Table(
    "import_lock",
    _lock_metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("since", sa.DateTime, nullable=False),
)


class ImportLocked(Fault):
    """Another import holds the store's import lock for longer than this one may wait."""


def import_holder(what: str) -> str:
    """Who takes the lock, as a waiting import names it: ``user@host pid N: impact import FILE``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container without a passwd entry)
        user = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown user"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}: impact import {what}"


def locked_message(holder: str | None, since: datetime | None) -> str:
    """The message for an import that gave up waiting, naming who holds the lock.

    >>> locked_message("ana@srv pid 7: impact import a.csv", datetime(2026, 3, 1, 9, 5, tzinfo=UTC))
    'another import is running since 09:05 (UTC), started by ana@srv pid 7: impact import a.csv; try again when it ends'
    """
    when = f"{since.astimezone(UTC):%H:%M} (UTC)" if since is not None else "an unknown time"
    who = holder or "an unknown process (it has not said who it is)"
    return f"another import is running since {when}, started by {who}; try again when it ends"


@contextmanager
def locked_transaction(engine: Engine, holder: str, timeout: float) -> Iterator[Connection]:
    """A connection in one transaction holding the store's import lock; committed when the block ends.

    Parameters
    ----------
    engine
        The store.
    holder
        Who takes the lock, as waiters will read it: ``"user@host pid N: impact import FILE"``.
    timeout
        Seconds to wait for another holder to finish.

    Raises
    ------
    ImportLocked
        When the lock is still held by another transaction after ``timeout`` seconds.
    """
    since = datetime.now(UTC)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            _begin_sqlite(connection, engine, timeout)
        elif engine.dialect.name == "postgresql":
            _begin_postgresql(connection, engine, timeout)
        else:  # another database: its own transaction isolation is all there is
            connection.begin()
        _write_info(engine, holder, since)
        try:
            yield connection
            _clear_info(engine)
            connection.commit()
        except BaseException:
            _clear_info(engine)
            connection.rollback()
            raise
        finally:
            if engine.dialect.name == "sqlite":
                try:
                    connection.exec_driver_sql("PRAGMA cache_size = -2000")  # SQLite's default, for the pool
                except sa.exc.DBAPIError:
                    connection.invalidate()  # the connection is unusable: the pool opens a new one


def _begin_sqlite(connection: Connection, engine: Engine, timeout: float) -> None:
    # pysqlite starts a transaction only before its first write; BEGIN IMMEDIATE takes the
    # write lock now, so the whole import (checks included) runs under it.
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {max(0, int(timeout * 1000))}")
    connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except sa.exc.OperationalError as exc:
        connection.rollback()
        if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
            raise
        raise ImportLocked(locked_message(*read_info(engine)), BROKEN_STORE) from None
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {_DEFAULT_BUSY_MS}")


def _begin_postgresql(connection: Connection, engine: Engine, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    take = sa.select(sa.func.pg_try_advisory_xact_lock(_PG_LOCK_CLASS, sa.func.hashtext(sa.func.current_schema())))
    while not connection.execute(take).scalar_one():
        if time.monotonic() >= deadline:
            connection.rollback()
            raise ImportLocked(locked_message(*read_info(engine)), BROKEN_STORE)
        time.sleep(_POLL_SECONDS)
    # Created under the lock, so two first imports do not race to create it.
    _lock_metadata.create_all(engine)


def _info_file(engine: Engine) -> Path | None:
    path = sqlite_path(engine)
    return path.with_name(path.name + ".import-lock") if path is not None else None


def _write_info(engine: Engine, holder: str, since: datetime) -> None:
    """Say who holds the lock, where waiters can read it (see the module docstring)."""
    naive = since.replace(tzinfo=None)
    if engine.dialect.name == "postgresql":
        with engine.begin() as other:
            other.execute(import_lock.delete().where(import_lock.c.name == "import"))
            other.execute(import_lock.insert().values(name="import", holder=holder, since=naive))
        return
    path = _info_file(engine)
    if path is None:
        return
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    # A read-only folder costs waiters only the holder's name, not the lock.
    with suppress(OSError):
        staging.write_text(json.dumps({"holder": holder, "since": since.isoformat()}), encoding="utf-8")
        staging.replace(path)


def _clear_info(engine: Engine) -> None:
    """Remove the holder's note while the lock is still held (the next holder writes its own)."""
    if engine.dialect.name == "postgresql":
        with suppress(sa.exc.SQLAlchemyError), engine.begin() as other:
            other.execute(import_lock.delete().where(import_lock.c.name == "import"))
        return
    path = _info_file(engine)
    if path is not None:
        with suppress(OSError):
            path.unlink(missing_ok=True)


def read_info(engine: Engine) -> tuple[str | None, datetime | None]:
    """Who holds the import lock and since when, as its holder wrote it (None, None if unknown)."""
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                row = connection.execute(
                    sa.select(import_lock.c.holder, import_lock.c.since).where(import_lock.c.name == "import")
                ).first()
            return (row.holder, row.since.replace(tzinfo=UTC)) if row is not None else (None, None)
        path = _info_file(engine)
        if path is None:
            return None, None
        info = json.loads(path.read_text(encoding="utf-8"))
        return str(info["holder"]), datetime.fromisoformat(info["since"])
    except (OSError, ValueError, KeyError, TypeError, sa.exc.SQLAlchemyError):
        return None, None
