"""An analyst's corrections, retractions and restorings of stored records, each written with its history.

Each function checks what it is given against the record schemas (``records.edits``) and the
stored records, then writes in one transaction under the store's import lock: the decision
(``record_corrections`` / ``record_retractions``), a history row per change
(``record_changes``) and a batch log row that moves the store's version on. The CLI
(``impact correct|retract|restore``) and the page's corrections section call these and
nothing else; the role check happens before (``io.users.may``).

Examples
--------
>>> from dashboard.config import Settings
>>> from dashboard.io.open import open_store
>>> engine = open_store(Settings.from_env({"IMPACT_DB_URL": "sqlite://"}))
>>> changed = correct(engine, "incidents", "inc-001", {"injured": "7"}, "a later report says 7", "ana")
>>> [(c["field"], c["old_value"], c["new_value"]) for c in changed]
[('injured', '6', '7')]
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.records.edits import BadEdit, check_reason, check_value
from dashboard.records.schemas import SCHEMAS
from dashboard.store import audit
from dashboard.store.lock import import_holder, locked_transaction
from dashboard.store.migrate import prepare_schema
from dashboard.store.sql import read_table_text
from dashboard.store.tables import TABLES, record_changes, record_corrections, record_retractions

DEFAULT_TIMEOUT = 30.0


class UnknownRecord(KeyError):
    """No stored record has this id (in the table given, or in any)."""


def find_table(engine: Engine, record_id: str, table: str | None = None) -> str:
    """The table holding ``record_id``; ``table`` checks it is there. Ambiguous ids need a table."""
    tables = [table] if table else list(SCHEMAS)
    if table is not None and table not in SCHEMAS:
        raise BadEdit(f"unknown table {table!r}: one of {', '.join(SCHEMAS)}")
    holding = []
    with engine.connect() as connection:
        for name in tables:
            key = TABLES[name].c[SCHEMAS[name].key]
            if connection.execute(sa.select(key).where(key == record_id).limit(1)).first() is not None:
                holding.append(name)
    if not holding:
        raise UnknownRecord(record_id)
    if len(holding) > 1:
        raise BadEdit(f"{record_id!r} is in {' and '.join(holding)}: say which with --table")
    return holding[0]


def current_text(engine: Engine, table: str, record_id: str) -> dict[str, str]:
    """One record's fields as canonical text, corrections applied (what the page shows an analyst)."""
    stored = read_table_text(engine, table, [record_id])
    if stored.empty:
        raise UnknownRecord(record_id)
    fields = stored.iloc[0].to_dict()
    with engine.connect() as connection:
        fixes = _fixes(connection, table, record_id)
    return fields | fixes


def _fixes(connection: Connection, table: str, record_id: str) -> dict[str, str]:
    where = (record_corrections.c.table_name == table) & (record_corrections.c.record_id == record_id)
    query = sa.select(record_corrections.c.field, record_corrections.c.value).where(where)
    return dict(connection.execute(query).all())


def correct(
    engine: Engine,
    table: str,
    record_id: str,
    changes: dict[str, str],
    reason: str,
    user: str,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[dict]:
    """Set fields of one record; returns the changes made (field, old_value, new_value).

    A value equal to the current one changes nothing; a value equal to what the source gave
    removes the correction (the record is as imported again). Raises :class:`BadEdit` for an
    unknown field, the key, a value its column refuses, an unknown referenced id or a blank
    reason, and :class:`UnknownRecord` for an id the table does not hold.
    """
    reason = check_reason(reason)
    if not changes:
        raise BadEdit("give at least one FIELD=VALUE")
    values = {field: check_value(table, field, value) for field, value in changes.items()}
    prepare_schema(engine)
    imported = read_table_text(engine, table, [record_id])
    if imported.empty:
        raise UnknownRecord(record_id)
    _check_references(engine, table, values)
    imported_fields = imported.iloc[0].to_dict()
    made: list[dict] = []
    with locked_transaction(engine, import_holder(f"correct {record_id}"), timeout) as connection:
        fixes = _fixes(connection, table, record_id)
        at = audit.now()
        for field, value in values.items():
            old = fixes.get(field, imported_fields[field])
            if value == old:
                continue
            key = (
                (record_corrections.c.table_name == table)
                & (record_corrections.c.record_id == record_id)
                & (record_corrections.c.field == field)
            )
            connection.execute(record_corrections.delete().where(key))
            if value != imported_fields[field]:
                connection.execute(
                    record_corrections.insert().values(
                        table_name=table,
                        record_id=record_id,
                        field=field,
                        value=value,
                        reason=reason,
                        user_name=user,
                        changed_at=at,
                    )
                )
            made.append({"field": field, "old_value": old, "new_value": value})
        if made:
            batch = audit.new_batch(connection, f"correct {table} {record_id}", "correction", user)
            base = {"changed_at": at, "user_name": user, "action": "corrected", "table_name": table}
            audit.log_changes(
                connection, [{**base, "record_id": record_id, "reason": reason, "batch_id": batch, **c} for c in made]
            )
    return made


def _check_references(engine: Engine, table: str, values: dict[str, str]) -> None:
    """A corrected id that points at another table must name a stored record there."""
    for field, value in values.items():
        target = SCHEMAS[table].columns[field].references
        if not target or value == "":
            continue
        target_table, target_column = target.split(".")
        column = TABLES[target_table].c[target_column]
        with engine.connect() as connection:
            if connection.execute(sa.select(column).where(column == value).limit(1)).first() is None:
                raise BadEdit(f"{field}: {value!r} is not the id of a stored record in {target_table}")


def retract(
    engine: Engine, table: str, record_id: str, reason: str, user: str, timeout: float = DEFAULT_TIMEOUT
) -> bool:
    """Retract a record: it leaves every total, map and export, and stays listed for analysts.

    Returns False when it was already retracted (nothing written).
    """
    return _set_retracted(engine, table, record_id, reason, user, timeout, retracted=True)


def restore(
    engine: Engine, table: str, record_id: str, reason: str, user: str, timeout: float = DEFAULT_TIMEOUT
) -> bool:
    """Undo a retraction; returns False when the record was not retracted (nothing written)."""
    return _set_retracted(engine, table, record_id, reason, user, timeout, retracted=False)


def _set_retracted(
    engine: Engine, table: str, record_id: str, reason: str, user: str, timeout: float, *, retracted: bool
) -> bool:
    reason = check_reason(reason)
    if table not in audit.RETRACTABLE:
        raise BadEdit(f"{table} records are corrected, not retracted: retract one of {', '.join(audit.RETRACTABLE)}")
    prepare_schema(engine)
    if read_table_text(engine, table, [record_id]).empty:
        raise UnknownRecord(record_id)
    action = "retracted" if retracted else "restored"
    where = (record_retractions.c.table_name == table) & (record_retractions.c.record_id == record_id)
    with locked_transaction(engine, import_holder(f"{action[:-2]} {record_id}"), timeout) as connection:
        was = connection.execute(sa.select(record_retractions.c.record_id).where(where)).first() is not None
        if was == retracted:
            return False
        at = audit.now()
        if retracted:
            connection.execute(
                record_retractions.insert().values(
                    table_name=table, record_id=record_id, reason=reason, user_name=user, retracted_at=at
                )
            )
        else:
            connection.execute(record_retractions.delete().where(where))
        batch = audit.new_batch(connection, f"{action[:-2]} {table} {record_id}", "correction", user)
        audit.log_changes(
            connection,
            [
                {
                    "changed_at": at,
                    "user_name": user,
                    "action": action,
                    "table_name": table,
                    "record_id": record_id,
                    "reason": reason,
                    "batch_id": batch,
                }
            ],
        )
    return True


def record_history(engine: Engine, record_id: str, table: str | None = None) -> tuple[str, pd.DataFrame]:
    """The table of a record and its history, oldest change first; a record an import removed has one too."""
    prepare_schema(engine)
    try:
        table = find_table(engine, record_id, table)
    except UnknownRecord:
        table = _table_in_history(engine, record_id, table)
    with engine.connect() as connection:
        return table, audit.history(connection, table, record_id)


def _table_in_history(engine: Engine, record_id: str, table: str | None) -> str:
    """The table whose history names ``record_id`` (a record no longer stored)."""
    query = sa.select(record_changes.c.table_name).where(record_changes.c.record_id == record_id).distinct()
    with engine.connect() as connection:
        tables = [name for (name,) in connection.execute(query) if table in (None, name)]
    if len(tables) != 1:
        if len(tables) > 1:
            raise BadEdit(f"{record_id!r} is in the history of {' and '.join(tables)}: say which with --table")
        raise UnknownRecord(record_id)
    return tables[0]
