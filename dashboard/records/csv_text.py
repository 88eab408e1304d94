"""Read CSV bytes as text, every row keeping the physical line it starts on, none lost.

Rows the csv module cannot read (a field beyond :data:`MAX_FIELD_CHARS`, a quote that
is never closed) are not dropped: they come back in :attr:`CsvText.unparsed`, their raw
text by starting line, with a failure each, so the importer can count and quarantine them.

Examples
--------
>>> text = read_csv_text(b'a,b\\n1,2\\n3,"open\\n4,5\\n', "x.csv")
>>> list(text.frame.index), text.unparsed
([2, 4], {3: '3,"open'})
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from dashboard.records.failures import failure
from dashboard.records.kinds import NOT_BLANK

# Long free-text fields (a quote, a description) are legitimate; 10 MB per cell is not.
MAX_FIELD_CHARS = 10 * 1024 * 1024

UNCLOSED_QUOTE = "a quote opened on this line is not closed where the row ends (read again from the next line)"


@dataclass
class CsvText:
    """What a read gave: the rows as text, the failures, and the rows that could not be read.

    ``frame`` is indexed by the line each row starts on (``line``); ``unparsed`` maps the
    starting line of each row the csv module could not read to its text as read.
    """

    frame: pd.DataFrame
    failures: list[dict] = field(default_factory=list)
    unparsed: dict[int, str] = field(default_factory=dict)


def read_text_csv(data: bytes, file: str) -> tuple[pd.DataFrame, list[dict]]:
    """:func:`read_csv_text` as (frame, failures), for callers that only need the rows read."""
    text = read_csv_text(data, file)
    return text.frame, text.failures


def read_csv_text(data: bytes, file: str) -> CsvText:
    """Read CSV bytes as text, indexed by the line each row starts on.

    A BOM is dropped; bytes that are not UTF-8 are reported, not guessed. Rows with
    more cells than the header are reported and their extra cells kept out. Rows the
    csv module cannot read are returned as raw text in ``unparsed``, each with a failure.
    """
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
            return CsvText(quick)
        return _line_by_line(text, file, bad_lines)
    finally:
        csv.field_size_limit(previous_limit)


def _line_by_line(text: str, file: str, bad_lines: dict[int, bytes]) -> CsvText:
    """The reader for everything the one-pass readers decline: every row reported or kept.

    The csv module reads on from a quote that is never closed to the next quote anywhere
    below (or to the end of the file), swallowing the rows between into one cell. A row
    spanning several lines is therefore taken as one row with line breaks in a quoted cell
    only when it looks like one (:func:`_swallowed`); otherwise its first line alone is
    the broken row, kept as raw text, and reading starts again on the next line, so the
    rows below still load.
    """
    physical = list(io.StringIO(text, newline=""))  # the lines as the csv module sees them
    failures: list[dict] = []
    unparsed: dict[int, str] = {}
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] = []
    start = 0  # index in ``physical`` of the first line of the record being read
    while start < len(physical):
        base = start
        reader = csv.reader(itertools.islice(physical, base, None))
        restart = False
        while not restart:
            try:
                cells = next(reader)
            except StopIteration:
                start = len(physical)
                break
            except csv.Error as exc:  # e.g. a field beyond the size limit: keep the row as read, read on
                end = base + reader.line_num
                # Over several lines, the error is most likely in rows an open quote swallowed:
                # the first line alone is the broken row, and reading starts again below it.
                restart = end - start > 1
                end = start + 1 if restart else end
                unparsed[start + 1] = "".join(physical[start:end])
                failures.append(
                    failure(file, start + 1, "", _start_of(physical[start]), f"row could not be read as CSV: {exc}")
                )
                start = end
                continue
            end = base + reader.line_num
            if not header:
                if end - start > 1:  # a header has no line breaks: a quote was left open in it
                    cells, end, restart = next(csv.reader([physical[start]]), []), start + 1, True
                header = [cell.strip() for cell in cells]
                start = end
                continue
            if end - start > 1 and _swallowed(physical, start, end, cells, len(header)):
                unparsed[start + 1] = physical[start]
                failures.append(failure(file, start + 1, "", _start_of(physical[start]), UNCLOSED_QUOTE))
                start += 1
                restart = True
                continue
            if "".join(cells).strip():  # not a blank row (one C-level join instead of a strip per cell)
                _keep_row(cells, start + 1, end, header, bad_lines, file, rows, lines, failures)
            start = end
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype="str")
    return CsvText(frame, failures, {line: raw.rstrip("\r\n") for line, raw in unparsed.items()})


def _start_of(line: str) -> str:
    """The first 80 characters of a line that could not be read, to name it in a message."""
    return line[:80].rstrip("\r\n")


def _keep_row(
    cells: list[str],
    line: int,
    end: int,
    header: list[str],
    bad_lines: dict[int, bytes],
    file: str,
    rows: list[list[str]],
    lines: list[int],
    failures: list[dict],
) -> None:
    """Add one read row (its physical lines ``line``..``end``), reporting extra cells and bytes not UTF-8."""
    width = len(header)
    if len(cells) > width:
        extra = ",".join(cells[width:])
        failures.append(failure(file, line, "", extra, f"row has {len(cells)} cells, header has {width}"))
    touched = [n for n in range(line, end + 1) if n in bad_lines] if bad_lines else []
    if touched:
        failures.append(failure(file, line, "", repr(bad_lines[touched[0]]), "text must be UTF-8"))
    rows.append(cells if len(cells) == width else (cells + [""] * width)[:width])
    lines.append(line)


def _swallowed(physical: list[str], start: int, end: int, cells: list[str], width: int) -> bool:
    """Whether a record over lines ``start``..``end`` is rows swallowed by an open quote.

    A genuine row with a line break in a quoted cell is as wide as the header, its quotes
    pair up (an open quote running to the end of the file leaves an odd count), each
    quoted cell ends at its closing quote (the csv module's strict mode agrees: a swallow
    ends at some later quote, mostly one opening a cell, with text after it), and no line
    inside it would be a complete row of the header's width on its own.
    """
    if len(cells) != width or "".join(physical[start:end]).count('"') % 2:
        return True
    try:
        next(csv.reader(physical[start:end], strict=True))
    except csv.Error:
        return True
    for line in physical[start + 1 : end]:
        if line.count('"') % 2 == 0 and len(next(csv.reader([line]), [])) == width:
            return True
    return False


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
