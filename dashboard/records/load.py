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

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from dashboard.records.checks import cross_file_failures
from dashboard.records.failures import FAILURE_COLUMNS, failure
from dashboard.records.kinds import NOT_BLANK
from dashboard.records.schemas import SCHEMAS, RecordSchema
from geo.place_ids import record_place_keys

# Long free-text fields (a quote, a description) are legitimate; 10 MB per cell is not.
MAX_FIELD_CHARS = 10 * 1024 * 1024


@dataclass
class Records:
    """The typed record tables, one DataFrame each, as the query core reads them."""

    sources: pd.DataFrame
    incidents: pd.DataFrame
    assets: pd.DataFrame
    impacts: pd.DataFrame
    salvos: pd.DataFrame
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


def read_text_csv(data: bytes, file: str) -> tuple[pd.DataFrame, list[dict]]:
    """Read CSV bytes as text, indexed by the line each row starts on.

    A BOM is dropped; bytes that are not UTF-8 are reported, not guessed. Rows
    with more cells than the header are reported and their extra cells kept out.
    """
    failures: list[dict] = []
    bad_lines: dict[int, bytes] = {}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Find every physical line that is not UTF-8, so that each row touching one is
        # rejected (and the others still load) instead of guessing an encoding.
        for number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad_lines[number] = line[exc.start : exc.start + 8]
        text = data.decode("utf-8-sig", errors="replace")
    # csv's field limit is process-wide: raised for this read only, then put back.
    previous_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        quick = None if bad_lines else _arrow_one_row_per_line(text)
        if quick is None and not bad_lines:
            quick = _one_row_per_line(text)
        if quick is not None:
            return quick, failures
        reader = csv.reader(io.StringIO(text, newline=""))
        rows, lines = [], []
        header: list[str] = []
        start_line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. a field beyond the size limit: report the row, read on
                failures.append(failure(file, start_line, "", "", f"row could not be read as CSV: {exc}"))
                start_line = reader.line_num + 1
                continue
            if not header:
                header = [cell.strip() for cell in cells]
                start_line = reader.line_num + 1
                continue
            if not "".join(cells).strip():  # a blank row (one C-level join instead of a strip per cell)
                start_line = reader.line_num + 1
                continue
            if len(cells) > len(header):
                extra = ",".join(cells[len(header) :])
                failures.append(
                    failure(file, start_line, "", extra, f"row has {len(cells)} cells, header has {len(header)}")
                )
            touched = [n for n in range(start_line, reader.line_num + 1) if n in bad_lines] if bad_lines else []
            if touched:
                failures.append(failure(file, start_line, "", repr(bad_lines[touched[0]]), "text must be UTF-8"))
            rows.append(cells if len(cells) == len(header) else (cells + [""] * len(header))[: len(header)])
            lines.append(start_line)
            start_line = reader.line_num + 1
    finally:
        csv.field_size_limit(previous_limit)
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype="str")
    return frame, failures


def read_header(data: bytes) -> list[str]:
    """The header cells of CSV bytes (the first record), stripped; empty for an empty file."""
    first = data[:65536].decode("utf-8-sig", errors="replace")
    return [cell.strip() for cell in next(csv.reader(io.StringIO(first, newline="")), [])]


# A line of well-formed CSV fields: each unquoted (no quote, comma, CR or NUL) or wholly
# quoted with inner quotes doubled. On such lines Python's csv and pyarrow's reader agree
# cell for cell, and a row is exactly one line (no quote is left open across a line break).
_FIELD = r'(?:"(?:[^"\r\x00]|"")*"|[^",\r\x00]*)'
_WELL_FORMED_LINE = rf"^{_FIELD}(?:,{_FIELD})*$"


def _arrow_one_row_per_line(text: str) -> pd.DataFrame | None:
    """:func:`_one_row_per_line` by pyarrow's CSV reader, used only where provably the same.

    Every line must be well-formed CSV (``_WELL_FORMED_LINE``), no longer than the field
    limit and no CR anywhere; then each line is one row and both readers give the same
    cells. Returns None otherwise (or on any reader error), and the Python reader decides.
    """
    if "\r" in text or not text:
        return None
    data = text.encode("utf-8")
    lines = pc.split_pattern(pa.array([data], type=pa.large_string()), "\n")[0].values
    if data.endswith(b"\n"):
        lines = lines.slice(0, len(lines) - 1)
    lengths = pc.binary_length(lines).to_numpy(zero_copy_only=False)
    if len(lines) < 2 or lengths.max() > MAX_FIELD_CHARS or lengths[0] == 0:
        return None
    if not pc.all(pc.match_substring_regex(lines, _WELL_FORMED_LINE)).as_py():
        return None
    header = [
        cell.strip() for cell in next(csv.reader(io.StringIO(text[: text.index("\n")] if "\n" in text else text)))
    ]
    width = len(header)
    names = [f"c{i}" for i in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(skip_rows=1, column_names=names, use_threads=True),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    # Empty lines are skipped by both readers; the others are the rows, in order.
    numbers = np.flatnonzero(lengths[1:] != 0) + 2
    if table.num_rows != len(numbers):
        return None
    # Rows whose cells are all whitespace are blank and skipped, as the Python reader does.
    # The first cell (an id, mostly) settles it for nearly every row.
    kept = pc.match_substring_regex(table[names[0]], NOT_BLANK).to_numpy(zero_copy_only=False)
    if not kept.all():
        unsure = np.flatnonzero(~kept)
        for name in names[1:]:
            kept[unsure] |= pc.match_substring_regex(table[name].take(unsure), NOT_BLANK).to_numpy(zero_copy_only=False)
    columns = {
        name: pd.Series(pd.arrays.ArrowStringArray(pc.cast(table[name], pa.large_string())), dtype="str")
        for name in names
    }
    frame = pd.DataFrame(columns)
    frame.columns = header
    frame.index = pd.Index(numbers, name="line")
    return frame[kept] if not kept.all() else frame


def _one_row_per_line(text: str) -> pd.DataFrame | None:
    """The common case read in one pass: every row on its own line, as wide as the header.

    Row k (header 0) then starts on line k + 1, so no per-row bookkeeping is needed.
    Returns None when a quoted line break, a row of another width or a CSV error
    needs the line-by-line reader, which reports each of those.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error:
        return None
    if not records or not records[0] or reader.line_num != len(records):
        return None
    header = [cell.strip() for cell in records[0]]
    width = len(header)
    # Blank rows are skipped; the first cell (an id, mostly) settles it for nearly every row.
    kept = [
        (line, cells)
        for line, cells in enumerate(records[1:], start=2)
        if cells and (cells[0].strip() or "".join(cells).strip())
    ]
    if any(len(cells) != width for _, cells in kept):
        return None
    lines = [line for line, _ in kept]
    return pd.DataFrame([cells for _, cells in kept], columns=header, index=pd.Index(lines, name="line"), dtype="str")


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
