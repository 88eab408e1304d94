"""Every rule on every path: a quote must be in its source document whichever way it arrives.

The first fill checked quotes against the source's document; a later `impact import` of an
incidents file citing a stored source (and the import page, which uses the same importer)
accepted a made-up quote. These tests import one file into a store that already holds the seed.
"""

from __future__ import annotations

import csv

import pandas as pd
import sqlalchemy as sa

from dashboard import cli
from dashboard.config import PROJECT_ROOT
from dashboard.io.importer import import_file
from dashboard.store.sql import TABLES

REAL_QUOTE = (
    "Tragically, a six-year-old girl died in the southern city of Kherson following artillery "
    "shelling the previous day, according to regional military administration chief Oleksandr Prokudin."
)
# One word changed: the nearest passage is the real sentence.
ALTERED_QUOTE = REAL_QUOTE.replace("six-year-old", "nine-year-old")
MADE_UP_QUOTE = "Officials said 600 people were injured in the attack on the city."


def incidents_file(path, rows: list[tuple[str, str]]):
    """An incidents CSV of the seed's header with copies of inc-002 under new ids and quotes."""
    seed = list(csv.DictReader((PROJECT_ROOT / "data" / "incidents.csv").open(encoding="utf-8", newline="")))
    template = next(row for row in seed if row["incident_id"] == "inc-002")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template))
        writer.writeheader()
        for incident_id, quote in rows:
            writer.writerow({**template, "incident_id": incident_id, "quote": quote})
    return path


def stored_ids(engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(sa.select(TABLES["incidents"].c.incident_id)).scalars())


def test_import_rejects_a_quote_that_is_not_in_the_stored_source(store, tmp_path):
    engine, settings = store
    path = incidents_file(
        tmp_path / "incidents.csv",
        [("inc-101", REAL_QUOTE), ("inc-102", ALTERED_QUOTE), ("inc-103", MADE_UP_QUOTE)],
    )
    report = import_file(path, engine, settings)
    assert report.accepted == 1 and report.rejected == 2
    ids = stored_ids(engine)
    assert "inc-101" in ids and not {"inc-102", "inc-103"} & ids
    by_line = {r["line"]: r for r in report.rejections if r["column"] == "quote"}
    assert set(by_line) == {3, 4}
    assert "word for word" in by_line[3]["rule"]
    # The reason points the user at the sentence the quote most likely meant.
    assert "nearest" in by_line[3]["rule"] and "six-year-old girl died" in by_line[3]["rule"]
    quarantine = pd.read_csv(report.quarantine_file, dtype=str)
    assert list(quarantine["source_line"].astype(int)) == [3, 4]
    assert quarantine["reason"].str.contains("word for word").all()


def test_cli_import_reports_the_line_and_the_nearest_match(store, tmp_path, monkeypatch, capsys):
    engine, settings = store
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    path = incidents_file(tmp_path / "incidents.csv", [("inc-201", ALTERED_QUOTE)])
    cli.main(["import", str(path)])
    out = capsys.readouterr().out
    assert "line 2: quote" in out and "word for word" in out and "nearest" in out
    assert "inc-201" not in stored_ids(engine)


def test_the_source_document_is_kept_in_the_store(store, tmp_path):
    """A later import checks quotes against the stored document, even if the file has moved."""
    engine, settings = store
    with engine.connect() as connection:
        documents = dict(connection.execute(sa.text("SELECT source_id, text FROM source_documents")).all())
    assert "src-000" in documents and "six-year-old girl died" in documents["src-000"]
    # Importing from a root where the seed article cannot be found still checks the quote.
    path = incidents_file(tmp_path / "incidents.csv", [("inc-301", MADE_UP_QUOTE), ("inc-302", REAL_QUOTE)])
    report = import_file(path, engine, settings, root=tmp_path)
    assert report.rejected == 1 and report.accepted == 1
