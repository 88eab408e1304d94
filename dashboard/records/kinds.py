"""Column kinds: one object per kind owns everything the project does with a column of it.

A kind (text, id, date, count, number, code, list) says how a text cell is checked
(vectorised, with the rule in words for failure messages and the README), how
checked text becomes a typed column, the typed column's dtype, its SQL type, how a
typed value is written back as canonical text (CSV), as JSON and for the database,
and how stored values are read back. Adding a kind means adding one class here and
registering it in ``KINDS``; nothing else branches on the kind's name.

Examples
--------
>>> import pandas as pd
>>> KINDS["count"].parse(pd.Series(["3", ""])).tolist()
[3, <NA>]
>>> KINDS["date"].docs_type, KINDS["number"].docs_type
('date', 'decimal')
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

if TYPE_CHECKING:  # only for hints: schemas imports this module
    from dashboard.records.schemas import ColumnSpec

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_:\-]*$"
_EPOCH_DAY = np.datetime64("1970-01-01", "D")


def _matches(values: np.ndarray, pattern: str) -> np.ndarray:
    """Boolean array: which strings match the regular expression (pyarrow, no Python loop)."""
    return pc.match_substring_regex(pa.array(values, type=pa.string()), pattern).to_numpy(zero_copy_only=False)


def _blank_to_none(values: pd.Series) -> np.ndarray:
    """Object array of the text cells, None where blank (the store keeps blanks as NULL)."""
    array = values.to_numpy(dtype=object, na_value=None)
    array[(values == "").to_numpy(dtype=bool, na_value=True)] = None
    return array


# Every character Python's str.strip() removes (none lies above U+3000): a cell of only these is blank.
_PY_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
NOT_BLANK = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in _PY_WHITESPACE) + "]"


def blank_cells(text: pd.Series) -> np.ndarray:
    """Boolean array: which cells are missing or ``str.strip()`` to '' (pyarrow, no Python loop)."""
    array = pa.array(text.to_numpy(dtype=object, na_value=""), type=pa.large_string())
    return ~pc.match_substring_regex(array, NOT_BLANK).to_numpy(zero_copy_only=False)


_WHITESPACE_CLASS = NOT_BLANK.replace("[^", "[", 1)
_PADDED = f"^{_WHITESPACE_CLASS}|{_WHITESPACE_CLASS}$"


def _stripped(values: np.ndarray) -> np.ndarray:
    """Object array of ``str.strip()`` of each string; only padded strings pay a Python call."""
    stripped = np.array(values, dtype=object)
    if len(stripped):
        padded = np.flatnonzero(_matches(stripped, _PADDED))
        stripped[padded] = [value.strip() for value in stripped[padded]]
    return stripped


class Kind:
    """What every kind provides; the defaults are free text's, subclasses override what differs."""

    name: ClassVar[str] = "text"
    docs_type: ClassVar[str] = "text"  # the type column of data/README.md
    dtype: ClassVar[str] = "str"  # pandas dtype of the typed column
    textual: ClassVar[bool] = True  # typed values are strings (exports neutralise spreadsheet formulas)

    def rule_text(self, spec: ColumnSpec) -> str:
        """The rule for a non-blank cell, in words."""
        return "text"

    def rule(self, spec: ColumnSpec) -> str:
        """The full rule, as failure messages and the README state it."""
        text = self.rule_text(spec)
        return text if spec.required else f"{text}, or blank"

    def accepts(self, values: np.ndarray, spec: ColumnSpec) -> np.ndarray:
        """Boolean array: True where a stripped, non-blank cell follows the rule."""
        return np.ones(len(values), dtype=bool)

    def valid(self, text: pd.Series, spec: ColumnSpec) -> np.ndarray:
        """Boolean mask of the cells that pass: blank allowed unless required.

        The rule is checked once per distinct value, so a column of a few codes
        over a million rows costs one hash pass, and a small file a few microseconds.
        """
        codes, distinct = pd.factorize(text.to_numpy(dtype=object, na_value=""))
        stripped = _stripped(distinct)
        blank = stripped == ""
        passes = np.zeros(len(stripped), dtype=bool)
        if (~blank).any():
            passes[~blank] = self.accepts(stripped[~blank], spec)
        ok = (~blank & passes) if spec.required else (blank | passes)
        return ok[codes]

    def parse(self, text: pd.Series) -> pd.Series:
        """Typed column from validated, stripped text cells ('' is blank)."""
        return text.fillna("").astype(self.dtype)

    def from_stored(self, values: pd.Series) -> pd.Series:
        """Typed column from a column as the database returns it (NULL for blank)."""
        return values.astype(object).where(values.notna(), "").astype(self.dtype)

    def to_text(self, typed: pd.Series) -> pd.Series:
        """Canonical text cells ('' for blank) of a typed column."""
        return typed.astype(object).where(typed.notna(), "").astype("str")

    def csv_cells(self, typed: pd.Series) -> pd.Series:
        """The column as an export CSV writes it: canonical text, numbers left to pandas."""
        return self.to_text(typed)

    def to_json(self, value: object) -> object:
        """A JSON-safe value: None for blanks and missing numbers, never NaN or Infinity."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        text = str(value)
        return text if text.strip() else None

    def sql_type(self) -> sa.types.TypeEngine:
        return sa.Text()

    def to_db(self, typed: pd.Series, dialect: str) -> np.ndarray:
        """Object array of DB-API parameters for a typed column (None for blank)."""
        return _blank_to_none(typed)

    def db_select(self, column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
        """The expression that reads the column in the form ``from_stored`` expects."""
        return column

    def hashable(self, typed: pd.Series) -> np.ndarray:
        """A plain numpy array of the values, equal exactly when the typed values are equal."""
        return typed.to_numpy(dtype=object, na_value="")


class TextKind(Kind):
    name = "text"

    def valid(self, text: pd.Series, spec: ColumnSpec) -> np.ndarray:
        # Any text passes, so only blankness counts: one regular-expression pass, no factorizing.
        if not spec.required:
            return np.ones(len(text), dtype=bool)
        return ~blank_cells(text)

    def rule(self, spec: ColumnSpec) -> str:
        return "text, not blank" if spec.required else "text, or blank"


class IdKind(Kind):
    name = "id"
    docs_type = "identifier"

    def rule_text(self, spec: ColumnSpec) -> str:
        return "an identifier of letters, digits, '-', '_' or ':'"

    def accepts(self, values: np.ndarray, spec: ColumnSpec) -> np.ndarray:
        return _matches(values, _ID_PATTERN)

    def sql_type(self) -> sa.types.TypeEngine:
        return sa.String(128)


class CodeKind(Kind):
    name = "code"
    docs_type = "code"

    def rule_text(self, spec: ColumnSpec) -> str:
        return f"one of: {', '.join(spec.vocabulary)}"

    def accepts(self, values: np.ndarray, spec: ColumnSpec) -> np.ndarray:
        return np.isin(values, np.array(spec.vocabulary, dtype=object))

    def sql_type(self) -> sa.types.TypeEngine:
        return sa.String(64)


class ListKind(Kind):
    name = "list"
    docs_type = "list"

    def rule_text(self, spec: ColumnSpec) -> str:
        return f"one or more of {', '.join(spec.vocabulary)}, separated by ';'"

    def accepts(self, values: np.ndarray, spec: ColumnSpec) -> np.ndarray:
        allowed = set(spec.vocabulary)
        return np.array([all(part.strip() in allowed for part in cell.split(";")) for cell in values], dtype=bool)


class DateKind(Kind):
    name = "date"
    docs_type = "date"
    dtype = "datetime64[us]"
    textual = False

    def rule_text(self, spec: ColumnSpec) -> str:
        return "a calendar date written YYYY-MM-DD"

    def accepts(self, values: np.ndarray, spec: ColumnSpec) -> np.ndarray:
        shaped = _matches(values, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        parsed = pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%d", errors="coerce")
        return shaped & parsed.notna().to_numpy(dtype=bool)

    def parse(self, text: pd.Series) -> pd.Series:
        return pd.to_datetime(text.replace("", None), format="%Y-%m-%d").astype(self.dtype)

    def from_stored(self, values: pd.Series) -> pd.Series:
        # ``db_select`` reads a date as whole days since 1970-01-01: no text on the way.
        days = pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(days)
        dates = (_EPOCH_DAY + np.where(missing, 0, days).astype("int64")).astype(self.dtype)
        dates[missing] = np.datetime64("NaT")
        return pd.Series(dates, index=values.index)

    def db_select(self, column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
        if dialect == "sqlite":
            days = sa.cast(sa.func.julianday(column) - 2440587.5, sa.Integer)
        elif dialect == "postgresql":
            days = column - sa.literal_column("DATE '1970-01-01'")
        else:
            days = sa.func.datediff(column, sa.literal("1970-01-01"))  # MySQL, MariaDB
        return days.label(column.name)

    def to_text(self, typed: pd.Series) -> pd.Series:
        return pd.to_datetime(typed).dt.strftime("%Y-%m-%d").fillna("").astype("str")

    def to_json(self, value: object) -> object:
        if value is None or pd.isna(value):
            return None
        return pd.Timestamp(value).strftime("%Y-%m-%d")

    def sql_type(self) -> sa.types.TypeEngine:
        return sa.Date()

    def to_db(self, typed: pd.Series, dialect: str) -> np.ndarray:
        # SQLite keeps a date as its ISO text (as SQLAlchemy's Date does); other drivers want dates.
        if dialect == "sqlite":
            return _blank_to_none(self.to_text(typed))
        # A blank date (NaT) must reach the driver as None: ``.dt.date`` gives NaN for it.
        return np.where(typed.isna().to_numpy(dtype=bool), None, typed.dt.date.to_numpy(dtype=object))

    def hashable(self, typed: pd.Series) -> np.ndarray:
        return typed.astype(self.dtype).to_numpy().view("int64")


class CountKind(Kind):
    name = "count"
    docs_type = "integer"
    dtype = "Int64"
    textual = False

    def rule_text(self, spec: ColumnSpec) -> str:
        return "a whole number >= 0"

    def accepts(self, values: np.ndarray, spec: ColumnSpec) -> np.ndarray:
        return _matches(values, r"^[0-9]+$")  # \d would admit other scripts' digits

    def parse(self, text: pd.Series) -> pd.Series:
        return pd.to_numeric(text.replace("", None)).astype(self.dtype)

    def from_stored(self, values: pd.Series) -> pd.Series:
        return values.astype("Float64").astype(self.dtype)

    def to_text(self, typed: pd.Series) -> pd.Series:
        # pandas 3 turns a missing value into a missing str (pandas 2 into "<NA>"): both are blank.
        return typed.astype(self.dtype).astype("str").replace("<NA>", "").fillna("")

    def csv_cells(self, typed: pd.Series) -> pd.Series:
        return typed

    def to_json(self, value: object) -> object:
        return None if value is None or pd.isna(value) else int(value)

    def sql_type(self) -> sa.types.TypeEngine:
        return sa.BigInteger()

    def to_db(self, typed: pd.Series, dialect: str) -> np.ndarray:
        return typed.astype(self.dtype).to_numpy(dtype=object, na_value=None)

    def hashable(self, typed: pd.Series) -> np.ndarray:
        return typed.astype(self.dtype).to_numpy(dtype="int64", na_value=-1)  # counts are >= 0


class NumberKind(Kind):
    name = "number"
    docs_type = "decimal"
    dtype = "Float64"
    textual = False

    def rule_text(self, spec: ColumnSpec) -> str:
        return f"a number from {spec.low} to {spec.high}"

    def accepts(self, values: np.ndarray, spec: ColumnSpec) -> np.ndarray:
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            return (numbers >= spec.low) & (numbers <= spec.high)

    def parse(self, text: pd.Series) -> pd.Series:
        return pd.to_numeric(text.replace("", None)).astype(self.dtype)

    def from_stored(self, values: pd.Series) -> pd.Series:
        return values.astype(self.dtype)

    def to_text(self, typed: pd.Series) -> pd.Series:
        # pandas 3 turns a missing value into a missing str (pandas 2 into "<NA>"): both are blank.
        return typed.astype(self.dtype).astype("str").replace("<NA>", "").fillna("")

    def csv_cells(self, typed: pd.Series) -> pd.Series:
        return typed

    def to_json(self, value: object) -> object:
        if value is None or pd.isna(value):
            return None
        return float(value) if math.isfinite(float(value)) else None

    def sql_type(self) -> sa.types.TypeEngine:
        return sa.Float()

    def to_db(self, typed: pd.Series, dialect: str) -> np.ndarray:
        return typed.astype(self.dtype).to_numpy(dtype=object, na_value=None)

    def hashable(self, typed: pd.Series) -> np.ndarray:
        return typed.astype(self.dtype).to_numpy(dtype="float64", na_value=np.nan)


KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (TextKind(), IdKind(), DateKind(), CountKind(), NumberKind(), CodeKind(), ListKind())
}
