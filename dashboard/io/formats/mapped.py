"""Any CSV, through a mapping file that says where each canonical field comes from.

A mapping is a TOML file (format documented in ``examples/mappings/README.md``):

- ``[source]``: the sources row for the dataset (source_id, title, publisher, url,
  attribution, notes).
- ``[identity]``: ``id_column``, the source's own id (not trusted to be unique), and
  ``match_on``, the input columns that tell two events apart.
- ``[scope]``: which rows are in scope (``column`` + ``include`` glob patterns, and
  ``country_column`` + ``countries``); other rows are rejected with the reason.
- ``[fields.<canonical field>]``: one of ``column``, ``constant`` or ``columns`` (the
  first non-blank), then optional transforms: ``date_formats`` (tried in order),
  ``map`` (exact values), ``patterns`` (glob → value, first match wins), ``extract``
  (a regular expression whose first group is a number, for numbers in free text,
  only where the mapping asks), ``resolve = "oblast"`` and ``default``; with ``columns``,
  ``join = ", "`` joins every non-blank one instead.
- ``[facilities]``: the facilities each row hit, as impacts (``mapped_facilities``).
- ``kind = "registry"`` (top level): the fields are asset columns, one facility per row, and
  no incidents (``mapped_facilities``).

Identity: a row that repeats an earlier row in every input column is a duplicate.
Otherwise, when the source id is non-blank and used by no other distinct row of the
file, the record is ``<source_id>:<id>``; when the id is blank or shared by distinct
rows, a short hash of the ``match_on`` columns is added: ``<source_id>:<id>:<hash>``.
So a corrected description keeps its identity, and two different events filed under
one id stay two records.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import tomllib
from pathlib import Path

import pandas as pd
import regex

from dashboard.config import Settings
from dashboard.io.formats.base import Translation, parse_dates
from dashboard.io.formats.mapped_facilities import (
    REGISTRY_FIELDS,
    facilities_problems,
    facility_hits,
    registry_assets,
)
from dashboard.io.formats.registry import InputFormat, register
from dashboard.io.geojson_rows import GEOMETRY_COLUMNS
from dashboard.io.locate import fill_locations
from dashboard.records.failures import failure
from dashboard.records.paths import OutsideRootsError, confined_path
from dashboard.records.schemas import IncidentSchema, SourceSchema
from geo.oblasts import oblast_or_none

FIELDS_ALLOWED = set(IncidentSchema.columns) - {"incident_id", "source_id"}
# A mapping's regular expression may backtrack catastrophically on a crafted value: each value
# gets this long, and after EXTRACT_TIMEOUTS_PER_FIELD timeouts in one file the field's remaining
# values are rejected untried, so a file of hostile values costs at most a second or so per field.
EXTRACT_TIMEOUT_S = 0.1
EXTRACT_TIMEOUTS_PER_FIELD = 5
# fnmatch turns a glob into a regular expression; a short glob keeps that cheap.
MAX_PATTERN_CHARS = 200


class MappingError(ValueError):
    """The mapping file itself is wrong; the message names the key."""


def load_mapping(path: Path, *, may_name_files: bool = True, sources_dir: Path | None = None) -> dict:
    """Read and check a mapping file.

    ``[source] path`` may name a file only under the mapping's own folder or ``sources_dir``
    (``IMPACT_SOURCES_DIR``), and none at all when ``may_name_files`` is false (a mapping
    uploaded through the page: its document comes with the upload or is in the store).
    Every ``extract`` pattern is compiled here, once, and must have a group.
    """
    try:
        mapping = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"{path}: {exc}") from exc
    for key in ("source", "identity", "fields"):
        if key not in mapping:
            raise MappingError(f"{path}: missing [{key}] table")
    if "source_id" not in mapping["source"]:
        raise MappingError(f"{path}: [source] needs source_id")
    kind = mapping.setdefault("kind", "incidents")
    if kind not in ("incidents", "registry"):
        raise MappingError(f"{path}: kind = {kind!r}: use 'incidents' (the default) or 'registry'")
    problems = facilities_problems(mapping["facilities"]) if "facilities" in mapping else []
    if problems:
        raise MappingError(f"{path}: {problems[0]}")
    if kind == "registry" and "facilities" in mapping:
        raise MappingError(f"{path}: [facilities] belongs in an incident mapping; a registry's rows are facilities")
    unknown = set(mapping["fields"]) - (REGISTRY_FIELDS if kind == "registry" else FIELDS_ALLOWED)
    if unknown:
        raise MappingError(f"{path}: [fields] names no canonical field: {', '.join(sorted(unknown))}")
    document = str(mapping["source"].get("path", "") or "")
    if document:
        if not may_name_files:
            raise MappingError(
                f"{path}: [source] path: a mapping uploaded through the page may not name a file; "
                "upload the source document beside it"
            )
        roots = [Path(path).resolve().parent] + ([Path(sources_dir)] if sources_dir else [])
        try:
            mapping["source"]["path"] = str(confined_path(document, roots))
        except OutsideRootsError as exc:
            raise MappingError(
                f"{path}: [source] path: must name a file under the mapping's folder or IMPACT_SOURCES_DIR ({exc})"
            ) from None
    for name, spec in mapping["fields"].items():
        if not ({"column", "constant", "columns"} & set(spec)):
            raise MappingError(f"{path}: [fields.{name}] needs column, columns or constant")
        if "extract" in spec:
            try:
                compiled = _compiled(str(spec["extract"]))
            except regex.error as exc:
                raise MappingError(f"{path}: [fields.{name}] extract: not a regular expression ({exc})") from None
            if compiled.groups < 1:
                raise MappingError(f"{path}: [fields.{name}] extract: needs a group, the number wanted")
        globs = [p for p, _ in spec.get("patterns", [])]
        for key, values in (
            (f"[fields.{name}] patterns", globs),
            ("[scope] include", mapping.get("scope", {}).get("include", [])),
        ):
            if any(len(str(g)) > MAX_PATTERN_CHARS for g in values):
                raise MappingError(f"{path}: {key}: a glob longer than {MAX_PATTERN_CHARS} characters")
    return mapping


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> regex.Pattern:
    """A mapping's ``extract`` pattern, compiled once per process."""
    return regex.compile(pattern, regex.IGNORECASE)


def _extract(values: pd.Series, pattern: str, file: str, column: str, failures: list[dict]) -> pd.Series:
    """The first group of ``pattern`` in each value, each distinct value tried under a time limit."""
    compiled = _compiled(pattern)
    found: dict[str, str] = {}
    timed_out: dict[str, str] = {}
    for value in values.unique():
        if len(timed_out) >= EXTRACT_TIMEOUTS_PER_FIELD:
            timed_out[value] = f"extract pattern timed out {EXTRACT_TIMEOUTS_PER_FIELD} times in this file; not tried"
            continue
        try:
            match = compiled.search(value, timeout=EXTRACT_TIMEOUT_S, concurrent=True)
        except TimeoutError:
            timed_out[value] = f"extract pattern timed out after {EXTRACT_TIMEOUT_S} s"
            continue
        found[value] = (match.group(1) or "") if match else ""
    if timed_out:
        bad = values.isin(list(timed_out))
        failures += [failure(file, line, column, value, timed_out[value]) for line, value in values[bad].items()]
    return values.map(lambda v: found.get(v, "")).astype("str")


def _matches(value: str, patterns: list[str]) -> bool:
    """Glob match, ignoring case ("Civilian Infrastructure Damage*" matches every month's group)."""
    return any(fnmatch.fnmatchcase(value.casefold(), pattern.casefold()) for pattern in patterns)


def _field_values(
    raw: pd.DataFrame, name: str, spec: dict, file: str, failures: list[dict], lost: dict | None = None
) -> pd.Series:
    """One canonical field for every row, with failures for values a transform cannot read.

    Values the field's ``patterns`` map to nothing (and no ``default`` replaces) go into
    ``lost`` under the field's origin, by line, for the import report.
    """
    if "constant" in spec:
        values = pd.Series(str(spec["constant"]), index=raw.index, dtype="str")
        column = "(constant)"
    else:
        columns = spec.get("columns") or [spec["column"]]
        missing = [c for c in columns if c not in raw.columns]
        if missing and GEOMETRY_COLUMNS[0] in raw.columns:
            # GeoJSON rows: a property no feature has is a tag nobody set, blank rather than a typo.
            raw = raw.assign(**dict.fromkeys(missing, ""))
        elif missing:
            failures.append(failure(file, 1, missing[0], "", f"column named by the mapping for {name} is missing"))
            return pd.Series("", index=raw.index, dtype="str")
        values = raw[columns[0]].fillna("").str.strip()
        if "join" in spec:  # every non-blank column, in order, as one line
            cells = raw[columns].fillna("").apply(lambda column: column.str.strip())
            values = cells.apply(lambda row: str(spec["join"]).join(v for v in row if v), axis=1).astype("str")
        for other in [] if "join" in spec else columns[1:]:
            values = values.where(values != "", raw[other].fillna("").str.strip())
        column = columns[0]
    original = values
    if "date_formats" in spec:
        values = parse_dates(values, spec["date_formats"])
        bad = (original != "") & (values == "")
        failures += [
            failure(
                file, line, column, value, f"not a date in the mapping's formats ({', '.join(spec['date_formats'])})"
            )
            for line, value in original[bad].items()
        ]
    if "map" in spec:
        table = {str(k): str(v) for k, v in spec["map"].items()}
        values = values.map(lambda v: table.get(v, v))
    if "patterns" in spec:
        rules = [(str(p), str(v)) for p, v in spec["patterns"]]
        # First matching pattern wins; a value no pattern matches becomes blank (then ``default``).
        lookup = {v: next((out for p, out in rules if _matches(v, [p])), "") for v in values.unique()}
        matched = values.map(lookup)
        if lost is not None and "default" not in spec:
            lost[_origin(spec)] = values[(values != "") & (matched == "")]
        values = matched
    if "extract" in spec:
        values = _extract(values, str(spec["extract"]), file, column, failures)
    if spec.get("resolve") == "oblast":
        units = {v: oblast_or_none(v) for v in values.unique() if v}
        lookup = {v: unit.name for v, unit in units.items() if unit}
        values = values.map(lambda v: lookup.get(v, ""))
    if "default" in spec:
        values = values.where(values != "", str(spec["default"]))
    return values.astype("str")


def _identity(raw: pd.DataFrame, mapping: dict) -> pd.Series:
    """The incident id of every row, by the rule in the module docstring.

    Rows identical in every input column get equal ids, so the importer counts them as duplicates.
    """
    source_id = mapping["source"]["source_id"]
    identity = mapping["identity"]
    id_column = identity.get("id_column", "")
    own_ids = raw[id_column].fillna("").str.strip() if id_column in raw.columns else pd.Series("", index=raw.index)
    distinct = ~raw.duplicated(keep="first")
    shared = own_ids[distinct].duplicated(keep=False).reindex(raw.index)
    # A repeated row takes the shared flag of the first row with its content.
    shared = (
        shared.fillna(False).astype(bool) | own_ids.map(own_ids[distinct & shared.fillna(False)].value_counts()).notna()
    )
    match_columns = [c for c in identity.get("match_on", []) if c in raw.columns] or list(raw.columns)
    # On no rows, a row-wise agg returns a frame, not a series: a file with only a header.
    content = (
        raw[match_columns].fillna("").astype(str).agg("\x1f".join, axis=1)
        if len(raw)
        else pd.Series("", index=raw.index, dtype="str")
    )
    digest = content.map(lambda text: hashlib.sha256(text.encode()).hexdigest()[:10])
    needs_hash = (own_ids == "") | shared
    base = own_ids.where(own_ids != "", "noid")
    return (source_id + ":" + base).where(~needs_hash, source_id + ":" + base + ":" + digest)


def _out_of_scope(raw: pd.DataFrame, mapping: dict, file: str, failures: list[dict]) -> pd.Series:
    """Rows the mapping's ``[scope]`` leaves out, each with a failure saying why."""
    # Out-of-scope rows stay in the tables so that validation adds every other problem to
    # their reason; the importer rejects them by their scope failure.
    scope = mapping.get("scope", {})
    out_of_scope = pd.Series(False, index=raw.index)
    if scope.get("country_column") in raw.columns:
        country = raw[scope["country_column"]].fillna("").str.strip()
        outside = ~country.isin(scope.get("countries", []))
        failures += [
            failure(file, line, scope["country_column"], value, "outside the dashboard's coverage (Ukraine)")
            for line, value in country[outside].items()
        ]
        out_of_scope |= outside
    if scope.get("column") in raw.columns:
        values = raw[scope["column"]].fillna("").str.strip()
        lookup = {v: _matches(v, scope.get("include", [])) for v in values.unique()}
        excluded = ~values.map(lookup).astype(bool) & ~out_of_scope
        failures += [
            failure(file, line, scope["column"], value, "out of scope: not an event the mapping includes")
            for line, value in values[excluded].items()
        ]
        out_of_scope |= excluded
    return out_of_scope


def _origin(spec: dict) -> str:
    """The input column(s) a field comes from, as a failure names them."""
    columns = [str(c) for c in spec.get("columns", [])]
    if "column" in spec or len(columns) < 2:
        return str(spec.get("column") or (columns or ["(constant)"])[0])
    # Which of several a rejected value came from is not kept per row: all are named.
    return ("all of " if "join" in spec else "first non-blank of ") + ", ".join(columns)


def translate_mapped(raw: pd.DataFrame, file: str, mapping: dict, boundary_file: str = "") -> Translation:
    """Canonical incidents (or, for a registry, assets) from any CSV through a mapping.

    See the module docstring; ``boundary_file`` places facilities whose oblast is not given.
    """
    failures: list[dict] = []
    fields = pd.DataFrame(index=raw.index)
    origins = {}
    lost: dict[str, pd.Series] = {}
    for name, spec in mapping["fields"].items():
        fields[name] = _field_values(raw, name, spec, file, failures, lost)
        origins[name] = _origin(spec)
    out_of_scope = _out_of_scope(raw, mapping, file, failures)
    # A value mapped to nothing is named with its count (rows out of scope are rejected anyway).
    unmapped = {
        column: {str(v): int(n) for v, n in sorted(values[~out_of_scope.reindex(values.index)].value_counts().items())}
        for column, values in lost.items()
    }
    unmapped = {column: counts for column, counts in unmapped.items() if counts}
    source = {name: str(mapping["source"].get(name, "")) for name in SourceSchema.columns}
    if mapping.get("kind") == "registry":
        translation = _registry(raw, file, mapping, fields, origins, failures, source, boundary_file)
        translation.unmapped = unmapped
        return translation
    ids = _identity(raw, mapping)
    incidents = pd.DataFrame(index=raw.index)
    for name in IncidentSchema.columns:
        incidents[name] = fields[name] if name in fields else ""
    incidents["incident_id"] = ids
    incidents["source_id"] = mapping["source"]["source_id"]
    # Rows with the identity of an earlier row are the same event (the id rule already tells
    # different events under one id apart): the first is kept.
    same_event = incidents["incident_id"].duplicated(keep="first") & ~raw.duplicated(keep="first")
    keep = ~same_event
    tables = {"incidents": incidents[keep]}
    if "facilities" in mapping:
        spec = mapping["facilities"]
        state = spec.get("state_after", "unknown")
        states = (
            _field_values(raw, "state_after", state, file, failures)
            if isinstance(state, dict)
            else pd.Series(str(state), index=raw.index, dtype="str")
        )
        # The unnamed assets sit where the incident is, so its place is filled first (the
        # importer's own pass then finds nothing left to fill and reports what stays unplaced).
        located, _ = fill_locations(tables["incidents"], boundary_file, file)
        assets, impacts, hit_nothing, missing = facility_hits(raw, located, spec, states, file)
        unmapped |= hit_nothing
        tables = {"incidents": located, "assets": assets, "impacts": impacts}
        failures += missing
    return Translation(
        source=source,
        tables=tables,
        failures=failures,
        origins=origins,
        identity_note=(
            f"identity: the source's {mapping['identity'].get('id_column', 'id')!r} when it names one distinct row; "
            f"otherwise it plus a hash of {', '.join(mapping['identity'].get('match_on', []))}; "
            "rows equal in every input column are duplicates"
        ),
        duplicate_lines=set(raw.index[same_event]),
        unmapped=unmapped,
        replaces_impacts="facilities" in mapping,
    )


def _registry(
    raw: pd.DataFrame,
    file: str,
    mapping: dict,
    fields: pd.DataFrame,
    origins: dict,
    failures: list[dict],
    source: dict,
    boundary_file: str,
) -> Translation:
    """Facilities, no incidents: one asset per row, its id from the registry's own id column."""
    id_column = mapping["identity"].get("id_column", "")
    ids = raw[id_column].fillna("").str.strip() if id_column in raw.columns else pd.Series("", index=raw.index)
    origins = origins | {"asset_id": id_column or "(no id column)"}
    assets, located = registry_assets(fields, ids, source["source_id"], origins, raw, file, boundary_file)
    return Translation(
        source=source,
        tables={"assets": assets},
        failures=failures + located,
        origins=origins,
        identity_note=f"identity: {source['source_id']}:<{id_column}> (the registry's own id)",
    )


def _translate_with_mapping(raw: pd.DataFrame, file: str, mapping_path: Path | None) -> Translation:
    if mapping_path is None:
        raise ValueError("--format mapped needs --mapping MAPPING.toml")
    settings = Settings.from_env()
    mapping = load_mapping(mapping_path, sources_dir=settings.sources_dir)
    return translate_mapped(raw, file, mapping, settings.boundary_file)


register(
    InputFormat(
        name="mapped",
        title="Any CSV, through a mapping file",
        help="any CSV, through a mapping file (--mapping) that says where each canonical field comes from",
        # Any header can be mapped; only a mapping file says which columns mean what.
        detects=lambda header: False,
        translate=_translate_with_mapping,
        needs_mapping=True,
    )
)
