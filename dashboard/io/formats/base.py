"""What every input format returns: canonical text rows keyed by input line, and what it could not translate.

An adapter never raises on bad data: a row it cannot translate is reported with
the input's line number, the input column, the value and the rule, and the row
is left out of ``tables``. Validation of the translated rows against the schemas
happens afterwards in ``dashboard.io.importer``, so adapters only translate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd


@dataclass
class Translation:
    """Canonical rows from one input file.

    Attributes
    ----------
    source : dict or None
        One ``sources`` row (text values, canonical columns) describing the dataset the
        file comes from, or None when the file carries its own sources table.
    tables : dict
        Table name ("incidents", "assets", "impacts", "salvos", "sources") to a frame of
        text cells in canonical columns, indexed by the input line each row came from.
        ``incidents.incident_id`` is already the record's identity (see ``identity_note``).
    failures : list of dict
        Rows that could not be translated: keys file, line, column, value, rule, where
        ``column`` names the input's own column.
    origins : dict
        Canonical field to the input column it came from, so that schema failures found
        later can name the column the user has to fix.
    identity_note : str
        How the format decided which rows are the same event, for the import report.
    duplicate_lines : set of int
        Rows the format itself found to be the same event as an earlier row (kept out of
        ``tables``); exact repeats of a whole input row are found by the importer.
    unmapped : dict
        Input column to {value: rows} for values the mapping turned into nothing (e.g. an
        area type no asset type matches), so the report names them instead of dropping them.
    replaces_impacts : bool
        Whether the file gives every impact of its incidents, so that a stored impact of one
        of them the file no longer gives is removed (a corrected facility type).
    """

    source: dict | None
    tables: dict[str, pd.DataFrame]
    failures: list[dict] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    identity_note: str = ""
    duplicate_lines: set[int] = field(default_factory=set)
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)
    replaces_impacts: bool = False


def parse_dates(values: pd.Series, formats: Sequence[str]) -> pd.Series:
    """``YYYY-MM-DD`` for every cell the first of ``formats`` that reads it in full reads, else "".

    Each distinct value is parsed once (``datetime.strptime``), so a long file of a few
    thousand distinct dates costs a few thousand parses. Nothing is guessed: a cell no
    format reads becomes blank, for the adapter to report.
    """
    parsed = {value: _parse_date(value, formats) for value in values.unique() if value}
    return values.map(parsed).fillna("").astype("str")


def _parse_date(value: str, formats: Sequence[str]) -> str:
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return ""
