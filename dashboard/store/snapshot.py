"""A Parquet snapshot of the store's records, for a cold start in well under a second.

The store stays the single truth: a snapshot is named after the store URL and the
store's version (its newest batch id), so any import makes it stale, and a stale
snapshot is never read. Reading 1M incidents through ``pandas.read_sql`` over
SQLite takes several seconds; the same rows from Parquet take a fraction of that.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from dashboard.config import Settings
from dashboard.records.load import Records
from dashboard.records.schemas import SCHEMAS
from dashboard.store.health import ensure_sound
from dashboard.store.sql import read_records, store_version
from geo.place_ids import KEY_FORMAT

log = logging.getLogger(__name__)


def snapshot_dir(settings: Settings, version: int) -> Path:
    store = hashlib.sha256(settings.db_url.encode()).hexdigest()[:12]
    # The snapshot keeps derived place keys; a new key format must not read old ones.
    return settings.cache_dir / f"records-{store}" / f"v{version}-{KEY_FORMAT}"


def load_records(engine: Engine, settings: Settings) -> Records:
    """Records from the snapshot of the current store version, writing it on a miss.

    The store's integrity is checked first: a snapshot keyed by the version of a store
    that is damaged would serve old numbers as if nothing were wrong.
    """
    ensure_sound(engine, settings.cache_dir)
    version = store_version(engine)
    folder = snapshot_dir(settings, version)
    if all((folder / f"{table}.parquet").is_file() for table in SCHEMAS):
        try:
            return Records(**{table: pd.read_parquet(folder / f"{table}.parquet") for table in SCHEMAS})
        except Exception as exc:  # a damaged snapshot is rebuilt from the store
            log.warning(
                "Parquet snapshot %s is unreadable (%s: %s); rebuilding it from the store",
                folder,
                type(exc).__name__,
                exc,
            )
            shutil.rmtree(folder, ignore_errors=True)
    records = read_records(engine)
    _write(records, folder)
    return records


def _write(records: Records, folder: Path) -> None:
    """Write atomically (temporary folder, then rename) and drop older versions of this store."""
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = parent / f".{folder.name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for table in SCHEMAS:
            records.table(table).to_parquet(staging / f"{table}.parquet", index=False)
        for old in parent.iterdir():
            if old.is_dir() and old.name != staging.name:
                shutil.rmtree(old, ignore_errors=True)
        staging.rename(folder)
    except OSError:
        pass  # a read-only disk only costs the next cold start its speed-up
