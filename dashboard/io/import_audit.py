"""What an import adds to the audit trail, and the analysts' corrections it would contradict.

Kept beside the importer (``io.importer`` calls these two functions): the history rows of a
write (each new record, each changed field with its old and new value, each record an import
removed) and, while planning, the conflicts: corrected fields whose imported value the file
changes. A correction is never overwritten (it is applied over the stored record when read,
``store.audit``); the import report lists each conflict so that an analyst can review it.
"""

from __future__ import annotations

import getpass
import os

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.records.schemas import SCHEMAS
from dashboard.store import audit
from dashboard.store.sql import typed_to_text
from dashboard.store.tables import TABLES, record_changes


def command_line_user() -> str:
    """Who runs a command on the server: the shell's user (the page passes its signed-in user)."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):  # no name for this uid
        return f"uid {os.getuid()} (command line)" if hasattr(os, "getuid") else "command line"


def _changed_text(steps: dict, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The updated rows before (as stored) and after (as imported), as canonical text, aligned."""
    before = steps.get("before")
    if before is None or before.empty:
        empty = pd.DataFrame(columns=list(SCHEMAS[table].columns), dtype="str")
        return empty, empty
    after = steps["updated"].reset_index(drop=True)
    return typed_to_text(before.reset_index(drop=True), table), typed_to_text(after, table)


def plan_conflicts(engine: Engine, plan: dict) -> list[dict]:
    """Corrections a planned write contradicts (see ``store.audit.conflicts``), for the report."""
    found: list[dict] = []  # the tables exist: plan_file prepared the schema first
    with engine.connect() as connection:
        for table in SCHEMAS:
            steps = plan.get(table)
            if steps and len(steps.get("updated", [])):
                found += audit.conflicts(connection, table, *_changed_text(steps, table))
    return found


def last_rowid(connection: Connection, table: str) -> int | None:
    """SQLite's largest rowid in ``table`` (rows inserted after it are new), None on other databases."""
    if connection.dialect.name != "sqlite":
        return None
    return int(connection.exec_driver_sql(f'SELECT max(rowid) FROM "{table}"').scalar() or 0)


def write_history(
    connection: Connection,
    plan: dict,
    batch_id: int,
    user: str,
    removed: dict[str, list],
    marks: dict[str, int | None],
) -> None:
    """The history rows of one file's write.

    Each new record gets an "added" row. On SQLite they are copied by one ``INSERT ... SELECT``
    of the rows past ``marks[table]`` (the largest rowid before the new rows went in): a first
    fill of a million records adds its history in a fraction of a second, not in a Python loop.
    """
    at = audit.now()
    rows: list[dict] = []
    for table in SCHEMAS:
        steps = plan.get(table)
        if not steps:
            continue
        before, after = _changed_text(steps, table)
        key = SCHEMAS[table].key
        mark = marks.get(table)
        added = [] if mark is not None else steps["new"][key].to_numpy(dtype=object)
        rows += audit.import_changes(table, added, before, after, batch_id=batch_id, user=user, at=at)
        if mark is not None and len(steps["new"]):
            _copy_added(connection, table, mark, batch_id=batch_id, user=user, at=at)
    base = {"changed_at": at, "user_name": user, "batch_id": batch_id, "action": "removed by import"}
    for table, ids in removed.items():
        rows += [{**base, "table_name": table, "record_id": record_id} for record_id in ids]
    audit.log_changes(connection, rows)


def _copy_added(connection: Connection, table: str, mark: int, *, batch_id: int, user: str, at) -> None:
    """An "added" history row for each row of ``table`` past rowid ``mark``, in the database."""
    key = TABLES[table].c[SCHEMAS[table].key]
    source = sa.select(
        sa.literal(at, sa.DateTime),
        sa.literal(user, sa.String),
        sa.literal("added", sa.String),
        sa.literal(table, sa.String),
        key,
        sa.literal(batch_id, sa.Integer),
    ).where(sa.literal_column("rowid") > mark)
    names = ["changed_at", "user_name", "action", "table_name", "record_id", "batch_id"]
    connection.execute(record_changes.insert().from_select(names, source))
