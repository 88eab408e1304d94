"""No rejected row is lost: every row not stored is in the quarantine file, the counts add up.

Rows the CSV reader itself cannot read (a field beyond the size limit, a quote left open)
must reach the quarantine file with their physical line and a reason, like rows that fail
a schema rule; and when the quarantine folder cannot be written, nothing is imported.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import cli
from dashboard.config import PROJECT_ROOT, Settings
from dashboard.io.formats.registry import FormatMismatch
from dashboard.io.importer import import_file
from dashboard.io.open import open_store
from dashboard.records import csv_text
from dashboard.records.schemas import IncidentSchema
from dashboard.store.sql import TABLES, import_batches

SEED_INCIDENTS = PROJECT_ROOT / "data" / "incidents.csv"
COLUMNS = [name for name, spec in IncidentSchema.columns.items() if not spec.header_optional]


def seed_rows() -> list[dict]:
    """The seed incidents as dicts: valid rows whose source (src-000) is in every filled store."""
    with SEED_INCIDENTS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def csv_line(cells: list[str]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def good_line(number: int, template: dict) -> str:
    return csv_line([f"q-{number}" if c == "incident_id" else template[c] for c in COLUMNS])


def left_open(cells: list[str], column: str, opened: str) -> str:
    """A row whose ``column`` opens a quote that is still open where the line ends.

    The cells after it are written without quotes (commas and quotes taken out), so that
    no later quote on the line closes it: the csv module reads on into the lines below.
    """
    at = COLUMNS.index(column)
    rest = [cell.replace(",", " ").replace('"', "") for cell in cells[at + 1 :]]
    return csv_line(cells[:at] + ["PLACEHOLDER"] + rest).replace("PLACEHOLDER", '"' + opened)


def unclosed_quote_line(number: int, template: dict) -> str:
    """A row whose date_as_stated cell opens a quote that never closes."""
    cells = [f"bad-{number}" if c == "incident_id" else template[c] for c in COLUMNS]
    return left_open(cells, "date_as_stated", "the night of March 13")


def counts_add_up(report: dict) -> bool:
    parts = ("accepted", "updated", "unchanged", "duplicates", "rejected")
    return report["rows_read"] == sum(report[name] for name in parts)


def quarantine_frame(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="replace")


def store_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        tables = [TABLES[name] for name in ("incidents", "impacts", "sources")] + [import_batches]
        return {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in tables
        }


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """IMPACT_HOME in tmp_path, the store already filled from data/ (so later imports add to it)."""
    monkeypatch.setenv("IMPACT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("IMPACT_QUARANTINE_DIR", raising=False)
    open_store(Settings.from_env()).dispose()
    return tmp_path / "home"


def test_every_bad_row_reaches_the_quarantine_with_its_line_and_reason(home, tmp_path, capsys):
    templates = seed_rows()
    lines: list[bytes] = [csv_line(COLUMNS).encode()]
    bad: dict[int, str] = {}  # physical line -> what is wrong with it
    good_ids: list[str] = []

    def add(text: str | bytes, problem: str | None = None, good_id: str | None = None) -> None:
        lines.append(text.encode() if isinstance(text, str) else text)
        if problem:
            bad[len(lines)] = problem
        if good_id:
            good_ids.append(good_id)

    for n in range(3):
        add(good_line(n, templates[n]), good_id=f"q-{n}")
    big = dict(templates[0], description="x" * (11 * 1024 * 1024))
    add(csv_line(["bad-0" if c == "incident_id" else big[c] for c in COLUMNS]), "11 MB field")
    add(good_line(3, templates[1]), good_id="q-3")
    add(unclosed_quote_line(1, templates[2]), "unclosed quote")
    # Good rows after the open quote, with quoted cells of their own: they must still load.
    for n in range(4, 8):
        add(good_line(n, templates[n % 5]), good_id=f"q-{n}")
    add(csv_line(["bad-2"] + [templates[0][c] for c in COLUMNS[1:5]]), "short row")
    add(csv_line(["bad-3"] + [templates[0][c] for c in COLUMNS[1:]] + ["extra", "cells"]), "extra cells")
    add(
        csv_line(["bad-4" if c == "incident_id" else templates[1][c] for c in COLUMNS]).replace(
            "2024-03-12", "2024-02-30"
        ),
        "impossible date",
    )
    add(
        csv_line(["bad-5" if c == "incident_id" else templates[3][c] for c in COLUMNS])
        .encode()
        .replace(b"Odesa,", b"Od\xffesa,", 1),
        "not UTF-8",
    )
    add(
        csv_line(["bad-6" if c == "incident_id" else ("many" if c == "killed" else templates[4][c]) for c in COLUMNS]),
        "killed not a number",
    )
    add(b"\n")  # a blank line is not a row
    add(
        csv_line(
            ["bad-7" if c == "incident_id" else ("Narnia" if c == "oblast" else templates[0][c]) for c in COLUMNS]
        ),
        "unknown oblast",
    )
    add(good_line(8, templates[4]), good_id="q-8")
    assert len(bad) == 8
    path = tmp_path / "incidents.csv"
    path.write_bytes(b"".join(lines))

    code = cli.main(["import", str(path), "--json"])
    out = capsys.readouterr()
    assert code == 1, out.err
    report = json.loads(out.out)
    assert counts_add_up(report), report
    assert report["rows_read"] == len(good_ids) + len(bad)
    assert report["rejected"] == len(bad) and report["accepted"] == len(good_ids)

    engine = open_store(Settings.from_env())
    with engine.connect() as connection:
        stored = set(connection.execute(sa.select(TABLES["incidents"].c.incident_id)).scalars())
    engine.dispose()
    assert set(good_ids) <= stored
    assert not any(i.startswith("bad-") for i in stored)

    quarantine = quarantine_frame(report["quarantine_file"])
    assert sorted(int(line) for line in quarantine["source_line"]) == sorted(bad), quarantine[["source_line", "reason"]]
    assert (quarantine["reason"].str.strip() != "").all(), quarantine[["source_line", "reason"]]
    # The oversized row is kept whole: the quarantine is the only copy of what was not stored.
    oversized = next(line for line, problem in bad.items() if problem == "11 MB field")
    row = quarantine[quarantine["source_line"] == str(oversized)].iloc[0]
    assert "x" * (11 * 1024 * 1024) in "".join(row.drop(["source_line", "reason"]))


def _unwritable_folders(tmp_path: Path) -> list[Path]:
    """A regular file, and a folder no one may write into (as root: a path beneath a file)."""
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("I am a file\n")
    if os.geteuid() == 0:  # root writes into a 0o555 folder anyway
        return [a_file, a_file / "rejected"]
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    return [a_file, locked]


def test_an_unwritable_quarantine_folder_stops_the_import_before_any_write(home, tmp_path, capsys, monkeypatch):
    path = tmp_path / "incidents.csv"
    template = seed_rows()
    body = csv_line(COLUMNS) + good_line(1, template[0]) + csv_line(["bad-1", "2024-02-30"])
    path.write_text(body, encoding="utf-8")
    for folder in _unwritable_folders(tmp_path):
        monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(folder))
        engine = open_store(Settings.from_env())
        before = store_counts(engine)
        code = cli.main(["import", str(path)])
        after = store_counts(engine)
        engine.dispose()
        err = capsys.readouterr().err
        assert code in (2, 3), err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert str(folder) in err and "nothing was imported" in err, err
        assert after == before


# --- property: generated broken files ------------------------------------------------------------

_STORE: dict = {}
LIMIT = 2_000  # the patched field limit: a "huge" field is one beyond it


@st.composite
def broken_file(draw) -> tuple[bytes, int, set[int]]:
    """A file's bytes, how many rows it holds (non-blank physical lines after the header), bad lines."""
    templates = seed_rows()
    lines: list[bytes] = [csv_line(COLUMNS).encode()]
    bad: set[int] = set()
    rows = 0
    kinds = ["good", "extra", "missing", "unclosed", "nul", "utf8", "blank", "huge", "repeat"]
    for number in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(kinds))
        template = draw(st.sampled_from(templates))
        cells = [f"g{number}-{draw(st.integers(0, 10**6))}" if c == "incident_id" else template[c] for c in COLUMNS]
        if kind == "blank":
            lines.append(draw(st.sampled_from([b"\n", b"  \n", b",,\n"])))
            continue
        if kind == "repeat":
            if len(lines) < 2 or not lines[-1].strip(b", \n"):
                continue
            line = draw(st.sampled_from(lines[1:]))
            if not line.strip(b", \n"):
                continue
            lines.append(line)  # a row repeated exactly: a duplicate, or rejected again
            rows += 1
            continue
        if kind == "good":
            line = csv_line(cells).encode()
        elif kind == "nul":  # allowed in free text: stored, not rejected
            cells[COLUMNS.index("place")] = "Khar\x00kiv"
            line = csv_line(cells).encode()
        elif kind == "extra":
            line = csv_line(cells + draw(st.lists(st.sampled_from(["x", "", "1"]), min_size=1, max_size=3))).encode()
        elif kind == "missing":
            line = csv_line(cells[: draw(st.integers(1, 5))]).encode()
        elif kind == "unclosed":
            column = draw(st.sampled_from(["date_as_stated", "place", "description", "reported_by"]))
            line = left_open(cells, column, "left open").encode()
        elif kind == "utf8":
            cells[COLUMNS.index("place")] = "PLACEHOLDER"
            line = csv_line(cells).encode().replace(b"PLACEHOLDER", "Київ".encode("cp1251"))
        else:  # huge
            cells[COLUMNS.index("description")] = "y" * (LIMIT + draw(st.integers(1, 500)))
            line = csv_line(cells).encode()
        lines.append(line)
        rows += 1
        if kind not in ("good", "nul"):
            bad.add(len(lines))
    data = b"".join(lines)
    if draw(st.booleans()):  # Windows line ends: no generated cell holds a line break
        data = data.replace(b"\n", b"\r\n")
    return data, rows, bad


# 60 generated files through a full import each, into one store: about 5 s, so not marked slow.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(broken_file())
def test_counts_add_up_and_every_bad_line_is_quarantined(tmp_path_factory, generated):
    data, rows, bad = generated
    folder = tmp_path_factory.mktemp("broken")
    path = folder / "incidents.csv"
    path.write_bytes(data)
    config = Settings.from_env({"IMPACT_DB_URL": "sqlite://", "IMPACT_QUARANTINE_DIR": str(folder / "q")})
    if "engine" not in _STORE:  # one seeded store for all examples: filling it is most of an example's time
        _STORE["engine"] = open_store(config)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_text, "MAX_FIELD_CHARS", LIMIT)
        if rows == 0:  # a header and nothing else: refused as a whole (exit 2), nothing to count
            with pytest.raises(FormatMismatch, match="has a header but no rows"):
                import_file(path, _STORE["engine"], config, "canonical")
            return
        report = import_file(path, _STORE["engine"], config, "canonical").to_dict()
    assert counts_add_up(report), report
    assert report["rows_read"] == rows, report
    quarantined: set[int] = set()
    if report["quarantine_file"]:
        quarantined = {int(line) for line in quarantine_frame(report["quarantine_file"])["source_line"]}
    assert bad <= quarantined, (sorted(bad - quarantined), data.decode("utf-8", "replace")[:3000])


def test_a_rolled_back_import_leaves_no_quarantine_or_log(home, tmp_path, monkeypatch):
    """Staged before the transaction, the files go when it fails: no log of an import that did not happen."""
    settings = Settings.from_env()
    engine = open_store(settings)
    before = sorted(p.name for p in settings.quarantine_dir.iterdir())
    path = tmp_path / "incidents.csv"
    path.write_text(csv_line(COLUMNS) + good_line(1, seed_rows()[0]) + csv_line(["bad-1", "2024-02-30"]))
    broken_log = sa.Table("no_such_table", sa.MetaData(), sa.Column("batch_id", sa.Integer, primary_key=True))
    monkeypatch.setattr("dashboard.io.import_write.import_batches", broken_log)
    try:
        import_file(path, engine, settings, "canonical")
    except sa.exc.SQLAlchemyError:
        pass
    else:
        pytest.fail("the import should have failed")
    engine.dispose()
    assert sorted(p.name for p in settings.quarantine_dir.iterdir()) == before


def test_sync_keeps_a_stored_event_whose_row_could_not_be_read(settings):
    """--sync deletes stored events the file no longer has; a row the reader could not read is not absent."""
    acled_v1 = Path(__file__).parent / "files" / "acled" / "acled_v1.csv"
    engine = open_store(settings)
    first = import_file(acled_v1, engine, settings, "acled")
    lines = acled_v1.read_bytes().splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines[1:], start=1) if line.startswith(b"UKR150001,"))
    lines[number] = b'UKR150001,2024-03-14,"a quote left open\n'
    path = settings.quarantine_dir.parent / "acled_v1_broken.csv"
    path.write_bytes(b"".join(lines))
    second = import_file(path, engine, settings, "acled", sync=True)
    engine.dispose()
    assert first.accepted >= 8 and second.rejected >= 1, second.rejections
    assert second.deleted == 0 and second.not_in_file == 0, second.rejections


def test_an_hxl_export_counts_its_rows_not_its_hashtag_row(tmp_path, settings, records):
    """The HXL hashtag row under an export's header is a second header: not a row read, not lost."""
    from dashboard.io.extract import hxl_csv_bytes

    path = tmp_path / "incidents.csv"
    path.write_bytes(hxl_csv_bytes(records.incidents))
    fresh = Settings.from_env(
        {"IMPACT_DB_URL": f"sqlite:///{tmp_path / 'fresh.sqlite'}", "IMPACT_QUARANTINE_DIR": str(tmp_path / "q")}
    )
    engine = open_store(fresh)
    report = import_file(path, engine, fresh, "canonical").to_dict()
    engine.dispose()
    assert counts_add_up(report), report
    assert report["rows_read"] == len(records.incidents) and report["rejected"] == 0, report
