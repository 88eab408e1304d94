"""Checks on an analyst's edit of one stored record: the field exists, the value follows its column's rule.

Examples
--------
>>> check_value("incidents", "killed", " 3 ")
'3'
>>> check_value("incidents", "killed", "three")
Traceback (most recent call last):
...
dashboard.records.edits.BadEdit: killed: 'three' breaks the rule: a whole number >= 0, or blank
"""

from __future__ import annotations

import pandas as pd

from dashboard.records.schemas import SCHEMAS

MAX_REASON = 2000
MAX_VALUE = 20_000


class BadEdit(ValueError):
    """An edit the schema refuses; the message names the field, the value and the rule."""


def check_value(table: str, field: str, value: str) -> str:
    """The value as the store's canonical text; :class:`BadEdit` unless the column accepts it."""
    schema = SCHEMAS.get(table)
    if schema is None:
        raise BadEdit(f"unknown table {table!r}: one of {', '.join(SCHEMAS)}")
    spec = schema.columns.get(field)
    if spec is None:
        raise BadEdit(
            f"{table} has no field {field!r}: one of {', '.join(c for c in schema.columns if c != schema.key)}"
        )
    if field == schema.key:
        raise BadEdit(f"{field} is the record's id: it cannot be corrected (retract the record instead)")
    if len(value) > MAX_VALUE:
        raise BadEdit(f"{field}: the value is longer than {MAX_VALUE:,} characters")
    text = pd.Series([value.strip()], dtype="str")
    if not spec.column_kind.valid(text, spec)[0]:
        raise BadEdit(f"{field}: {value.strip()!r} breaks the rule: {spec.rule()}")
    return str(spec.column_kind.to_text(spec.column_kind.parse(text)).iloc[0])


def check_reason(reason: str | None) -> str:
    """The reason, stripped; every correction, retraction and restoring must say why."""
    text = (reason or "").strip()
    if not text:
        raise BadEdit("give a reason (--reason): every change says why")
    if len(text) > MAX_REASON:
        raise BadEdit(f"the reason is longer than {MAX_REASON:,} characters")
    return text


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["killed=3", "place=Kherson"]`` as a dict; a pair without ``=`` is refused.

    >>> parse_assignments(["killed=3", "notes=a=b"])
    {'killed': '3', 'notes': 'a=b'}
    """
    changes: dict[str, str] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise BadEdit(f"{pair!r} is not FIELD=VALUE")
        changes[field.strip()] = value
    return changes
