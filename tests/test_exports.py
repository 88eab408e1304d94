"""HXL CSV, GeoJSON and metadata sidecars: what someone opening the exported files would see."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest

from dashboard.io.csv_writer import to_csv_bytes
from dashboard.io.extract import (
    HXL_TAGS,
    export_metadata,
    geojson_bytes,
    hxl_csv_bytes,
    last_updated,
    write_export,
)
from dashboard.io.open import open_store
from dashboard.query.totals import Filters, filter_incidents
from dashboard.records.load import load_records
from dashboard.records.schemas import IncidentSchema
from dashboard.store.sql import batches

KHERSON = Filters(oblasts=("Kherson",))
KHERSON_IDS = ["inc-002", "inc-003", "inc-005"]


@pytest.fixture
def kherson(records):
    return filter_incidents(records, KHERSON)


def _no_constants(name: str):
    raise AssertionError(f"JSON contains {name}")


def _read_json(data: bytes) -> dict:
    """Parse strictly: NaN, Infinity and -Infinity are not JSON."""
    return json.loads(data, parse_constant=_no_constants)


# HXL CSV


def test_hxl_row_is_line_two_with_one_tag_per_column(kherson):
    lines = hxl_csv_bytes(kherson).decode("utf-8").splitlines()
    header, tags = lines[0].split(","), lines[1].split(",")
    assert header == list(IncidentSchema.columns)
    assert len(tags) == len(header)
    assert all(tag.startswith("#") for tag in tags)
    assert dict(zip(header, tags, strict=True))["killed"] == "#affected+killed"
    assert lines[2].startswith("inc-002,")  # first data row is line 3
    assert len(lines) == 2 + 3


def test_every_column_gets_a_distinct_standard_shaped_tag():
    assert set(HXL_TAGS) == set(IncidentSchema.columns) | {"last_changed"}  # the one optional column
    assert len(set(HXL_TAGS.values())) == len(HXL_TAGS)
    expected = {
        "event_date": "#date",
        "oblast": "#adm1+name",
        "place": "#loc+name",
        "latitude": "#geo+lat",
        "longitude": "#geo+lon",
        "children_killed": "#affected+killed+children",
        "children_injured": "#affected+injured+children",
        "source_id": "#meta+source",
        "incident_id": "#event+id",
        "source_url": "#meta+url",
    }
    assert {name: HXL_TAGS[name] for name in expected} == expected
    assert HXL_TAGS["oblast_iso"].startswith("#adm1+code")


def test_hxl_csv_reads_back_as_exactly_the_filtered_rows(kherson):
    frame = pd.read_csv(io.BytesIO(hxl_csv_bytes(kherson)), skiprows=[1], dtype=str, keep_default_na=False)
    plain = pd.read_csv(io.BytesIO(to_csv_bytes(kherson)), dtype=str, keep_default_na=False)
    assert frame["incident_id"].tolist() == KHERSON_IDS
    pd.testing.assert_frame_equal(frame, plain)  # same cells as the plain CSV export


def test_hxl_csv_neutralises_formulas_but_not_numbers_or_the_tag_row(records):
    incidents = filter_incidents(records, Filters()).copy()
    first = incidents.index[0]
    incidents.loc[first, "description"] = '=HYPERLINK("http://evil")'
    data = hxl_csv_bytes(incidents)
    assert data.decode("utf-8").splitlines()[1].startswith("#event+id,")  # tag row left as is
    frame = pd.read_csv(io.BytesIO(data), skiprows=[1], dtype=str, keep_default_na=False).set_index("incident_id")
    assert frame.loc[incidents.loc[first, "incident_id"], "description"] == '\'=HYPERLINK("http://evil")'
    assert frame.loc["inc-005", "latitude"] == "46.5506"
    assert frame.loc["inc-005", "killed"] == "2"
    assert frame.loc["inc-001", "killed"] == ""  # not reported stays blank
    numeric = pd.read_csv(io.BytesIO(data), skiprows=[1]).set_index("incident_id")
    assert numeric.loc["inc-005", "killed"] == 2 and numeric.loc["inc-005", "longitude"] == pytest.approx(33.4673)


def test_empty_selection_still_has_header_and_tags(records):
    empty = filter_incidents(records, Filters(start=date(2030, 1, 1)))
    assert hxl_csv_bytes(empty).decode("utf-8").splitlines()[1] == ",".join(HXL_TAGS[c] for c in IncidentSchema.columns)


# GeoJSON


def test_geojson_has_one_point_per_filtered_incident_in_lon_lat_order(kherson, records):
    collection = _read_json(geojson_bytes(kherson, records))
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["properties"]["incident_id"] for f in features] == KHERSON_IDS
    for feature in features:
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert (lon, lat) == (feature["properties"]["longitude"], feature["properties"]["latitude"])
        assert 22 < lon < 41 and 44 < lat < 53  # Ukraine, not swapped
    assert features[0]["geometry"]["coordinates"] == [32.6169, 46.6354]


def test_geojson_flags_oblast_level_incident_as_centroid(kherson, records):
    by_id = {
        f["properties"]["incident_id"]: f["properties"] for f in _read_json(geojson_bytes(kherson, records))["features"]
    }
    oblast_level = by_id["inc-005"]
    assert oblast_level["geo_precision"] == "3"
    assert oblast_level["location_precision"] == "oblast"
    assert oblast_level["approximate"] is True
    assert oblast_level["geometry_is_oblast_centroid"] is True
    settlement = by_id["inc-002"]
    assert settlement["location_precision"] == "settlement"
    assert settlement["approximate"] is True
    assert settlement["geometry_is_oblast_centroid"] is False


def test_geojson_properties_are_export_columns_with_nulls_and_iso_dates(records):
    incidents = filter_incidents(records, Filters()).copy()
    incidents.loc[incidents.index[0], "description"] = "=1+1"
    features = _read_json(geojson_bytes(incidents, records))["features"]
    by_id = {f["properties"]["incident_id"]: f["properties"] for f in features}
    assert len(features) == 5
    assert set(IncidentSchema.columns) <= set(by_id["inc-001"])
    assert by_id["inc-001"]["killed"] is None  # blank in the data: not reported, not 0
    assert by_id["inc-001"]["injured"] == 6
    assert by_id["inc-005"]["killed"] == 2 and by_id["inc-005"]["children_killed"] == 0
    assert by_id["inc-002"]["event_date"] == "2024-03-12"
    assert by_id[incidents.iloc[0]["incident_id"]]["description"] == "=1+1"  # JSON is not a spreadsheet
    assert "NaN" not in geojson_bytes(incidents, records).decode("utf-8")


def test_geojson_names_the_sources_to_credit(kherson, records):
    sources = _read_json(geojson_bytes(kherson, records))["sources"]
    assert [s["source_id"] for s in sources] == ["src-000"]
    assert sources[0]["title"].startswith("Putin says parts of U.S. peace proposal")


# Metadata and sidecar


def test_metadata_names_filters_rows_attribution_and_update_time(records):
    filters = Filters(oblasts=("Kherson",), start=date(2024, 3, 13))
    updated = datetime(2024, 3, 15, 8, 30)
    meta = export_metadata(records, filters, store_updated_at=updated)
    assert meta["filters"]["oblasts"] == ["Kherson"]
    assert meta["filters"]["oblast_isos"] == ["UA-65"]
    assert meta["filters"]["start"] == "2024-03-13" and meta["filters"]["end"] is None
    assert meta["rows"] == 2  # inc-003, inc-005
    assert meta["store_updated_at"] == "2024-03-15T08:30:00Z"
    (source,) = meta["sources"]
    assert source["source_id"] == "src-000"
    assert source["title"].startswith("Putin says parts of U.S. peace proposal")
    assert {"url", "attribution"} <= set(source)  # blank in sources.csv: null, but always present
    assert any("Launch counts" in note and "not included" in note for note in meta["notes"])
    meanings = {c["name"]: c["meaning"] for c in meta["columns"]}
    assert list(meanings) == list(IncidentSchema.columns)
    assert meanings["killed"] == IncidentSchema.columns["killed"].doc


def test_metadata_times_are_utc_with_z(records):
    kyiv = timezone(timedelta(hours=2))
    meta = export_metadata(records, KHERSON, store_updated_at=datetime(2024, 3, 15, 10, 0, tzinfo=kyiv))
    assert meta["store_updated_at"] == "2024-03-15T08:00:00Z"
    exported = datetime.strptime(meta["exported_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - exported) < timedelta(minutes=5)
    assert export_metadata(records, KHERSON)["store_updated_at"] is None


def test_store_batch_log_gives_the_last_update(settings):
    engine = open_store(settings)
    updated = last_updated(batches(engine))
    assert isinstance(updated, datetime)
    meta = export_metadata(load_records(settings.data_dir).records, KHERSON, store_updated_at=updated)
    assert meta["store_updated_at"].endswith("Z")


@pytest.mark.parametrize(
    ("name", "fmt", "hxl"),
    [("kherson.csv", "csv", False), ("kherson.csv", "csv", True), ("kherson.geojson", "geojson", False)],
)
def test_write_export_puts_sidecar_beside_the_file(tmp_path, records, kherson, name, fmt, hxl):
    out = tmp_path / "exports" / name
    out.parent.mkdir()  # the folder must exist: a mistyped one is an error, not created
    written = write_export(kherson, records, KHERSON, out, fmt=fmt, hxl=hxl, store_updated_at=datetime(2024, 3, 15))
    sidecar = tmp_path / "exports" / f"{name}.meta.json"
    assert written == [out, sidecar]
    assert out.is_file() and sidecar.is_file()
    meta = _read_json(sidecar.read_bytes())
    assert meta["rows"] == 3
    assert meta["store_updated_at"] == "2024-03-15T00:00:00Z"
    assert meta["sources"][0]["source_id"] == "src-000"
    if fmt == "geojson":
        assert len(_read_json(out.read_bytes())["features"]) == 3
        assert "geometry_is_oblast_centroid" in {c["name"] for c in meta["columns"]}
    else:
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines[1].startswith("#") is hxl
        assert meta["format"] == ("csv+hxl" if hxl else "csv")
        assert ("hxl" in meta["columns"][0]) is hxl


def test_write_export_refuses_unknown_format_and_hxl_geojson(tmp_path, records, kherson):
    with pytest.raises(ValueError, match="format"):
        write_export(kherson, records, KHERSON, tmp_path / "x.xlsx", fmt="xlsx")
    with pytest.raises(ValueError, match="CSV only"):
        write_export(kherson, records, KHERSON, tmp_path / "x.geojson", fmt="geojson", hxl=True)
    assert list(tmp_path.iterdir()) == []  # nothing half-written
