"""A Parquet snapshot of the store's records, for a cold start in well under a second.

The store stays the single truth: a snapshot is named after the store URL and the
store's version (its newest batch id), so any import makes it stale, and a stale
snapshot is never read. Reading 1M incidents through ``pandas.read_sql`` over
SQLite takes several seconds; the same rows from Parquet take a fraction of that.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from dashboard.config import Settings
from dashboard.records.load import Records
from dashboard.records.schemas import SCHEMAS
from dashboard.store.health import ensure_sound
from dashboard.store.sql import read_versioned, store_version
from geo.place_ids import KEY_FORMAT

# The record tables and the list of retracted records (a snapshot without it is read again).
FILES = (*SCHEMAS, "retracted")

log = logging.getLogger(__name__)


def snapshot_dir(settings: Settings, version: int) -> Path:
    store = hashlib.sha256(settings.db_url.encode()).hexdigest()[:12]
    # The snapshot keeps derived place keys; a new key format must not read old ones.
    return settings.cache_dir / f"records-{store}" / f"v{version}-{KEY_FORMAT}"


def load_records(engine: Engine, settings: Settings) -> Records:
    """Records from the snapshot of the current store version, writing it on a miss (see :func:`load_versioned`)."""
    return load_versioned(engine, settings)[1]


def load_versioned(engine: Engine, settings: Settings) -> tuple[int, Records]:
    """The store version and its records, from that version's snapshot, writing it on a miss.

    The store's integrity is checked first: a snapshot keyed by the version of a store
    that is damaged would serve old numbers as if nothing were wrong. On a miss the
    version and the records come from one read (``read_versioned``), so the snapshot
    named after version N holds exactly version N even when an import commits meanwhile;
    the version returned is the one the records belong to, which may be newer than the
    one the store had when this call started.
    """
    ensure_sound(engine, settings.cache_dir)
    version = store_version(engine)
    folder = snapshot_dir(settings, version)
    if all((folder / f"{name}.parquet").is_file() for name in FILES):
        try:
            return version, Records(**{name: pd.read_parquet(folder / f"{name}.parquet") for name in FILES})
        except Exception as exc:  # a damaged snapshot is rebuilt from the store
            log.warning(
                "Parquet snapshot %s is unreadable (%s: %s); rebuilding it from the store",
                folder,
                type(exc).__name__,
                exc,
            )
            shutil.rmtree(folder, ignore_errors=True)
    version, records = read_versioned(engine)
    _write(records, snapshot_dir(settings, version))
    return version, records


def _write(records: Records, folder: Path) -> None:
    """Write atomically (temporary folder, then rename) and drop older versions of this store.

    Two processes may write snapshots at once (two imports, an import and a page): each
    stages in a folder of its own, and a newer version another process wrote is kept.
    """
    parent = folder.parent
    staging = parent / f".{folder.name}.{os.getpid()}.tmp"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name in FILES:
            records.table(name).to_parquet(staging / f"{name}.parquet", index=False)
        mine = _version_of(folder)
        for old in parent.iterdir():
            stale_staging = old.name.startswith(".") and time.time() - old.stat().st_mtime > 3600
            if old.is_dir() and old != staging and (stale_staging or _version_of(old) < mine):
                shutil.rmtree(old, ignore_errors=True)
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        # a read-only disk only costs the next cold start its speed-up; a folder another process
        # renamed into place first holds the same version


def _version_of(folder: Path) -> int:
    """The version a snapshot folder is named after (v12-<key format>); -1 for one of an older key format."""
    version, _, key = folder.name.partition("-")
    if not version.startswith("v") or not version[1:].isdigit():
        return 10**18 if folder.name.startswith(".") else -1  # staging folders are handled by age
    return int(version[1:]) if key == KEY_FORMAT else -1
