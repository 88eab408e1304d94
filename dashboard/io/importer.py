"""Import a file into the store without losing a row and without counting anything twice.

The steps, for every format:

1. read the file as text, each row keeping its line number (rows it cannot read as raw text);
2. translate it to canonical rows (``dashboard.io.formats``), collecting rows it cannot read;
3. fill gaps offline: coordinates from the gazetteer for a place name, an oblast by
   point-in-polygon for coordinates (when a boundary file is configured);
4. drop rows repeated exactly within the file (counted as duplicates);
5. validate against the schemas, references allowed to point at stored records;
6. compare each record with the store by its identity: new, updated or unchanged;
7. write the rejected rows (input's columns, ``source_line``, ``reason``) to a quarantine
   CSV beside a JSON import log, under staging names, then everything in one transaction
   with a batch log row, holding the store's import lock (``store.lock``: one import at a
   time; a plan another import made stale is redone under the lock); the two files take
   their final names after the commit.

A folder of record files is planned file by file (steps 1-6, each file seeing the
records of the ones before it) and written in one transaction: all files or none,
each with its own batch log row, quarantine file and log. This is the only way into
the store: the first fill from ``data/`` (``dashboard.io.open``) is such a folder import.

Re-importing the same file therefore changes nothing, and a newer version of a
source updates the records whose content changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.config import RESOURCE_ROOT, Settings
from dashboard.io.formats.base import Translation
from dashboard.io.formats.canonical import _is_hxl_row
from dashboard.io.formats.mapped_facilities import stale_hits
from dashboard.io.formats.registry import DEFAULT_FORMAT, FormatMismatch, check_header, input_format
from dashboard.io.geojson_rows import is_geojson, read_geojson_rows
from dashboard.io.import_audit import command_line_user, plan_conflicts
from dashboard.io.import_write import plan_changes, write_file
from dashboard.io.links import refresh as refresh_links
from dashboard.io.locate import fill_locations, unlocated
from dashboard.io.report import ImportReport, StagedLogs, discard_logs, publish_logs, quarantine_rows, stage_logs
from dashboard.records.checks import source_documents
from dashboard.records.csv_text import CsvText, read_csv_text
from dashboard.records.load import Records, validate_frame, validate_texts
from dashboard.records.schemas import SCHEMAS
from dashboard.store.lock import import_holder, locked_transaction
from dashboard.store.migrate import prepare_schema
from dashboard.store.sql import (
    TABLES,
    is_empty,
    read_documents,
    read_table_typed,
    store_version,
    write_documents,
)

Progress = Callable[[float, str], None]


def translate(path: Path, raw: pd.DataFrame, fmt: str, mapping_path: Path | None) -> Translation:
    """Canonical rows from a file read as text, by the registered format ``fmt``."""
    return input_format(fmt).translate(raw, path.name, mapping_path)


def _stored_ids(engine: Engine) -> dict[str, set[str]]:
    inspector = sa.inspect(engine)
    ids: dict[str, set[str]] = {}
    with engine.connect() as connection:
        for table, schema in SCHEMAS.items():
            if inspector.has_table(table):
                column = TABLES[table].c[schema.key]
                # Straight from the driver's cursor: a million ids without per-row result processing.
                ids[table] = {value for (value,) in connection.execute(sa.select(column)).cursor.fetchall()}
    return ids


@dataclass
class PlannedFile:
    """One file read, translated, validated and compared with the store, not yet written."""

    report: ImportReport
    plan: dict
    raw: pd.DataFrame
    rejected_lines: list[int]
    records: Records
    documents: dict[str, str]  # source id to document text, for the sources this file adds or updates
    unparsed: dict[int, str] = field(default_factory=dict)  # rows the CSV reader could not read, as text


def import_file(
    path: Path,
    engine: Engine,
    settings: Settings,
    fmt: str = DEFAULT_FORMAT,
    mapping_path: Path | None = None,
    *,
    dry_run: bool = False,
    sync: bool = False,
    progress: Progress | None = None,
    root: Path = RESOURCE_ROOT,
    user: str | None = None,
) -> ImportReport:
    """Import one CSV file (see the module docstring). Nothing is written when ``dry_run``.

    With ``sync``, stored records of the file's dataset whose own id no longer appears
    anywhere in the file are deleted (ACLED deletes events between versions); without
    it they are only counted in ``not_in_file``. Source document paths resolve against ``root``.
    """
    progress = progress or (lambda fraction, message: None)

    def plan() -> list[PlannedFile]:
        options = {"dry_run": dry_run, "sync": sync, "progress": progress, "root": root}
        return _by(user, [plan_file(path, engine, settings, fmt, mapping_path, **options)])

    planned_at = _version(engine)
    planned = plan()
    if planned[0].report.rows_read == 0:
        # A file of one's own is refused; in a folder, a table without rows is normal (import_path).
        raise FormatMismatch(f"{path} has a header but no rows: nothing to import")
    if not dry_run:
        progress(0.7, "writing")
        planned = _write(engine, planned, progress, settings, only_into_empty=False, planned_at=planned_at, replan=plan)
        refresh_links(engine, settings)  # right after the write: new hits get their proposals
    progress(1.0, "done")
    return planned[0].report


def plan_file(
    path: Path,
    engine: Engine,
    settings: Settings,
    fmt: str = DEFAULT_FORMAT,
    mapping_path: Path | None = None,
    *,
    dry_run: bool = False,
    sync: bool = False,
    progress: Progress | None = None,
    root: Path = RESOURCE_ROOT,
    earlier: Sequence[PlannedFile] = (),
) -> PlannedFile:
    """Everything :func:`import_file` does short of writing.

    ``earlier`` are files planned before this one in the same transaction: references
    may point at their records and quotes are checked against their sources' documents.
    """
    progress = progress or (lambda fraction, message: None)
    data = path.read_bytes()
    report = ImportReport(file=str(path), format=fmt, sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    progress(0.05, "reading")
    if is_geojson(path.name):  # an OpenStreetMap extract: rows of its features' properties
        text = CsvText(*read_geojson_rows(data, path.name))
    else:
        text = read_csv_text(data, path.name)
    raw, read_failures = text.frame, text.failures
    check_header(str(path), list(raw.columns), fmt)  # no header, or not this format's: refused, exit 2
    # Rows the reader could not read are rows read too, each rejected: counted and quarantined, not lost.
    report.rows_read = len(raw) + len(text.unparsed)
    # Whole input rows repeated exactly: the first is kept, the rest are duplicates. A row the
    # reader already failed (bytes not UTF-8, extra cells cut off) is rejected each time instead.
    repeated = raw.duplicated(keep="first") & ~raw.index.isin([f["line"] for f in read_failures])
    duplicate_lines = set(raw.index[repeated])
    progress(0.15, "translating")
    translation = translate(path, raw[~repeated], fmt, mapping_path)
    duplicate_lines |= translation.duplicate_lines
    report.identity = translation.identity_note
    failures = read_failures + translation.failures
    texts = {name: frame.fillna("").astype(str) for name, frame in translation.tables.items()}
    if "incidents" in texts:
        texts["incidents"], located = fill_locations(texts["incidents"], settings.boundary_file, path.name)
        failures += located + unlocated(texts["incidents"], raw, translation.origins, settings.boundary_file, path.name)
    if translation.source is not None:
        texts["sources"] = pd.DataFrame([translation.source], index=pd.Index([0], name="line"), dtype="str")
    failed_lines = {f["line"] for f in failures if f["line"] not in (None, 1)}
    for name, frame in texts.items():
        # Rows already failed still get their other problems listed, for a complete reason.
        if name in SCHEMAS and frame.index.isin(failed_lines).any():
            extra = validate_frame(SCHEMAS[name], frame[frame.index.isin(failed_lines)].copy(), path.name)
            unplaced = {f["line"] for f in failures if f["rule"].startswith("must name one of Ukraine's 27 units")}
            extra = [f for f in extra if f["rule"] != _IGNORED]
            failures += [f for f in extra if not (f["line"] in unplaced and f["column"] in ("oblast", "oblast_iso"))]
    texts = {name: frame[~frame.index.isin(failed_lines)] for name, frame in texts.items()}
    progress(0.35, "validating")
    prepare_schema(engine)
    known_ids = _stored_ids(engine)
    for before in earlier:
        for table, schema in SCHEMAS.items():
            # From a numpy object array: iterating a pyarrow-backed Series costs a Python call per id.
            known_ids.setdefault(table, set()).update(before.records.table(table)[schema.key].to_numpy(dtype=object))
    # A mapping's source document was confined when the mapping was read (its folder or
    # IMPACT_SOURCES_DIR); those folders are allowed here too, and no other.
    roots = [root]
    if mapping_path is not None and input_format(fmt).needs_mapping:
        roots += [Path(mapping_path).resolve().parent] + ([settings.sources_dir] if settings.sources_dir else [])
    known_documents = _known_documents(engine, roots, earlier)
    checked = validate_texts(texts, roots, known_ids=known_ids, known_documents=known_documents)
    failures += [f for f in checked.failures.to_dict("records") if f["line"] != 0 and f["rule"] != _IGNORED]
    input_lines = set(raw.index) | set(text.unparsed)
    rejected_lines = sorted({int(f["line"]) for f in failures if pd.notna(f["line"]) and int(f["line"]) in input_lines})
    if any(f["line"] == 1 and f["column"] == "" for f in failures):
        # The file as a whole could not be read as this format: every row is rejected.
        rejected_lines = sorted(input_lines - duplicate_lines)
    report.duplicates, report.rejected = len(duplicate_lines), len(rejected_lines)
    report.rejections = [_named(f, translation.origins) for f in failures]
    progress(0.55, "comparing with the store")
    plan = plan_changes(engine, checked.records)
    report.conflicts = plan_conflicts(engine, plan)
    headline = "incidents" if "incidents" in translation.tables else next(iter(translation.tables), "incidents")
    report.accepted = len(plan.get(headline, {}).get("new", []))
    report.updated = len(plan.get(headline, {}).get("updated", []))
    report.unchanged = plan.get(headline, {}).get("unchanged", 0)
    gone = _not_in_file(engine, translation, raw, list(text.unparsed.values()))
    report.not_in_file = len(gone)
    report.unmapped = translation.unmapped
    if translation.replaces_impacts and translation.source is not None:
        plan["stale"] = stale_hits(engine, checked.records, translation.source["source_id"])
    for table in [t for t in ("assets", "impacts") if t in translation.tables and headline == "incidents"]:
        steps, removed = plan.get(table, {}), len(plan.get("stale", {}).get(table, []))
        counts = {"new": len(steps.get("new", [])), "updated": len(steps.get("updated", []))}
        report.other_tables[table] = counts | {"unchanged": steps.get("unchanged", 0), "removed": removed}
    if sync and gone:
        plan["deleted"] = gone
        report.deleted = len(gone)
    documents = source_documents(_with_paths(checked.records.sources), roots)
    # The HXL hashtag row under an export's header is a second header, which the canonical format skips.
    if fmt == "canonical" and len(raw) and raw.index[0] not in rejected_lines and _is_hxl_row(raw.iloc[0]):
        report.rows_read -= 1
    if not report.counts_add_up():  # a bug, not bad input: stop before anything is written
        raise RuntimeError(f"import counts do not add up to the {report.rows_read} rows read: {report.to_dict()}")
    return PlannedFile(report, plan, raw, rejected_lines, checked.records, documents, text.unparsed)


def _with_paths(sources: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"source_id": sources["source_id"], "path": sources["path"].fillna("")})


def _known_documents(engine: Engine, roots: list[Path], earlier: Sequence[PlannedFile]) -> dict[str, str]:
    """Documents quotes may cite: stored ones, then those of files planned earlier in this import.

    A store made before documents were kept has none stored: its sources' files are read
    from the allowed folders instead.
    """
    stored = read_documents(engine)
    sources = read_table_typed(engine, "sources")
    missing = sources[~sources["source_id"].isin(list(stored))]
    documents = source_documents(_with_paths(missing), roots) if not missing.empty else {}
    documents |= stored
    for before in earlier:
        documents |= before.documents
    return documents


_IGNORED = "column is not in the schema (ignored)"


def _not_in_file(engine: Engine, translation: Translation, raw: pd.DataFrame, unread: list[str]) -> list[str]:
    """Stored incidents of this dataset whose own id appears nowhere in the file (any row, valid or not)."""
    column = translation.origins.get("source_record_id", "")
    if translation.source is None or column not in raw.columns:
        return []
    incidents = TABLES["incidents"]
    query = sa.select(incidents.c.incident_id, incidents.c.source_record_id).where(
        incidents.c.source_id == translation.source["source_id"]
    )
    with engine.connect() as connection:
        stored = pd.read_sql(query, connection)
    ids = stored["source_record_id"].fillna("")
    absent = ~ids.isin(set(raw[column].fillna("").str.strip()))
    if unread:  # an id in the text of a row that could not be read is not absent: kept, not deleted
        blob = "\n".join(unread)
        absent &= ~ids.map(lambda i: bool(i) and i in blob)
    return sorted(stored.loc[absent, "incident_id"])


def _named(failure: dict, origins: dict[str, str]) -> dict:
    """A failure row that names the input column when the failing field came from one."""
    column = failure["column"]
    source_column = origins.get(column, "")
    shown = f"{column} (from column {source_column!r})" if source_column and source_column != column else column
    line = failure["line"]
    return {**failure, "line": int(line) if pd.notna(line) else None, "column": shown}


def _write(
    engine: Engine,
    planned: list[PlannedFile],
    progress: Progress,
    settings: Settings,
    *,
    only_into_empty: bool,
    planned_at: int,
    replan: Callable[[], list[PlannedFile]],
) -> list[PlannedFile] | None:
    """All files in one transaction under the store's import lock (all or none); each file's
    quarantine file and log are staged before it (``QuarantineUnavailable`` if the folder cannot
    be written: nothing is imported) and take their final names after the commit.

    ``planned_at`` is the store version the plan was made against: if another import wrote
    since, the files are planned again under the lock (where nothing else can write), so a
    stale plan is never written. Returns the files written, or None when ``only_into_empty``
    and the store holds records by now (another process filled it).
    """
    holder = import_holder(planned[0].report.file if len(planned) == 1 else str(Path(planned[0].report.file).parent))
    staged = _stage(planned, settings.quarantine_dir)
    try:
        with locked_transaction(engine, holder, settings.import_lock_timeout) as connection:
            if only_into_empty and not is_empty(connection):
                discard_logs(staged)
                return None
            if store_version(connection) != planned_at:
                progress(0.6, "another import wrote meanwhile: comparing with the store again")
                planned = replan()
                discard_logs(staged)  # still before any write: the new plan's rejects replace them
                staged = _stage(planned, settings.quarantine_dir)
            for file in planned:
                file.report.batch_id = write_file(connection, file.plan, file.report, progress)
                write_documents(connection, file.documents)
    except BaseException:
        discard_logs(staged)  # nothing was imported: no log may say otherwise
        raise
    publish_logs(staged)
    return planned


def _stage(planned: list[PlannedFile], folder: Path) -> StagedLogs:
    rejects = [(f.report, quarantine_rows(f.report, f.raw, f.rejected_lines, f.unparsed)) for f in planned]
    return stage_logs(folder, rejects)


def _version(engine: Engine) -> int:
    """The store version a plan is made against (the schema prepared first, as planning does)."""
    prepare_schema(engine)
    return store_version(engine)


def _by(user: str | None, planned: list[PlannedFile]) -> list[PlannedFile]:
    """The planned files, their reports naming who imports them."""
    for file in planned:
        file.report.user = user or command_line_user()
    return planned


def record_files(folder: Path) -> list[Path]:
    """The record files a canonical folder holds, in reference order (sources first)."""
    return [folder / schema.file for schema in SCHEMAS.values() if (folder / schema.file).is_file()]


def import_path(
    path: Path,
    engine: Engine,
    settings: Settings,
    fmt: str = DEFAULT_FORMAT,
    mapping_path: Path | None = None,
    *,
    dry_run: bool = False,
    sync: bool = False,
    progress: Progress | None = None,
    root: Path = RESOURCE_ROOT,
    only_into_empty: bool = False,
    user: str | None = None,
) -> list[ImportReport]:
    """Import a file, or every record file of a canonical folder in one transaction.

    A folder's files are planned in reference order, each seeing the records of the
    files before it, then written together: all of them or, if one fails, none.
    Each file still gets its own report, batch log row, quarantine file and log.
    With ``only_into_empty`` (the first fill) nothing is written if the store holds
    records by the time the transaction starts: another process filled it.
    """
    if not path.is_dir():
        options = {"dry_run": dry_run, "sync": sync, "progress": progress, "root": root, "user": user}
        return [import_file(path, engine, settings, fmt, mapping_path, **options)]
    files = record_files(path)
    if not files:
        raise FileNotFoundError(f"{path} holds none of {', '.join(s.file for s in SCHEMAS.values())}")
    progress = progress or (lambda fraction, message: None)

    def plan() -> list[PlannedFile]:
        planned: list[PlannedFile] = []
        for file in files:
            options = {"dry_run": dry_run, "sync": sync, "progress": progress, "root": root, "earlier": planned}
            planned.append(plan_file(file, engine, settings, "canonical", **options))  # a folder holds record files
        return _by(user, planned)

    planned_at = _version(engine)
    planned = plan()
    if not dry_run:
        progress(0.7, "writing")
        options = {"only_into_empty": only_into_empty, "planned_at": planned_at, "replan": plan}
        planned = _write(engine, planned, progress, settings, **options) or planned
        refresh_links(engine, settings)
    progress(1.0, "done")
    return [file.report for file in planned]
