"""Load record files, validate every row, keep the good ones and say exactly what is wrong with the rest.

A failure names file, line, column, value and rule. Checks run over the whole
file, a column at a time (each column's kind, ``records.kinds``), rather than stopping at the first problem,
then across files: ids that must exist elsewhere, and quotes that must appear
word for word in the source document.

Examples
--------
>>> from pathlib import Path
>>> report = load_records(Path("data"))
>>> len(report.records.incidents), report.failures.empty
(5, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.records.checks import cross_file_failures

# The CSV reader lives in records/csv_text.py; these names stay importable from here.
from dashboard.records.csv_text import CsvText, read_csv_text, read_header, read_text_csv
from dashboard.records.failures import FAILURE_COLUMNS, failure
from dashboard.records.schemas import SCHEMAS, RecordSchema
from geo.place_ids import record_place_keys

# What is listed of a retracted record (``Records.retracted``; written by ``store.audit``).
RETRACTED_COLUMNS = ["table_name", "record_id", "reason", "user_name", "retracted_at"]

__all__ = ["CsvText", "LoadReport", "Records", "load_records", "read_csv_text", "read_header", "read_text_csv"]


@dataclass
class Records:
    """The typed record tables, one DataFrame each, as the query core reads them."""

    sources: pd.DataFrame
    incidents: pd.DataFrame
    assets: pd.DataFrame
    impacts: pd.DataFrame
    salvos: pd.DataFrame
    # Records an analyst retracted (``store.audit.RETRACTED_COLUMNS``): out of the tables above,
    # listed for analysts only.
    retracted: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RETRACTED_COLUMNS))
    # The query layer keeps its index here (``dashboard.query.index.index_of``), built once per records.
    _index: object = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Date order makes a date range a slice of the index (and the table reads in order).
        self.incidents = self.incidents.sort_values(["event_date", "incident_id"], kind="stable").reset_index(drop=True)

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)


@dataclass
class LoadReport:
    """What a load produced: the good records, every failure, and the rejected rows as read."""

    records: Records
    failures: pd.DataFrame
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def rejected_count(self) -> int:
        return sum(len(frame) for frame in self.rejected.values())


def validate_frame(schema: type[RecordSchema], frame: pd.DataFrame, file: str) -> list[dict]:
    """Every schema failure in a text frame, one row each."""
    failures = []
    for name, spec in schema.columns.items():
        if spec.header_optional and name not in frame.columns:
            frame[name] = ""
    missing = [name for name in schema.columns if name not in frame.columns]
    for name in missing:
        failures.append(failure(file, 1, name, "", "required column is missing from the header"))
    for name in frame.columns:
        if name not in schema.columns:
            failures.append(failure(file, 1, name, name, "column is not in the schema (ignored)"))
    if missing:
        return failures
    for name, spec in schema.columns.items():
        values = frame[name]
        # Each kind checks a whole column at once; a failure quotes the cell as the file has it.
        bad = ~spec.column_kind.valid(values, spec)
        if bad.any():
            rule = spec.rule()
            failures += [failure(file, line, name, value, rule) for line, value in values[bad].items()]
        if spec.unique:
            repeated = values.duplicated(keep=False).to_numpy(dtype=bool)
            failures += [failure(file, line, name, value, "must be unique") for line, value in values[repeated].items()]
    return failures


def load_records(data_dir: Path, root: Path | None = None) -> LoadReport:
    """Read and validate every record file in ``data_dir``.

    Parameters
    ----------
    data_dir : Path
        Folder holding sources.csv, incidents.csv, assets.csv, impacts.csv, salvos.csv.
        A missing file loads as an empty table.
    root : Path, optional
        Folder that source paths are relative to; defaults to ``data_dir``'s parent.

    Returns
    -------
    LoadReport
        Typed records of the rows that passed, a failure table with columns
        file, line, column, value, rule, and the rejected rows as read plus a reason.
    """
    root = root or data_dir.parent
    texts: dict[str, pd.DataFrame] = {}
    failures: list[dict] = []
    for table, schema in SCHEMAS.items():
        path = data_dir / schema.file
        frame = pd.DataFrame(columns=list(schema.columns), dtype="str")
        if path.is_file():
            frame, read_failures = read_text_csv(path.read_bytes(), schema.file)
            failures += read_failures
        texts[table] = frame
    return validate_texts(texts, root, failures)


def validate_texts(
    texts: dict[str, pd.DataFrame],
    root: Path | Sequence[Path],
    failures: list[dict] | None = None,
    known_ids: dict[str, set[str]] | None = None,
    known_documents: Mapping[str, str] | None = None,
) -> LoadReport:
    """Validate text frames table by table, references pointing only at accepted rows.

    ``known_ids`` adds ids that references may also point at (records already in the store).
    ``known_documents`` maps source ids to document texts that quotes are checked against,
    besides the documents of the sources accepted here (stored earlier, or read earlier in
    the same import).
    """
    failures = list(failures or [])
    accepted: dict[str, pd.DataFrame] = {}
    rejected: dict[str, pd.DataFrame] = {}
    for table, schema in SCHEMAS.items():
        raw = texts.get(table, pd.DataFrame(columns=list(schema.columns), dtype="str"))
        file_failures = [f for f in failures if f["file"] == schema.file]
        file_failures += validate_frame(schema, raw, schema.file)
        if any(f["rule"].startswith("required column") for f in file_failures):
            bad_lines = set(raw.index)
            accepted[table] = pd.DataFrame(columns=list(schema.columns), dtype="str")
        else:
            frame = raw[list(schema.columns)].fillna("").apply(lambda column: column.str.strip())
            bad_lines = _lines_of(file_failures, frame)
            accepted[table] = frame[~frame.index.isin(bad_lines)]
            # Cross-file checks run on rows that already passed their own file's checks.
            cross_failures = cross_file_failures(accepted, table, root, known_ids or {}, known_documents)
            file_failures += cross_failures
            bad_lines |= _lines_of(cross_failures, frame)
            accepted[table] = frame[~frame.index.isin(bad_lines)]
        # Each failure once: a set of the ones listed, not a scan of the list per failure.
        listed = {_failure_key(f) for f in failures}
        failures += [f for f in file_failures if _failure_key(f) not in listed]
        if bad_lines:
            rejected[table] = _with_reasons(raw.loc[sorted(bad_lines)], file_failures)
    records = Records(**{table: typed_table(table, accepted[table]) for table in SCHEMAS})
    failure_frame = pd.DataFrame(failures, columns=FAILURE_COLUMNS)
    failure_frame["line"] = failure_frame["line"].astype("Int64")
    return LoadReport(records, failure_frame, rejected)


def _failure_key(f: dict) -> tuple:
    """A failure as a hashable value, equal exactly when the failure dicts are equal."""
    return tuple(sorted(f.items()))


def _lines_of(failures: list[dict], frame: pd.DataFrame) -> set[int]:
    """Lines whose row must be rejected: header-level notes (line 1) reject nothing."""
    return {f["line"] for f in failures if f["line"] in frame.index}


def _with_reasons(rows: pd.DataFrame, failures: list[dict]) -> pd.DataFrame:
    """Rejected rows in their own columns plus a reason column, ready to fix and re-import."""
    reasons: dict[int, list[str]] = {}
    for f in failures:
        column = f["column"] or "row"
        reasons.setdefault(f["line"], []).append(f"{column}: {f['rule']} (got {f['value']!r})")
    rows = rows.copy()
    rows["reason"] = ["; ".join(reasons.get(line, ["the file's header is incomplete"])) for line in rows.index]
    return rows


def typed_table(table: str, text_frame: pd.DataFrame) -> pd.DataFrame:
    """Typed frame for a validated text frame, with derived lookup columns for queries."""
    return with_lookup_columns(SCHEMAS[table].convert(text_frame).reset_index(drop=True))


def with_lookup_columns(typed: pd.DataFrame) -> pd.DataFrame:
    """Add the derived columns queries use, computed once per distinct value.

    ``place_key`` is the place's GeoNames identity (``geo.place_ids``): ``geonames:<id>``,
    ``unresolved:<folded name>`` or blank, from ``place`` read within ``oblast_iso``.
    The gazetteer is loaded only when some row names a place.
    """
    if "place" in typed.columns:
        keys = record_place_keys(typed["place"], typed.get("oblast_iso"), typed.get("latitude"), typed.get("longitude"))
        typed["place_key"] = pd.Series(keys, index=typed.index, dtype="str")
    return typed
