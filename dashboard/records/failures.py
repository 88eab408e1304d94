"""One failure row: the shape every validation, import report and quarantine reason uses."""

from __future__ import annotations

FAILURE_COLUMNS = ["file", "line", "column", "value", "rule"]


def failure(file: str, line: int | None, column: str, value: object, rule: str) -> dict:
    """A failure naming file, line, column, value and rule.

    Parameters
    ----------
    file : str
        File name as the user knows it.
    line : int or None
        Line the row starts on (1 is the header: the whole file), None when not tied to a line.
    column : str
        Column to fix, or "" for the whole row.
    value : object
        The value found; None becomes "", anything else its text.
    rule : str
        What the value must be, in words a user can act on.
    """
    return {"file": file, "line": line, "column": column, "value": "" if value is None else str(value), "rule": rule}
