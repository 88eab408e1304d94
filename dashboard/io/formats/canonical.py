"""The project's own record files (as in ``data/`` or as ``impact export`` writes them).

The table is recognised from the header: the first of impact_id, salvo_id,
asset_id, incident_id, source_id present names it. An HXL hashtag row under the
header is skipped, and the apostrophe an export puts before a would-be formula is
taken off again, so an exported file re-imports as the records it came from.
"""

from __future__ import annotations

import pandas as pd

from dashboard.io.csv_writer import FORMULA_STARTS
from dashboard.io.formats.base import Translation
from dashboard.io.formats.registry import InputFormat, register
from dashboard.records.failures import failure
from dashboard.records.schemas import SCHEMAS

_KEYS_IN_ORDER = ("impact_id", "salvo_id", "asset_id", "incident_id", "source_id")


def table_of(columns: list[str]) -> str | None:
    """The record table a header belongs to, or None."""
    for key in _KEYS_IN_ORDER:
        if key in columns:
            return next(name for name, schema in SCHEMAS.items() if schema.key == key)
    return None


def missing_columns(columns: list[str]) -> list[str]:
    """The columns a record file's header lacks: its table's, or a key naming the table."""
    table = table_of(list(columns))
    if table is None:
        return ["one of " + "/".join(_KEYS_IN_ORDER) + " (it names the record table)"]
    return [name for name, spec in SCHEMAS[table].columns.items() if not spec.header_optional and name not in columns]


def _is_hxl_row(row: pd.Series) -> bool:
    cells = [cell.strip() for cell in row if cell.strip()]
    return bool(cells) and all(cell.startswith("#") for cell in cells)


def _restore_formula_text(values: pd.Series) -> pd.Series:
    starts = values.str.startswith("'")
    if not starts.any():  # most columns: one vectorised test, no copy
        return values
    starts &= values.str[1:2].isin(FORMULA_STARTS)
    return values.where(~starts, values.str[1:])


def translate_canonical(raw: pd.DataFrame, file: str) -> Translation:
    table = table_of(list(raw.columns))
    if table is None:
        keys = ", ".join(_KEYS_IN_ORDER)
        return Translation(None, {}, [failure(file, 1, "", ",".join(raw.columns), f"header names none of {keys}")])
    if len(raw) and _is_hxl_row(raw.iloc[0]):
        raw = raw.iloc[1:]
    frame = raw.apply(_restore_formula_text) if len(raw) else raw
    return Translation(
        source=None,
        tables={table: frame},
        identity_note=f"identity: the {SCHEMAS[table].key} column",
    )


register(
    InputFormat(
        name="canonical",
        title="This project's record files (or an export of this dashboard)",
        help=("the project's own record files, or a folder of them; an exported CSV re-imports as the same records"),
        detects=lambda header: table_of(list(header)) is not None,
        missing=missing_columns,
        translate=lambda raw, file, mapping_path: translate_canonical(raw, file),
    )
)
