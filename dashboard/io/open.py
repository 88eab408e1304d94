"""Open the store, filling an empty one from the record folder through the importer.

The first fill is an ``impact import`` of ``settings.data_dir``: the same checks, one
transaction for the whole folder under the store's import lock, one batch log row per
file, and rejected rows in the importer's quarantine format. Two processes opening one
empty store fill it once: the second waits for the lock, then finds the records there.
It lives here, not in ``dashboard.store``, because the store layer may not import the importer.

Examples
--------
>>> from dashboard.config import Settings
>>> from dashboard.store.sql import read_records
>>> engine = open_store(Settings.from_env({"IMPACT_DB_URL": "sqlite://"}))
>>> len(read_records(engine).incidents)
5
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from dashboard.config import Settings
from dashboard.io.importer import import_path, record_files
from dashboard.store.health import ensure_sound
from dashboard.store.migrate import prepare_store
from dashboard.store.sql import create_engine, is_empty


def open_store(settings: Settings) -> Engine:
    """The store at ``settings.db_url``, with its tables, filled from ``settings.data_dir`` if empty.

    Source document paths of the record folder resolve against its parent folder
    (``data/``'s parent is the project root), so quotes are checked as in ``load_records``.
    """
    engine = create_engine(settings.db_url)
    ensure_sound(engine, settings.cache_dir)  # a damaged store is refused before anything reads or writes it
    prepare_store(engine)  # an empty store gets the newest schema; an old one is refused, unchanged
    if is_empty(engine) and record_files(settings.data_dir):
        try:
            import_path(settings.data_dir, engine, settings, root=settings.data_dir.parent, only_into_empty=True)
        except IntegrityError:
            # Another process filled the store between our check and our insert (a database
            # where the import lock is only the transaction's own isolation).
            if is_empty(engine):
                raise
    return engine
