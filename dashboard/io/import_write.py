"""Compare planned records with the store, and write one file's changes with its batch row and history.

The importer (``io.importer``) plans a file (read, translate, validate), then calls
:func:`plan_changes` to sort its records into new, updated and unchanged by a hash of
their typed values, and :func:`write_file` inside its locked transaction.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from dashboard.io.import_audit import last_rowid, write_history
from dashboard.io.report import ImportReport
from dashboard.records.load import Records
from dashboard.records.schemas import SCHEMAS
from dashboard.store import audit
from dashboard.store.sql import TABLES, import_batches, insert_frame, read_table_typed

Progress = Callable[[float, str], None]


def row_hashes(frame: pd.DataFrame, table: str) -> pd.Series:
    """One hash per typed row, indexed by key: equal exactly when every column's value is equal.

    Each kind gives its column as a plain numpy array (dates as integers, blanks as
    one sentinel), so incoming and stored rows hash alike without becoming text.
    """
    combined = np.zeros(len(frame), dtype="uint64")
    with np.errstate(over="ignore"):  # the combination wraps around by design
        for name, spec in SCHEMAS[table].columns.items():
            column = pd.util.hash_array(spec.column_kind.hashable(frame[name]))
            combined = (combined * np.uint64(1_000_003)) ^ column
    return pd.Series(combined, index=frame[SCHEMAS[table].key].to_numpy(dtype=object))


def plan_changes(engine: Engine, records: Records) -> dict:
    """For each table: rows to insert, rows to replace, how many are unchanged."""
    plan: dict[str, dict] = {}
    for table in SCHEMAS:
        incoming = records.table(table)
        if incoming.empty:
            continue
        key = SCHEMAS[table].key
        keys = incoming[key].to_numpy(dtype=object)
        stored = read_table_typed(engine, table, ids=keys.tolist())
        if stored.empty:  # nothing to compare with (a first fill): every row is new, no hashing
            plan[table] = {"new": incoming, "updated": incoming.iloc[:0], "unchanged": 0}
            continue
        incoming_hashes = row_hashes(incoming, table).to_numpy()
        stored_hashes = row_hashes(stored, table)
        # Position of each incoming key among the stored rows, -1 when new.
        position = pd.Index(stored_hashes.index).get_indexer(keys)
        is_stored = position >= 0
        same = np.zeros(len(keys), dtype=bool)
        same[is_stored] = incoming_hashes[is_stored] == stored_hashes.to_numpy()[position[is_stored]]
        changed = is_stored & ~same
        plan[table] = {
            "new": incoming[~is_stored],
            "updated": incoming[changed],
            "before": stored.iloc[position[changed]],  # the same rows as stored: the history's old values
            "unchanged": int(same.sum()),
        }
    return plan


def write_file(connection: Connection, plan: dict, report: ImportReport, progress: Progress) -> int:
    """One file's changes: replaced rows deleted and inserted again, new rows inserted, one batch row."""
    deleted = plan.pop("deleted", [])
    removed = {"incidents": list(deleted)}
    for chunk in (deleted[start : start + 5000] for start in range(0, len(deleted), 5000)):
        connection.execute(TABLES["impacts"].delete().where(TABLES["impacts"].c.incident_id.in_(chunk)))
        connection.execute(TABLES["incidents"].delete().where(TABLES["incidents"].c.incident_id.in_(chunk)))
    stale = plan.pop("stale", {})
    for table in ("impacts", "assets"):
        removed[table] = list(stale.get(table, []))
    for table in ("impacts", "assets"):  # impacts first: they point at the assets
        chunks = stale.get(table, [])
        for chunk in (chunks[start : start + 5000] for start in range(0, len(chunks), 5000)):
            connection.execute(TABLES[table].delete().where(TABLES[table].c[SCHEMAS[table].key].in_(chunk)))
    marks: dict[str, int | None] = {}
    for table, steps in plan.items():
        key_column = TABLES[table].c[SCHEMAS[table].key]
        updated = steps["updated"]
        for start in range(0, len(updated), 5000):
            ids = list(updated[SCHEMAS[table].key].iloc[start : start + 5000])
            connection.execute(TABLES[table].delete().where(key_column.in_(ids)))
        for frame in (updated, steps["new"]):
            if frame is steps["new"]:
                marks[table] = last_rowid(connection, table)  # rows past it are this file's new records
            for start in range(0, len(frame), 100_000):
                insert_frame(connection, table, frame.iloc[start : start + 100_000])
                progress(0.7 + 0.25 * min(1.0, (start + 100_000) / max(len(frame), 1)), f"writing {table}")
    result = connection.execute(
        import_batches.insert().values(
            file=report.file,
            sha256=report.sha256,
            imported_at=audit.now(),
            rows_read=report.rows_read,
            accepted=report.accepted,
            rejected=report.rejected,
            updated=report.updated,
            unchanged=report.unchanged,
            duplicates=report.duplicates,
            format=report.format,
            user_name=report.user,
        )
    )
    batch_id = int(result.inserted_primary_key[0])
    write_history(connection, plan, batch_id, report.user, removed, marks)
    return batch_id
