"""The audit trail: corrections and retractions by analysts, and the history of every change of a record.

The record tables hold records as their sources gave them; an analyst's correction (a field's
new value) and a retraction are kept beside them (``record_corrections``,
``record_retractions``) and applied when the records are read (:func:`apply_decisions`), the
way accepted links are. So a re-import of the source still finds its rows unchanged, and one
that brings a new value for a corrected field cannot overwrite the correction: the importer
lists it as a conflict (:func:`conflicts`). Every change (an import's new record or changed
field, a correction, a retraction or restoring, a link decision) adds a row to
``record_changes`` with who, when, the old and new value and why; rows are never updated.
Each write also adds a batch log row, so the store's version moves on and every page reads
the records again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard.records.load import RETRACTED_COLUMNS
from dashboard.records.schemas import SCHEMAS
from dashboard.store.tables import import_batches, record_changes, record_corrections, record_retractions

# Records an analyst may retract: events and their effects. A facility or a source is corrected
# instead (retracting a registry facility would leave impacts pointing nowhere).
RETRACTABLE = ("incidents", "impacts", "salvos")
HISTORY_COLUMNS = ["changed_at", "user_name", "action", "field", "old_value", "new_value", "reason", "batch_id"]


def now() -> datetime:
    """The time a change is recorded at: UTC, without a zone (as the batch log keeps it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_batch(connection: Connection, what: str, fmt: str, user: str) -> int:
    """A batch log row for a change that is not a file import: the store's version moves on."""
    result = connection.execute(
        import_batches.insert().values(
            file=what,
            sha256=hashlib.sha256(what.encode()).hexdigest(),
            imported_at=now(),
            rows_read=0,
            accepted=0,
            rejected=0,
            format=fmt,
            user_name=user,
        )
    )
    return int(result.inserted_primary_key[0])


CHANGE_COLUMNS = [c.name for c in record_changes.columns if c.name != "change_id"]


def log_changes(connection: Connection, rows: list[dict]) -> None:
    """Append rows to the history (each a dict of ``HISTORY_COLUMNS`` plus table_name, record_id).

    Rows may leave columns out (an "added" row has no field): each gets every column, blank as
    NULL, since one executemany needs the same parameters in every row.
    """
    if rows:
        connection.execute(record_changes.insert(), [{name: row.get(name) for name in CHANGE_COLUMNS} for row in rows])


# --- applied when records are read -------------------------------------------------------------


def corrections(connection: Connection) -> pd.DataFrame:
    """The corrections in force, one row per record and field."""
    return pd.read_sql(sa.select(record_corrections), connection)


def retractions(connection: Connection) -> pd.DataFrame:
    """The records retracted now, newest first."""
    query = sa.select(*(record_retractions.c[name] for name in RETRACTED_COLUMNS))
    frame = pd.read_sql(query.order_by(record_retractions.c.retracted_at.desc()), connection)
    return frame.astype({"table_name": "str", "record_id": "str", "reason": "str", "user_name": "str"})


def apply_decisions(
    connection: Connection, frames: dict[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Typed record frames with the analysts' corrections applied and retracted records taken out.

    Returns the frames and the retracted records (``RETRACTED_COLUMNS``). An incident's
    retraction takes its impacts out with it: what a retracted attack cut off is not counted.
    """
    fixes = corrections(connection)
    for (table, field), rows in fixes.groupby(["table_name", "field"], sort=False) if not fixes.empty else []:
        frames[table] = _with_values(frames[table], table, field, rows)
    retracted = retractions(connection)
    for table in RETRACTABLE:
        gone = set(retracted.loc[retracted["table_name"] == table, "record_id"])
        if gone:
            key = SCHEMAS[table].key
            frames[table] = frames[table][~frames[table][key].isin(gone)].reset_index(drop=True)
    gone_incidents = set(retracted.loc[retracted["table_name"] == "incidents", "record_id"])
    if gone_incidents:
        impacts = frames["impacts"]
        frames["impacts"] = impacts[~impacts["incident_id"].isin(gone_incidents)].reset_index(drop=True)
    return frames, retracted


def _with_values(frame: pd.DataFrame, table: str, field: str, rows: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the corrected values of one field, typed as its kind reads canonical text."""
    spec = SCHEMAS[table].columns.get(field)
    if spec is None or frame.empty:
        return frame  # a field a later version dropped: the correction is kept, not applied
    values = dict(zip(rows["record_id"], rows["value"], strict=True))
    at = frame[SCHEMAS[table].key].map(values)
    hit = at.notna().to_numpy()
    if not hit.any():
        return frame
    parsed = spec.column_kind.parse(pd.Series(at[hit].to_numpy(), dtype="str").str.strip())
    column = frame[field].copy()
    column[hit] = parsed.to_numpy()
    frame[field] = column.astype(frame[field].dtype)
    return frame


def last_changed(connection: Connection, table: str) -> pd.Series:
    """When each record of ``table`` last changed (any action), indexed by record id."""
    query = (
        sa.select(record_changes.c.record_id, sa.func.max(record_changes.c.changed_at).label("last_changed"))
        .where(record_changes.c.table_name == table)
        .group_by(record_changes.c.record_id)
    )
    frame = pd.read_sql(query, connection)
    return frame.set_index("record_id")["last_changed"]


def history(connection: Connection, table: str, record_id: str) -> pd.DataFrame:
    """Every change of one record, oldest first, with the file of the batch that made it."""
    query = (
        sa.select(*(record_changes.c[name] for name in HISTORY_COLUMNS), import_batches.c.file)
        .select_from(record_changes.outerjoin(import_batches, record_changes.c.batch_id == import_batches.c.batch_id))
        .where((record_changes.c.table_name == table) & (record_changes.c.record_id == record_id))
        .order_by(record_changes.c.change_id)
    )
    return pd.read_sql(query, connection)


# --- what an import records ----------------------------------------------------------------------


def import_changes(
    table: str,
    added: Iterable[str],
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    batch_id: int,
    user: str,
    at: datetime,
) -> list[dict]:
    """History rows for one table of an import: one per new record, one per changed field.

    ``before`` and ``after`` are the changed rows as canonical text (stored, then imported),
    with the same index.
    """
    base = {"changed_at": at, "user_name": user, "table_name": table, "batch_id": batch_id}
    rows = [{**base, "action": "added", "record_id": record_id} for record_id in added]
    key = SCHEMAS[table].key
    for field in SCHEMAS[table].columns:
        if field == key or before.empty:
            continue
        differs = (before[field] != after[field]).to_numpy()
        for record_id, old, new in zip(
            after[key].to_numpy()[differs],
            before[field].to_numpy()[differs],
            after[field].to_numpy()[differs],
            strict=True,
        ):
            rows.append(
                {
                    **base,
                    "action": "imported",
                    "record_id": record_id,
                    "field": field,
                    "old_value": old,
                    "new_value": new,
                }
            )
    return rows


def conflicts(connection: Connection, table: str, before: pd.DataFrame, after: pd.DataFrame) -> list[dict]:
    """Corrected fields whose imported value a re-import changes: the correction stays, listed for review."""
    fixes = pd.read_sql(sa.select(record_corrections).where(record_corrections.c.table_name == table), connection)
    retracted = set(
        connection.execute(
            sa.select(record_retractions.c.record_id).where(record_retractions.c.table_name == table)
        ).scalars()
    )
    if (fixes.empty and not retracted) or before.empty:
        return []
    key = SCHEMAS[table].key
    old = before.set_index(key)
    new = after.set_index(key)
    found = []
    for fix in fixes.itertuples(index=False):
        if fix.record_id in new.index and fix.field in new.columns:
            was, now_is = old.at[fix.record_id, fix.field], new.at[fix.record_id, fix.field]
            if was != now_is and now_is != fix.value:
                found.append(
                    {
                        "table": table,
                        "record_id": fix.record_id,
                        "field": fix.field,
                        "imported_before": was,
                        "imported_now": now_is,
                        "corrected_to": fix.value,
                        "corrected_by": fix.user_name,
                        "reason": fix.reason,
                    }
                )
    for record_id in sorted(retracted & set(new.index)):
        found.append(
            {
                "table": table,
                "record_id": record_id,
                "field": "",
                "imported_before": "",
                "imported_now": "changed",
                "corrected_to": "retracted",
                "corrected_by": "",
                "reason": "the source changed a retracted record",
            }
        )
    return found
