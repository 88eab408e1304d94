"""Extracts of exactly the filtered rows, safe to open in a spreadsheet.

Examples
--------
>>> neutralise_formula("=HYPERLINK(\\"x\\")")
'\\'=HYPERLINK("x")'
>>> neutralise_formula("Kherson")
'Kherson'
"""

from __future__ import annotations

import pandas as pd

from dashboard.records.schemas import SCHEMAS

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would read as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


# Columns an export adds when asked (``impact export --last-changed``), after the schema's.
OPTIONAL_COLUMNS = {
    "last_changed": "When the record last changed (added or updated by an import, corrected, retracted or "
    "restored, a link decided), UTC, ISO 8601; see impact history ID.",
}


def export_frame(frame: pd.DataFrame, table: str = "incidents") -> pd.DataFrame:
    """The documented columns of ``table``, text neutralised, numbers untouched, dates ISO.

    The optional columns (``OPTIONAL_COLUMNS``) the frame holds follow, as text.
    """
    columns = SCHEMAS[table].columns
    out = pd.DataFrame(index=frame.index)
    for name, spec in columns.items():
        kind = spec.column_kind
        cells = kind.csv_cells(frame[name])
        out[name] = cells.map(neutralise_formula) if kind.textual else cells
    for name in optional_columns(frame):
        out[name] = frame[name].fillna("").astype("str")
    return out


def optional_columns(frame: pd.DataFrame) -> list[str]:
    """The optional export columns ``frame`` holds, in their order."""
    return [name for name in OPTIONAL_COLUMNS if name in frame.columns]


def to_csv_bytes(frame: pd.DataFrame, table: str = "incidents") -> bytes:
    """CSV (UTF-8, header row of documented column names) of the given rows."""
    return export_frame(frame, table).to_csv(index=False).encode("utf-8")
