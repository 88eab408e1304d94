"""Exports for other tools: CSV with an HXL hashtag row, GeoJSON, and a metadata sidecar.

Every export carries exactly the filtered incidents, in the documented columns
of ``incidents.csv``. CSV text is made safe for spreadsheets by
``dashboard.io.csv_writer.export_frame``; GeoJSON keeps text as written. Each file gets a
``<file>.meta.json`` sidecar naming the filters, the row count, the export time,
the data's last update, what every column means and the credit each source
requires.

Examples
--------
>>> from pathlib import Path
>>> from dashboard.query.totals import Filters, filter_incidents
>>> from dashboard.records.load import load_records
>>> records = load_records(Path("data")).records
>>> kherson = filter_incidents(records, Filters(oblasts=("Kherson",)))
>>> hxl_csv_bytes(kherson).decode().splitlines()[1].split(",")[:3]
['#event+id', '#date', '#date+precision']
>>> export_metadata(records, Filters(oblasts=("Kherson",)))["rows"]
3
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from dashboard.io.csv_writer import OPTIONAL_COLUMNS, optional_columns, to_csv_bytes
from dashboard.query.totals import Filters, filter_incidents
from dashboard.records.load import Records
from dashboard.records.schemas import IncidentSchema, SourceSchema
from dashboard.store.audit import last_changed

# HXL hashtag of every incidents column; attributes not in the HXL dictionary are in CUSTOM_ATTRIBUTES.
HXL_TAGS: dict[str, str] = {
    "incident_id": "#event+id",
    "event_date": "#date",
    "date_precision": "#date+precision",
    "date_as_stated": "#date+as_stated",
    "place": "#loc+name",
    "oblast": "#adm1+name",
    "oblast_iso": "#adm1+code+v_iso3166_2",
    "latitude": "#geo+lat",
    "longitude": "#geo+lon",
    "geo_precision": "#geo+precision",
    "weapons": "#event+weapon",
    "perpetrator_as_reported": "#group+perpetrator+reported",
    "reported_by": "#meta+reported_by",
    "killed": "#affected+killed",
    "injured": "#affected+injured",
    "children_killed": "#affected+killed+children",
    "children_injured": "#affected+injured+children",
    "description": "#description",
    "event_type": "#event+type",
    "source_id": "#meta+source",
    "source_record_id": "#event+code+source",
    "source_url": "#meta+url",
    "quote": "#description+quote",
    "notes": "#meta+notes",
    "last_changed": "#date+changed",  # only with impact export --last-changed
}
CUSTOM_ATTRIBUTES: dict[str, str] = {
    "+precision": "how exactly the date or the location is known (as ACLED's HXL export uses it)",
    "+as_stated": "free text: the date in the source's own words, not a parseable date",
    "+v_iso3166_2": "codes are ISO 3166-2 (UA-65), not OCHA P-codes (UA65); five units differ in number",
    "+weapon": "weapon(s) used, ';'-separated",
    "+perpetrator": "the group the source says carried out the attack",
    "+reported_by": "who the source attributes the account or figures to",
    "+source": "on #event+code: the identifier the source itself gives the event",
    "+quote": "the source's sentence(s), verbatim",
    "+notes": "the coder's caveats",
}

LOCATION_PRECISION = {"1": "site", "2": "settlement", "3": "oblast"}
EXTRA_PROPERTIES = {
    "location_precision": "geo_precision in words: site, settlement or oblast.",
    "approximate": "true when the point is not the site itself (geo_precision 2 or 3).",
    "geometry_is_oblast_centroid": "true when the point is only the oblast's centroid (geo_precision 3): "
    "the incident's place within the oblast is not known.",
}
FORMATS = ("csv", "geojson")
NOTES = (
    "Launch counts (salvos) are not included: they belong to no single place and are not attacks.",
    "A blank (CSV) or null (GeoJSON) value means 'not reported', which is different from 0.",
    "geo_precision 2 puts the incident at its settlement's centre, 3 at the oblast's centroid: not the site.",
)
CSV_NOTE = "Text cells a spreadsheet would run as a formula (=, +, -, @, tab, CR first) start with an apostrophe."


def _columns() -> list[str]:
    """Export columns, each checked to have an HXL tag (a new schema column must get one)."""
    columns = list(IncidentSchema.columns)
    untagged = [name for name in columns if name not in HXL_TAGS]
    if untagged:
        raise ValueError(f"incidents columns without an HXL tag: {', '.join(untagged)} (add them to HXL_TAGS)")
    return columns


def hxl_csv_bytes(incidents: pd.DataFrame) -> bytes:
    """CSV of the incidents with an HXL hashtag row directly under the header.

    Header and data rows are exactly ``dashboard.io.csv_writer.to_csv_bytes``'s: documented
    columns, text neutralised against spreadsheet formulas, numbers untouched. Line 2
    has one tag per column (``HXL_TAGS``). Attributes of our own (``CUSTOM_ATTRIBUTES``):
    +precision, +as_stated, +v_iso3166_2, +weapon, +perpetrator, +reported_by,
    +source (on #event), +quote, +notes.

    Parameters
    ----------
    incidents : pd.DataFrame
        Typed incident rows, e.g. from ``filter_incidents``.

    Returns
    -------
    bytes
        UTF-8 CSV: header, hashtag row, one line per incident. Tools without
        HXL support read it with ``pd.read_csv(..., skiprows=[1])``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from dashboard.records.load import load_records
    >>> incidents = load_records(Path("data")).records.incidents
    >>> lines = hxl_csv_bytes(incidents).decode().splitlines()
    >>> lines[0].split(",")[7:9], lines[1].split(",")[7:9]
    (['latitude', 'longitude'], ['#geo+lat', '#geo+lon'])
    """
    _columns()  # every column has a tag
    header, _, body = to_csv_bytes(incidents).decode("utf-8").partition("\n")
    header, ending = header.removesuffix("\r"), "\r\n" if header.endswith("\r") else "\n"
    tags = ",".join(HXL_TAGS[name] for name in header.split(","))  # column names hold no commas
    return (header + ending + tags + ending + body).encode("utf-8")


def _feature(row: pd.Series, columns: list[str]) -> dict:
    specs = IncidentSchema.columns
    properties = {name: specs[name].column_kind.to_json(row[name]) for name in columns}
    for name in row.index.intersection(list(OPTIONAL_COLUMNS)):
        properties[name] = row[name] or None
    precision = properties["geo_precision"] or ""
    properties["location_precision"] = LOCATION_PRECISION.get(precision)
    properties["approximate"] = precision in ("2", "3")
    properties["geometry_is_oblast_centroid"] = precision == "3"
    lon, lat = properties["longitude"], properties["latitude"]
    geometry = None if lon is None or lat is None else {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "id": properties["incident_id"], "geometry": geometry, "properties": properties}


def geojson_bytes(incidents: pd.DataFrame, records: Records) -> bytes:
    """A GeoJSON FeatureCollection (RFC 7946) of the incidents, one Point each.

    Coordinates are ``[longitude, latitude]`` (WGS84). Properties are the export
    columns with text as written (no formula neutralisation: JSON is not run),
    dates as ``YYYY-MM-DD`` and blanks or missing numbers as ``null``, plus
    ``location_precision`` ("site", "settlement", "oblast"), ``approximate``
    (true for geo_precision 2 and 3) and ``geometry_is_oblast_centroid`` (true
    for geo_precision 3, where the point is only the oblast's centroid). The
    collection's ``sources`` member gives the credit each included source needs.

    Parameters
    ----------
    incidents : pd.DataFrame
        Typed incident rows, e.g. from ``filter_incidents``.
    records : Records
        The records the incidents come from (for their sources).

    Returns
    -------
    bytes
        UTF-8 JSON without NaN or Infinity.

    Examples
    --------
    >>> from pathlib import Path
    >>> from dashboard.records.load import load_records
    >>> records = load_records(Path("data")).records
    >>> feature = json.loads(geojson_bytes(records.incidents, records))["features"][4]
    >>> feature["geometry"]["coordinates"], feature["properties"]["geometry_is_oblast_centroid"]
    ([33.4673, 46.5506], True)
    """
    columns = _columns()
    collection = {
        "type": "FeatureCollection",
        "features": [_feature(row, columns) for _, row in incidents.iterrows()],
        "sources": source_credits(records, incidents),
    }
    return json.dumps(collection, ensure_ascii=False, allow_nan=False).encode("utf-8")


def source_credits(records: Records, incidents: pd.DataFrame) -> list[dict]:
    """Title, url and attribution of each source the incidents cite, in source_id order.

    Blank cells (including ``url`` and ``attribution`` where the sources file
    leaves the columns out) come out as None.

    Examples
    --------
    >>> from pathlib import Path
    >>> from dashboard.records.load import load_records
    >>> records = load_records(Path("data")).records
    >>> [credit["source_id"] for credit in source_credits(records, records.incidents)]
    ['src-000']
    """
    sources = records.sources.set_index("source_id")
    credits = []
    for source_id in sorted(set(incidents["source_id"])):
        credit: dict = {"source_id": source_id}
        for name in ("title", "url", "attribution"):
            value = sources.at[source_id, name] if source_id in sources.index else None
            credit[name] = SourceSchema.columns[name].column_kind.to_json(value)
        credits.append(credit)
    return credits


def _utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z; a naive time (as the batch log stores it) is taken as UTC."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def last_updated(batch_log: pd.DataFrame) -> datetime | None:
    """The latest ``imported_at`` of a batch log (``dashboard.store.sql.batches``), or None when empty.

    Examples
    --------
    >>> last_updated(pd.DataFrame({"imported_at": [datetime(2024, 3, 15, 8), datetime(2024, 3, 14)]}))
    datetime.datetime(2024, 3, 15, 8, 0)
    >>> last_updated(pd.DataFrame({"imported_at": []})) is None
    True
    """
    if batch_log.empty:
        return None
    return pd.Timestamp(batch_log["imported_at"].max()).to_pydatetime()


def _filters_as_given(filters: Filters) -> dict:
    given: dict = {}
    for name, value in asdict(filters).items():
        if isinstance(value, date):
            value = value.isoformat()
        given[name] = list(value) if isinstance(value, tuple) else value
    return given


def export_metadata(
    records: Records,
    filters: Filters,
    *,
    store_updated_at: datetime | None = None,
    incidents: pd.DataFrame | None = None,
    fmt: str = "csv",
    hxl: bool = False,
    exported_at: datetime | None = None,
) -> dict:
    """What an export contains and how to credit it, ready to write as JSON.

    Parameters
    ----------
    records : Records
        The records exported from.
    filters : Filters
        The filters the export applied; listed as given, plus the oblasts' ISO codes.
    store_updated_at : datetime, optional
        When the data last changed, from the store's batch log (``last_updated``);
        a naive time is taken as UTC. None when not known.
    incidents : pd.DataFrame, optional
        The rows exported; default ``filter_incidents(records, filters)``.
    fmt : {"csv", "geojson"}
        The export's format, which decides the columns listed.
    hxl : bool
        Whether the CSV carries an HXL hashtag row.
    exported_at : datetime, optional
        Export time; default now.

    Returns
    -------
    dict
        Keys ``format``, ``filters``, ``rows``, ``exported_at``, ``store_updated_at``,
        ``columns`` (name, meaning, unit; with HXL also the tag), ``sources`` (source_id,
        title, url, attribution), ``notes``; with HXL also ``hxl_custom_attributes``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from dashboard.records.load import load_records
    >>> records = load_records(Path("data")).records
    >>> meta = export_metadata(records, Filters(oblasts=("Kherson",)), store_updated_at=datetime(2024, 3, 15, 8))
    >>> meta["filters"]["oblast_isos"], meta["rows"], meta["store_updated_at"]
    (['UA-65'], 3, '2024-03-15T08:00:00Z')
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if incidents is None:
        incidents = filter_incidents(records, filters)
    tagged = fmt == "csv" and hxl
    _columns()  # every column has a tag
    columns = [
        {"name": name, "meaning": spec.doc, "unit": spec.unit or None} | ({"hxl": HXL_TAGS[name]} if tagged else {})
        for name, spec in IncidentSchema.columns.items()
    ]
    for name in optional_columns(incidents):
        columns.append({"name": name, "meaning": OPTIONAL_COLUMNS[name], "unit": None})
        if tagged:
            columns[-1]["hxl"] = HXL_TAGS[name]
    if fmt == "geojson":
        columns += [{"name": name, "meaning": meaning, "unit": None} for name, meaning in EXTRA_PROPERTIES.items()]
    notes = list(NOTES) + ([CSV_NOTE] if fmt == "csv" else [])
    if tagged:
        notes.append("Line 2 is the HXL hashtag row; see hxl_custom_attributes for attributes not in the HXL standard.")
    return {
        "format": "csv+hxl" if tagged else fmt,
        "filters": {**_filters_as_given(filters), "oblast_isos": sorted(filters.oblast_isos())},
        "rows": int(len(incidents)),
        "exported_at": _utc_iso(exported_at or datetime.now(UTC)),
        "store_updated_at": None if store_updated_at is None else _utc_iso(store_updated_at),
        "columns": columns,
        "sources": source_credits(records, incidents),
        "notes": notes,
    } | ({"hxl_custom_attributes": dict(CUSTOM_ATTRIBUTES)} if tagged else {})


def sidecar_path(out: Path) -> Path:
    """The metadata file beside an export: ``incidents.csv`` -> ``incidents.csv.meta.json``."""
    return out.with_suffix(out.suffix + ".meta.json")


def write_metadata(metadata: dict, path: Path) -> Path:
    """Write export metadata as UTF-8 JSON (indented, no NaN) and return the path."""
    path.write_text(json.dumps(metadata, ensure_ascii=False, allow_nan=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_export(
    incidents: pd.DataFrame,
    records: Records,
    filters: Filters,
    out: Path,
    fmt: str = "csv",
    hxl: bool = False,
    store_updated_at: datetime | None = None,
) -> list[Path]:
    """Write the incidents to ``out`` and their metadata to ``out`` + ``.meta.json``.

    Parameters
    ----------
    incidents : pd.DataFrame
        The rows to export (normally ``filter_incidents(records, filters)``).
    records, filters : Records, Filters
        The records they come from and the filters that selected them.
    out : Path
        The export file; its folder must exist.
    fmt : {"csv", "geojson"}
        CSV (``dashboard.io.csv_writer`` columns and safety) or GeoJSON.
    hxl : bool
        Add the HXL hashtag row (CSV only).
    store_updated_at : datetime, optional
        When the data last changed (``last_updated(batches(engine))``).

    Returns
    -------
    list of Path
        The export file and its sidecar.

    Examples
    --------
    >>> import tempfile
    >>> from dashboard.records.load import load_records
    >>> records = load_records(Path("data")).records
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_export(records.incidents, records, Filters(), Path(folder) / "all.geojson", "geojson")
    ...     [path.name for path in paths]
    ['all.geojson', 'all.geojson.meta.json']
    """
    if hxl and fmt != "csv":
        raise ValueError("an HXL hashtag row applies to CSV only")
    # Metadata first: it checks fmt, so an unknown format writes nothing.
    metadata = export_metadata(
        records, filters, store_updated_at=store_updated_at, incidents=incidents, fmt=fmt, hxl=hxl
    )
    if fmt == "geojson":
        data = geojson_bytes(incidents, records)
    else:
        data = hxl_csv_bytes(incidents) if hxl else to_csv_bytes(incidents)
    out.write_bytes(data)
    return [out, write_metadata(metadata, sidecar_path(out))]


def with_last_changed(incidents: pd.DataFrame, engine: Engine) -> pd.DataFrame:
    """The incidents with a ``last_changed`` column: when each last changed (UTC, ISO 8601)."""
    with engine.connect() as connection:
        changed = last_changed(connection, "incidents")
    at = incidents["incident_id"].astype("str").map(changed)
    text = pd.to_datetime(at).dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")
    return incidents.assign(last_changed=text.astype("str"))
