"""Import a file into the store without losing a row and without counting anything twice.

The steps, for every format:

1. read the file as text, each row keeping its line number;
2. translate it to canonical rows (``dashboard.io.formats``), collecting rows it cannot read;
3. fill gaps offline: coordinates from the gazetteer for a place name, an oblast by
   point-in-polygon for coordinates (when a boundary file is configured);
4. drop rows repeated exactly within the file (counted as duplicates);
5. validate against the schemas, references allowed to point at stored records;
6. compare each record with the store by its identity: new, updated or unchanged;
7. write everything in one transaction with a batch log row, and write the rejected
   rows, in the input's own columns plus ``source_line`` and ``reason``, to a
   quarantine CSV beside a JSON import log.

Re-importing the same file therefore changes nothing, and a newer version of a
source updates the records whose content changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.config import RESOURCE_ROOT, Settings
from dashboard.io.formats.base import Translation
from dashboard.records.load import read_text_csv, validate_frame, validate_texts
from dashboard.records.schemas import SCHEMAS
from dashboard.store.sql import TABLES, import_batches, metadata, read_table_text, rows_for_insert

FORMATS = ("canonical", "acled", "mapped")
Progress = Callable[[float, str], None]


@dataclass
class ImportReport:
    """What an import did, in the counts and rows a user checks before and after."""

    file: str
    format: str
    sha256: str
    rows_read: int = 0
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[dict] = field(default_factory=list)
    identity: str = ""
    quarantine_file: str = ""
    log_file: str = ""
    batch_id: int | None = None
    dry_run: bool = False
    not_in_file: int = 0  # stored records of this file's dataset whose source id the file no longer has
    deleted: int = 0  # of those, removed (only with sync)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        lines = [
            f"{self.file} ({self.format}){' — dry run, nothing written' if self.dry_run else ''}",
            f"  rows read   {self.rows_read:>8,}",
            f"  accepted    {self.accepted:>8,}  (new records)",
            f"  updated     {self.updated:>8,}",
            f"  unchanged   {self.unchanged:>8,}",
            f"  duplicates  {self.duplicates:>8,}  (rows repeated within the file)",
            f"  rejected    {self.rejected:>8,}",
        ]
        if self.not_in_file:
            action = f"{self.deleted:,} deleted (--sync)" if self.deleted else "kept; --sync removes them"
            lines.append(f"  not in file {self.not_in_file:>8,}  (stored records of this dataset: {action})")
        if self.identity:
            lines.append(f"  {self.identity}")
        for rejection in self.rejections[:20]:
            where = f"line {rejection['line']}: {rejection['column'] or 'row'}"
            lines.append(f"  {where} = {rejection['value']!r}: {rejection['rule']}")
        if len(self.rejections) > 20:
            lines.append(f"  … {len(self.rejections) - 20:,} more in {self.quarantine_file or 'the report'}")
        if self.quarantine_file:
            lines.append(f"  rejected rows: {self.quarantine_file}")
        return "\n".join(lines)


def translate(path: Path, raw: pd.DataFrame, fmt: str, mapping_path: Path | None) -> Translation:
    """Canonical rows from a file read as text, by format."""
    if fmt == "canonical":
        from dashboard.io.formats.canonical import translate_canonical

        return translate_canonical(raw, path.name)
    if fmt == "acled":
        from dashboard.io.formats.acled import translate_acled

        return translate_acled(raw, path.name)
    if fmt == "mapped":
        from dashboard.io.formats.mapped import load_mapping, translate_mapped

        if mapping_path is None:
            raise ValueError("--format mapped needs --mapping MAPPING.toml")
        return translate_mapped(raw, path.name, load_mapping(mapping_path))
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def fill_locations(incidents: pd.DataFrame, boundary_file: str, file: str) -> tuple[pd.DataFrame, list[dict]]:
    """Coordinates from the gazetteer for a place name, an oblast by point-in-polygon for coordinates.

    An ambiguous or unknown name is reported, never guessed.
    """
    failures: list[dict] = []
    if incidents.empty:
        return incidents, failures
    incidents = incidents.copy()
    no_point = (incidents["latitude"] == "") | (incidents["longitude"] == "")
    if no_point.any():
        from geo.gazetteer import geocode
        from geo.oblasts import UnknownOblastError

        for line, row in incidents[no_point & (incidents["place"] != "")].iterrows():
            try:
                result = geocode(row["place"], row["oblast"] or None)
            except UnknownOblastError:
                continue  # the unreadable oblast is reported by validation; no lookup without it
            if result.status == "found":
                incidents.loc[line, ["latitude", "longitude"]] = [
                    f"{result.place.latitude:.5f}",
                    f"{result.place.longitude:.5f}",
                ]
                incidents.loc[line, "geo_precision"] = "2"
                if not row["oblast"]:
                    from geo.oblasts import resolve_oblast

                    incidents.loc[line, "oblast"] = resolve_oblast(result.place.oblast_iso).name
            else:
                failures.append(
                    {
                        "file": file,
                        "line": line,
                        "column": "place",
                        "value": row["place"],
                        "rule": f"place name {result.status}, not guessed: {result.message}",
                    }
                )
    no_oblast = (incidents["oblast"] == "") & (incidents["latitude"] != "") & (incidents["longitude"] != "")
    if no_oblast.any() and boundary_file:
        from geo.boundaries import load_boundaries
        from geo.gazetteer import assign_oblasts
        from geo.oblasts import resolve_oblast

        boundaries = load_boundaries(boundary_file)
        if boundaries.available:
            points = incidents.loc[no_oblast, ["latitude", "longitude"]].apply(pd.to_numeric, errors="coerce")
            isos = assign_oblasts(points, boundaries)
            found = isos.notna()
            incidents.loc[isos[found].index, "oblast"] = [resolve_oblast(iso).name for iso in isos[found]]
    named = incidents["oblast"] != ""
    if named.any():
        from geo.oblasts import UnknownOblastError, resolve_oblast

        def iso_of(name: str) -> str:
            try:
                return resolve_oblast(name).iso
            except UnknownOblastError:
                return ""

        lookup = {name: iso_of(name) for name in incidents.loc[named, "oblast"].unique()}
        fill = named & (incidents["oblast_iso"] == "")
        incidents.loc[fill, "oblast_iso"] = incidents.loc[fill, "oblast"].map(lookup)
    return incidents, failures


def _stored_ids(engine: Engine) -> dict[str, set[str]]:
    inspector = sa.inspect(engine)
    ids: dict[str, set[str]] = {}
    with engine.connect() as connection:
        for table, schema in SCHEMAS.items():
            if inspector.has_table(table):
                column = TABLES[table].c[schema.key]
                ids[table] = set(connection.execute(sa.select(column)).scalars())
    return ids


def _row_hashes(frame: pd.DataFrame, table: str) -> pd.Series:
    columns = list(SCHEMAS[table].columns)
    return pd.util.hash_pandas_object(frame[columns].astype(str), index=False).set_axis(frame[SCHEMAS[table].key])


def import_file(
    path: Path,
    engine: Engine,
    settings: Settings,
    fmt: str = "canonical",
    mapping_path: Path | None = None,
    *,
    dry_run: bool = False,
    sync: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one CSV file (see the module docstring). Nothing is written when ``dry_run``.

    With ``sync``, stored records of the file's dataset whose own id no longer appears
    anywhere in the file are deleted (ACLED deletes events between versions); without
    it they are only counted in ``not_in_file``.
    """
    progress = progress or (lambda fraction, message: None)
    data = path.read_bytes()
    report = ImportReport(file=str(path), format=fmt, sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    progress(0.05, "reading")
    raw, read_failures = read_text_csv(data, path.name)
    report.rows_read = len(raw)
    # Whole input rows repeated exactly: the first is kept, the rest are duplicates.
    repeated = raw.duplicated(keep="first")
    duplicate_lines = set(raw.index[repeated])
    progress(0.15, "translating")
    translation = translate(path, raw[~repeated], fmt, mapping_path)
    duplicate_lines |= translation.duplicate_lines
    report.identity = translation.identity_note
    failures = read_failures + translation.failures
    texts = {name: frame.fillna("").astype(str) for name, frame in translation.tables.items()}
    if "incidents" in texts:
        texts["incidents"], located = fill_locations(texts["incidents"], settings.boundary_file, path.name)
        failures += located + _unlocated(
            texts["incidents"], raw, translation.origins, settings.boundary_file, path.name
        )
    if translation.source is not None:
        texts["sources"] = pd.DataFrame([translation.source], index=pd.Index([0], name="line"), dtype="str")
    failed_lines = {f["line"] for f in failures if f["line"] not in (None, 1)}
    for name, frame in texts.items():
        # Rows already failed still get their other problems listed, for a complete reason.
        if name in SCHEMAS and frame.index.isin(failed_lines).any():
            extra = validate_frame(SCHEMAS[name], frame[frame.index.isin(failed_lines)].copy(), path.name)
            unplaced = {f["line"] for f in failures if f["rule"].startswith("must name one of Ukraine's 27 units")}
            failures += [
                f
                for f in extra
                if f["rule"] != _IGNORED and not (f["line"] in unplaced and f["column"] in ("oblast", "oblast_iso"))
            ]
    texts = {name: frame[~frame.index.isin(failed_lines)] for name, frame in texts.items()}
    progress(0.35, "validating")
    metadata.create_all(engine)
    checked = validate_texts(texts, RESOURCE_ROOT, known_ids=_stored_ids(engine))
    failures += [f for f in checked.failures.to_dict("records") if f["line"] != 0 and f["rule"] != _IGNORED]
    input_lines = set(raw.index)
    rejected_lines = sorted({int(f["line"]) for f in failures if pd.notna(f["line"]) and int(f["line"]) in input_lines})
    if any(f["line"] == 1 and f["column"] == "" for f in failures):
        # The file as a whole could not be read as this format: every row is rejected.
        rejected_lines = sorted(input_lines - duplicate_lines)
    report.duplicates = len(duplicate_lines)
    report.rejected = len(rejected_lines)
    report.rejections = [_named(f, translation.origins) for f in failures]
    progress(0.55, "comparing with the store")
    plan = _plan(engine, checked.records)
    headline = "incidents" if "incidents" in translation.tables else next(iter(translation.tables), "incidents")
    report.accepted = len(plan.get(headline, {}).get("new", []))
    report.updated = len(plan.get(headline, {}).get("updated", []))
    report.unchanged = plan.get(headline, {}).get("unchanged", 0)
    gone = _not_in_file(engine, translation, raw)
    report.not_in_file = len(gone)
    if sync and gone:
        plan["deleted"] = gone
        report.deleted = len(gone)
    if not dry_run:
        progress(0.7, "writing")
        report.batch_id = _write(engine, plan, report, progress)
        _write_logs(report, raw, rejected_lines, settings.quarantine_dir)
    progress(1.0, "done")
    return report


_IGNORED = "column is not in the schema (ignored)"


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _not_in_file(engine: Engine, translation: Translation, raw: pd.DataFrame) -> list[str]:
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
    present = set(raw[column].fillna("").str.strip())
    return sorted(stored.loc[~stored["source_record_id"].fillna("").isin(present), "incident_id"])


def _unlocated(incidents: pd.DataFrame, raw: pd.DataFrame, origins: dict, boundary_file: str, file: str) -> list[dict]:
    """Rows that still have no oblast after geocoding: one clear failure each, naming the input value."""
    missing = incidents[incidents["oblast"] == ""]
    column = origins.get("oblast", "oblast")
    how = (
        "and the coordinates fall in none of them"
        if boundary_file
        else "(set IMPACT_BOUNDARY_FILE to place coordinates)"
    )
    return [
        {
            "file": file,
            "line": line,
            "column": column,
            "value": raw.at[line, column] if column in raw.columns else "",
            "rule": f"must name one of Ukraine's 27 units, {how}",
        }
        for line in missing.index
    ]


def _named(failure: dict, origins: dict[str, str]) -> dict:
    """A failure row that names the input column when the failing field came from one."""
    column = failure["column"]
    source_column = origins.get(column, "")
    shown = f"{column} (from column {source_column!r})" if source_column and source_column != column else column
    line = failure["line"]
    return {**failure, "line": int(line) if pd.notna(line) else None, "column": shown}


def _plan(engine: Engine, records) -> dict:
    """For each table: rows to insert, rows to replace, how many are unchanged."""
    plan: dict[str, dict] = {}
    for table in SCHEMAS:
        incoming = records.table(table)
        if incoming.empty:
            continue
        key = SCHEMAS[table].key
        stored = read_table_text(engine, table, ids=list(incoming[key]))
        incoming_hashes = _row_hashes(_as_text(incoming, table), table)
        stored_hashes = _row_hashes(stored, table) if not stored.empty else pd.Series(dtype="uint64")
        is_stored = incoming[key].isin(stored_hashes.index)
        same = is_stored & (
            incoming_hashes.reindex(incoming[key]).to_numpy() == stored_hashes.reindex(incoming[key]).to_numpy()
        )
        plan[table] = {
            "new": incoming[~is_stored],
            "updated": incoming[is_stored & ~same],
            "unchanged": int(same.sum()),
        }
    return plan


def _as_text(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    from dashboard.store.sql import typed_to_text

    return typed_to_text(frame, table)


def _write(engine: Engine, plan: dict, report: ImportReport, progress: Progress) -> int:
    """One transaction: replaced rows deleted and inserted again, new rows inserted, one batch row."""
    with engine.begin() as connection:
        for chunk in _chunks(plan.pop("deleted", []), 5000):
            connection.execute(TABLES["impacts"].delete().where(TABLES["impacts"].c.incident_id.in_(chunk)))
            connection.execute(TABLES["incidents"].delete().where(TABLES["incidents"].c.incident_id.in_(chunk)))
        for table, steps in plan.items():
            key_column = TABLES[table].c[SCHEMAS[table].key]
            updated = steps["updated"]
            for start in range(0, len(updated), 5000):
                ids = list(updated[SCHEMAS[table].key].iloc[start : start + 5000])
                connection.execute(TABLES[table].delete().where(key_column.in_(ids)))
            for frame in (updated, steps["new"]):
                rows = rows_for_insert(frame, table)
                for start in range(0, len(rows), 20_000):
                    connection.execute(TABLES[table].insert(), rows[start : start + 20_000])
                    progress(0.7 + 0.25 * min(1.0, (start + 20_000) / max(len(rows), 1)), f"writing {table}")
        result = connection.execute(
            import_batches.insert().values(
                file=report.file,
                sha256=report.sha256,
                imported_at=datetime.now(UTC).replace(tzinfo=None),
                rows_read=report.rows_read,
                accepted=report.accepted,
                rejected=report.rejected,
                updated=report.updated,
                unchanged=report.unchanged,
                duplicates=report.duplicates,
                format=report.format,
            )
        )
        return int(result.inserted_primary_key[0])


def _write_logs(report: ImportReport, raw: pd.DataFrame, rejected_lines: list[int], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-batch{report.batch_id}-{Path(report.file).stem}"
    if rejected_lines:
        reasons: dict[int, list[str]] = {}
        for f in report.rejections:
            if f["line"] is not None:
                reasons.setdefault(int(f["line"]), []).append(
                    f"{f['column'] or 'row'}: {f['rule']} (got {f['value']!r})"
                )
        rows = raw.loc[rejected_lines].copy()
        rows["source_line"] = rows.index
        rows["reason"] = ["; ".join(reasons.get(line, [])) for line in rows.index]
        quarantine = folder / f"{stem}.rejected.csv"
        rows.to_csv(quarantine, index=False)
        report.quarantine_file = str(quarantine)
    log = folder / f"{stem}.log.json"
    report.log_file = str(log)
    log.write_text(json.dumps(report.to_dict(), indent=2, default=str), encoding="utf-8")


def import_path(
    path: Path, engine: Engine, settings: Settings, fmt: str = "canonical", **options
) -> list[ImportReport]:
    """Import a file, or every record file of a canonical folder in reference order."""
    if path.is_dir():
        files = [path / schema.file for schema in SCHEMAS.values() if (path / schema.file).is_file()]
        if not files:
            raise FileNotFoundError(f"{path} holds none of {', '.join(s.file for s in SCHEMAS.values())}")
        return [import_file(file, engine, settings, "canonical", **options) for file in files]
    return [import_file(path, engine, settings, fmt, **options)]
