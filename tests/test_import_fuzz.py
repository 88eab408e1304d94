"""Property-based: malformed CSV never crashes the importer and never costs a valid row.

Files mix valid incident rows (some with a NUL byte or a 150,000-character field, which
the schema allows) with corrupted ones (impossible dates and coordinates, non-numeric
numbers, unknown vocabulary, missing and extra cells, stray quotes), in UTF-8, UTF-8 with
a BOM or cp1251, with extra or reordered columns. Every corrupted row must be rejected on
its own line and every valid row stored unchanged.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.config import Settings
from dashboard.io.formats.registry import FormatMismatch
from dashboard.io.importer import import_file
from dashboard.io.open import open_store
from dashboard.records.load import load_records
from dashboard.records.schemas import DATE_PRECISIONS, WEAPONS, IncidentSchema
from dashboard.store.sql import read_records
from geo.oblasts import OBLASTS

pytestmark = pytest.mark.slow  # 40 generated files, each through a full import

COLUMNS = [name for name, spec in IncidentSchema.columns.items() if not spec.header_optional]
QUOTES = list(load_records(Path(__file__).resolve().parent.parent / "data").records.incidents["quote"])


def text(ascii_only: bool, min_size: int = 0):
    alphabet = st.characters(
        codec="ascii" if ascii_only else "utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="'"
    )
    return st.text(alphabet, min_size=min_size, max_size=40).map(str.strip).filter(lambda t: len(t) >= min_size)


# Values the schema allows, however odd: they must be stored exactly as written, not dropped.
HOSTILE_BUT_VALID = {"place": ["Khar\x00kiv"], "description": ["x" * 150_000]}


@st.composite
def valid_row(draw, number: int, ascii_only: bool) -> dict:
    oblast = draw(st.sampled_from(OBLASTS))
    killed = draw(st.one_of(st.none(), st.integers(0, 500)))
    injured = draw(st.one_of(st.none(), st.integers(0, 500)))
    return {
        "incident_id": f"fz-{number}",
        "event_date": draw(st.dates(min_value=__import__("datetime").date(2022, 1, 1))).isoformat(),
        "date_precision": draw(st.sampled_from(DATE_PRECISIONS)),
        "date_as_stated": draw(text(ascii_only)),
        "place": draw(st.one_of(text(ascii_only), st.sampled_from(HOSTILE_BUT_VALID["place"]))),
        "oblast": oblast.name,
        "oblast_iso": oblast.iso,
        "latitude": f"{draw(st.floats(44, 53)):.5f}",
        "longitude": f"{draw(st.floats(22, 41)):.5f}",
        "geo_precision": draw(st.sampled_from(["1", "2", "3"])),
        "weapons": ";".join(draw(st.lists(st.sampled_from(WEAPONS), min_size=1, max_size=3, unique=True))),
        "perpetrator_as_reported": draw(text(ascii_only, 1)),
        "reported_by": draw(text(ascii_only)),
        "killed": "" if killed is None else str(killed),
        "injured": "" if injured is None else str(injured),
        "children_killed": "" if killed is None else str(draw(st.integers(0, killed))),
        "children_injured": "" if injured is None else str(draw(st.integers(0, injured))),
        "description": draw(st.one_of(text(ascii_only, 1), st.sampled_from(HOSTILE_BUT_VALID["description"]))),
        "source_id": "src-000",
        "quote": draw(st.sampled_from(QUOTES)),
    }


CORRUPTIONS = {
    "impossible date": ("event_date", st.sampled_from(["2024-02-30", "2024-13-01", "14/03/2024", "yesterday", ""])),
    "impossible latitude": ("latitude", st.sampled_from(["95", "-91.5", "north", "1e999", "nan"])),
    "non-numeric count": ("killed", st.sampled_from(["many", "-1", "3.5", "1,000", "٣"])),
    "unknown weapon": ("weapons", st.sampled_from(["laser", "drone;;", "DRONE", ""])),
    "unknown oblast": ("oblast", st.sampled_from(["Narnia", "Kursk Oblast", ""])),
    "children exceed": ("children_killed", st.just("999")),
}


@st.composite
def bad_row(draw, number: int, ascii_only: bool) -> tuple[str, list[str]]:
    row = draw(valid_row(number, ascii_only))
    row["incident_id"] = f"bad-{number}"
    kind = draw(st.sampled_from([*CORRUPTIONS, "missing cells", "extra cells", "stray quote"]))
    cells = [row[c] for c in COLUMNS]
    if kind in CORRUPTIONS:
        column, values = CORRUPTIONS[kind]
        value = draw(values)
        if kind == "children exceed":
            row["killed"] = "1"
        row[column] = value
        cells = [row[c] for c in COLUMNS]
    elif kind == "missing cells":
        cells = cells[: draw(st.integers(1, len(cells) - 1))]
    elif kind == "extra cells":
        # No line break: the test counts one physical line per row (CI found an extra "\n" cell shifting lines).
        extra = st.text(st.characters(exclude_characters="\r\n"), max_size=5)
        cells = cells + draw(st.lists(extra, min_size=1, max_size=3))
    else:
        cells[COLUMNS.index("killed")] = 'ab"c'  # a quote inside an unquoted field stays literal
    return kind, cells


@dataclass(frozen=True)
class GeneratedFile:
    """A CSV file's bytes, its valid rows, and each corrupted row's id, kind and physical line."""

    data: bytes
    valid_rows: list[dict]
    bad_rows: list[tuple[str, str, int]]


@st.composite
def csv_file(draw) -> GeneratedFile:
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]))
    ascii_only = encoding == "cp1251"
    count = draw(st.integers(0, 12))
    rows: list[tuple[str, dict | list[str]]] = []
    for number in range(count):
        if draw(st.booleans()):
            rows.append(("valid", draw(valid_row(number, ascii_only))))
        else:
            rows.append(draw(bad_row(number, ascii_only)))
    header = list(COLUMNS)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    extra = draw(st.booleans())
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header + (["unexpected"] if extra else []))
    bad_rows = []
    for line, (kind, row) in enumerate(rows, start=2):  # no generated cell holds a line break
        if kind == "valid":
            writer.writerow([row[c] for c in header] + (["x"] if extra else []))
            continue
        bad_rows.append((row[COLUMNS.index("incident_id")], kind, line))
        if kind == "missing cells":
            writer.writerow(row)  # fewer cells than COLUMNS, so fewer than the header
        elif kind == "extra cells":
            writer.writerow(row + (["x"] if extra else []))  # always more cells than the header
        else:
            by_name = dict(zip(COLUMNS, row, strict=True))
            writer.writerow([by_name[c] for c in header] + (["x"] if extra else []))
    body = out.getvalue()
    if encoding == "cp1251" and draw(st.booleans()):
        body += "bad-cyr,Київ,не UTF-8\n"  # a row whose bytes are not UTF-8
    if draw(st.booleans()):
        body += '"unterminated,quote at the end of the file\n'
    data = body.encode(encoding, errors="replace")
    return GeneratedFile(data, [row for kind, row in rows if kind == "valid"], bad_rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(csv_file())
def test_malformed_csv_never_crashes_and_keeps_every_valid_row(tmp_path_factory, generated):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "incidents.csv"
    path.write_bytes(generated.data)
    config = Settings.from_env({"IMPACT_DB_URL": "sqlite://", "IMPACT_QUARANTINE_DIR": str(folder / "q")})
    engine = open_store(config)
    try:
        report = import_file(path, engine, config, "canonical")
    except FormatMismatch as exc:
        # A header and no row (blank ones only) is refused as a whole (exit 2 on the command line).
        assert "has a header but no rows" in str(exc)
        assert not generated.valid_rows and not generated.bad_rows
        return
    assert report.accepted + report.updated + report.unchanged + report.duplicates + report.rejected == report.rows_read
    stored = read_records(engine).incidents.set_index("incident_id")
    rejected_lines = {int(r["line"]) for r in report.rejections if r["line"] is not None}
    for incident_id, kind, line in generated.bad_rows:
        assert incident_id not in stored.index, (kind, line, report.rejections)
        assert line in rejected_lines, (kind, line, report.rejections)
    assert report.rejected >= len(generated.bad_rows)
    # Every rejected row is in the quarantine file, on its own line.
    quarantined = set()
    if report.quarantine_file:
        frame = pd.read_csv(report.quarantine_file, dtype=str, keep_default_na=False)
        quarantined = {int(line) for line in frame["source_line"]}
    assert len(quarantined) == report.rejected
    assert {line for _, _, line in generated.bad_rows} <= quarantined
    assert report.accepted == len(generated.valid_rows)
    for row in generated.valid_rows:
        assert row["incident_id"] in stored.index, (row, report.rejections)
        record = stored.loc[row["incident_id"]]
        assert record["event_date"].strftime("%Y-%m-%d") == row["event_date"]
        assert record["place"] == row["place"] and record["description"] == row["description"]
        assert ("" if record["killed"] is pd.NA else str(record["killed"])) == row["killed"]
    engine.dispose()
