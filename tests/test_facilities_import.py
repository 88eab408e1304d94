"""Facilities on real data: facility hits from a mapped import, facility registries, vocabularies.

The registry test reads the Global Power Plant Database extract from ``../shared`` (not copied
into the repository); the area-type tests use a made-up fixture kept in tests/files/facilities/.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from dashboard import cli
from dashboard.config import MAPPINGS_DIR
from dashboard.io.importer import import_file
from dashboard.records import schemas
from dashboard.store.sql import read_records
from tests.conftest import SHARED, skip_or_fail

GPPD = SHARED / "fixtures" / "real" / "gppd_geodb_ukraine_power_plants.csv"
GPPD_MAPPING = MAPPINGS_DIR / "gppd_power_plants.toml"
AREAS = Path(__file__).parent / "files" / "facilities" / "monitoring_area_types.csv"
AREAS_MAPPING = MAPPINGS_DIR / "monitoring_area_types.toml"
AREAS_SOURCE = "monitor-areas"


@pytest.fixture
def cli_env(store, monkeypatch):
    """The store fixture, with the environment the ``impact`` command reads pointed at it."""
    engine, settings = store
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", settings.boundary_file)
    return engine, settings


def run_json(capsys, argv: list[str]) -> tuple[int, dict]:
    code = cli.main(argv + ["--json"])
    return code, json.loads(capsys.readouterr().out)


def hits(engine, source_id: str = AREAS_SOURCE) -> pd.DataFrame:
    """The stored impacts of one source beside their assets' types."""
    records = read_records(engine)
    impacts = records.impacts[records.impacts["source_id"] == source_id]
    return impacts.merge(records.assets[["asset_id", "asset_type", "source_id"]], on="asset_id", suffixes=("", "_a"))


def rewrite(path: Path, event_id: str, column: str, value: str) -> Path:
    """A copy of the area fixture with one cell changed."""
    rows = list(csv.DictReader(AREAS.open(encoding="utf-8", newline="")))
    for row in rows:
        if row["event id"] == event_id:
            row[column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_vocabularies_carry_what_monitoring_data_and_registries_use():
    WEAPONS, ASSET_TYPES, SERVICES = schemas.WEAPONS, schemas.ASSET_TYPES, schemas.SERVICES
    for weapon in ("cluster_munition", "incendiary", "thermobaric", "glide_bomb", "loitering_munition", "mine"):
        assert weapon in WEAPONS
    for asset_type in (
        "hydro_power_plant",
        "nuclear_power_plant",
        "combined_heat_and_power_plant",
        "substation",
        "power_line",
        "boiler_house",
        "water_treatment_plant",
        "pumping_station",
        "hospital",
        "school",
        "kindergarten",
        "university",
        "administrative_building",
        "cultural_site",
        "religious_site",
        "market",
        "industrial_site",
    ):
        assert asset_type in ASSET_TYPES
    # Every asset type has a default service; the query index keeps a bit per value in an int64.
    assert set(schemas.DEFAULT_SERVICE) == set(ASSET_TYPES) and set(schemas.DEFAULT_SERVICE.values()) <= set(SERVICES)
    assert max(len(WEAPONS), len(ASSET_TYPES), len(SERVICES)) < 63


def test_the_gppd_registry_loads_32_facilities_and_a_reimport_changes_nothing(cli_env, capsys):
    if not GPPD.is_file():
        skip_or_fail(f"{GPPD} is not there")
    engine, _ = cli_env
    argv = ["import", str(GPPD), "--format", "mapped", "--mapping", str(GPPD_MAPPING)]
    code, report = run_json(capsys, argv)
    assert code == 0, report["rejections"][:3]
    assert (report["rows_read"], report["accepted"], report["rejected"]) == (32, 32, 0)
    records = read_records(engine)
    plants = records.assets[records.assets["source_id"] == "gppd"]
    assert len(plants) == 32 and plants["oblast"].ne("").all()
    assert {"hydro_power_plant", "nuclear_power_plant", "thermal_power_plant"} <= set(plants["asset_type"])
    chp = plants[plants["name"].str.contains("CHP")]  # the cities' combined heat and power plants heat them
    assert (
        len(chp) and set(chp["asset_type"]) == {"combined_heat_and_power_plant"} and set(chp["service"]) == {"heating"}
    )
    assert plants["asset_id"].str.contains("GEODB00").all()  # the registry's own id: stable across imports
    source = records.sources.set_index("source_id").loc["gppd"]
    assert "Global Power Plant Database" in source["attribution"]
    assert "Global Energy Observatory" in source["attribution"]
    assert records.incidents["source_id"].ne("gppd").all()  # a registry brings facilities, no incidents
    code, again = run_json(capsys, argv)
    assert code == 0 and (again["accepted"], again["updated"], again["unchanged"]) == (0, 0, 32)
    assert len(read_records(engine).assets) == len(records.assets)


def test_area_types_become_one_impact_per_type_and_a_reimport_changes_nothing(store):
    engine, settings = store
    report = import_file(AREAS, engine, settings, "mapped", AREAS_MAPPING)
    assert (report.accepted, report.rejected) == (10, 0), report.rejections[:3]
    hit = hits(engine)
    per_incident = hit.groupby("incident_id")["asset_type"].apply(set)
    assert per_incident[f"{AREAS_SOURCE}:MX-0002"] == {"residential_building", "school"}
    assert per_incident[f"{AREAS_SOURCE}:MX-0006"] == {"school", "residential_building", "cultural_site"}
    # A row whose area type maps to nothing, or has none, hits no facility.
    assert f"{AREAS_SOURCE}:MX-0005" not in per_incident and f"{AREAS_SOURCE}:MX-0010" not in per_incident
    assert len(hit) == 11
    # The row's own words are the quote, and the unnamed asset sits where the incident was.
    six = hit[hit["incident_id"] == f"{AREAS_SOURCE}:MX-0006"]
    assert set(six["quote"]) == {"School or childcare; Residential; Cultural or religious"}
    records = read_records(engine)
    incident = records.incidents.set_index("incident_id").loc[f"{AREAS_SOURCE}:MX-0003"]
    asset = records.assets.set_index("asset_id").loc[hit.set_index("incident_id").loc[incident.name, "asset_id"]]
    assert (asset["latitude"], asset["longitude"], asset["geo_precision"]) == (
        incident["latitude"],
        incident["longitude"],
        incident["geo_precision"],
    )
    weapons = records.incidents.set_index("incident_id")["weapons"]
    assert "cluster_munition" in weapons[f"{AREAS_SOURCE}:MX-0008"]
    again = import_file(AREAS, engine, settings, "mapped", AREAS_MAPPING)
    assert (again.accepted, again.updated, again.unchanged) == (0, 0, 10)
    assert again.other_tables["impacts"] == {"new": 0, "updated": 0, "unchanged": 11, "removed": 0}
    assert len(hits(engine)) == 11 and len(read_records(engine).assets) == len(records.assets)


@pytest.fixture
def backend_store(store_url, tmp_path, boundary_file):
    """A store filled with the seed on each backend (SQLite, PostgreSQL): (engine, settings)."""
    from dashboard.config import Settings
    from dashboard.io.open import open_store

    env = {"IMPACT_DB_URL": store_url, "IMPACT_QUARANTINE_DIR": str(tmp_path / "imports")}
    settings = Settings.from_env(env | {"IMPACT_BOUNDARY_FILE": str(boundary_file)})
    return open_store(settings), settings


def test_a_corrected_type_updates_the_impact_and_leaves_no_stale_one(backend_store, tmp_path):
    engine, settings = backend_store
    import_file(AREAS, engine, settings, "mapped", AREAS_MAPPING)
    assets_before = len(read_records(engine).assets)
    fixed = rewrite(tmp_path / "fixed.csv", "MX-0002", "type of area", "Residential; Hospital")
    report = import_file(fixed, engine, settings, "mapped", AREAS_MAPPING)
    assert report.rejected == 0
    # The report says what changed beside the incidents: the school hit replaced by a hospital hit,
    # and the residential hit of that row updated (its quote, the row's cell, changed with it).
    assert report.other_tables["impacts"] == {"new": 1, "updated": 1, "unchanged": 9, "removed": 1}
    assert report.other_tables["assets"] == {"new": 1, "updated": 1, "unchanged": 9, "removed": 1}
    hit = hits(engine)
    mine = hit[hit["incident_id"] == f"{AREAS_SOURCE}:MX-0002"]
    assert set(mine["asset_type"]) == {"residential_building", "hospital"} and len(mine) == 2
    assert len(hit) == 11
    # The unnamed school of that incident went with its impact; one unnamed hospital came.
    assert len(read_records(engine).assets) == assets_before


def test_an_unmapped_area_value_is_reported_by_name_and_count(cli_env, capsys):
    code, report = run_json(capsys, ["import", str(AREAS), "--format", "mapped", "--mapping", str(AREAS_MAPPING)])
    assert code == 0
    assert report["unmapped"] == {"type of area": {"Agricultural": 2}}
    cli.main(["import", str(AREAS), "--format", "mapped", "--mapping", str(AREAS_MAPPING), "--dry-run"])
    text = capsys.readouterr().out
    assert "'Agricultural'" in text and "type of area" in text


def test_summary_by_asset_type_counts_the_facility_hits(cli_env, capsys):
    _, before = run_json(capsys, ["summary", "--asset-type", "school"])
    code, _ = run_json(capsys, ["import", str(AREAS), "--format", "mapped", "--mapping", str(AREAS_MAPPING)])
    assert code == 0
    _, after = run_json(capsys, ["summary", "--asset-type", "school"])
    assert after["facilities_hit"].get("school", 0) - before["facilities_hit"].get("school", 0) == 2
    assert after["attacks"] - before["attacks"] == 2


def mapping_with(tmp_path: Path, facilities: str) -> Path:
    """The area-type mapping with its [facilities] table replaced."""
    text = AREAS_MAPPING.read_text(encoding="utf-8").split("[facilities]")[0]
    path = tmp_path / "mapping.toml"
    path.write_text(text + facilities, encoding="utf-8")
    return path


def test_a_row_that_names_a_registry_facility_hits_that_facility(cli_env, tmp_path, capsys):
    if not GPPD.is_file():
        skip_or_fail(f"{GPPD} is not there")
    engine, settings = cli_env
    import_file(GPPD, engine, settings, "mapped", GPPD_MAPPING)
    plant = read_records(engine).assets.query("asset_type == 'hydro_power_plant'").iloc[0]
    rows = list(csv.reader(AREAS.open(encoding="utf-8", newline="")))[:3]
    rows[0].append("facility id")
    rows[1].append(plant["asset_id"].removeprefix("gppd:"))
    rows[2].append("")
    path = tmp_path / "named.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    facilities = '[facilities]\ncolumn = "type of area"\nasset_column = "facility id"\nasset_prefix = "gppd:"\n'
    facilities += '[facilities.map]\n"Residential" = "residential_building"\n"School or childcare" = "school"\n'
    assets_before = len(read_records(engine).assets)
    report = import_file(path, engine, settings, "mapped", mapping_with(tmp_path, facilities))
    assert (report.accepted, report.rejected) == (2, 0), report.rejections[:3]
    hit = hits(engine)
    assert list(hit.loc[hit["incident_id"] == f"{AREAS_SOURCE}:MX-0001", "asset_id"]) == [plant["asset_id"]]
    assert set(hit.loc[hit["incident_id"] == f"{AREAS_SOURCE}:MX-0002", "asset_type"]) == {
        "residential_building",
        "school",
    }
    assert len(read_records(engine).assets) == assets_before + 2  # no unnamed copy of the named plant


def test_a_rejected_row_brings_no_facility_with_it(store, tmp_path):
    engine, settings = store
    assets_before = len(read_records(engine).assets)
    bad = rewrite(tmp_path / "bad.csv", "MX-0006", "date", "2024-02-31")
    report = import_file(bad, engine, settings, "mapped", AREAS_MAPPING)
    assert report.rejected == 1 and any(r["line"] == 7 for r in report.rejections)
    hit = hits(engine)
    assert f"{AREAS_SOURCE}:MX-0006" not in set(hit["incident_id"]) and len(hit) == 8
    assert len(read_records(engine).assets) == assets_before + 8


def test_a_mapping_naming_an_unknown_asset_type_is_refused_with_the_key(cli_env, tmp_path, capsys):
    facilities = '[facilities]\ncolumn = "type of area"\n[facilities.map]\n"Residential" = "flats"\n'
    code = cli.main(["import", str(AREAS), "--format", "mapped", "--mapping", str(mapping_with(tmp_path, facilities))])
    captured = capsys.readouterr()
    assert code != 0 and "Traceback" not in captured.err
    assert "[facilities.map]" in captured.err + captured.out and "'flats'" in captured.err + captured.out


OSM = Path(__file__).parent / "files" / "facilities" / "osm_facilities.geojson"
OSM_MAPPING = MAPPINGS_DIR / "osm_facilities.toml"


def test_an_osm_geojson_extract_loads_its_points_as_facilities(cli_env, capsys):
    engine, _ = cli_env
    argv = ["import", str(OSM), "--format", "mapped", "--mapping", str(OSM_MAPPING)]
    code, report = run_json(capsys, argv)
    assert (report["rows_read"], report["accepted"], report["rejected"]) == (5, 3, 2)
    assert code == 1  # some rows rejected
    reasons: dict[int, list[tuple[str, str]]] = {}
    for r in report["rejections"]:
        reasons.setdefault(r["line"], []).append((r["value"], r["rule"]))
    assert reasons[5][0][0] == "Polygon" and "Point" in reasons[5][0][1]  # feature 4, counted from line 2
    assert "cafe" in [value for value, _ in reasons[6]]
    cafe = next(r for r in report["rejections"] if r["value"] == "cafe")
    assert "amenity" in cafe["column"]  # the value came from the third of the columns the mapping names
    facilities = read_records(engine).assets.query("source_id == 'osm-extract'").set_index("asset_id")
    assert set(facilities["asset_type"]) == {"hydro_power_plant", "hospital", "school"}
    assert facilities.loc["osm-extract:node:9000000002", "oblast"] == "Kharkiv Oblast"
    code, again = run_json(capsys, argv)
    assert (again["accepted"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_a_file_with_only_a_header_imports_nothing_without_a_traceback(cli_env, tmp_path, capsys):
    path = tmp_path / "header_only.csv"
    path.write_text(AREAS.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    code = cli.main(["import", str(path), "--format", "mapped", "--mapping", str(AREAS_MAPPING)])
    captured = capsys.readouterr()
    # Refused as a whole, with one line (an empty file of one's own is bad input, exit 2).
    assert code == 2 and "has a header but no rows" in captured.err and "Traceback" not in captured.err


def test_a_misspelt_facilities_key_is_refused_not_ignored(cli_env, tmp_path, capsys):
    facilities = '[facilities]\ncolumn = "type of area"\nseperator = "/"\n[facilities.map]\n"Residential" = "school"\n'
    code = cli.main(["import", str(AREAS), "--format", "mapped", "--mapping", str(mapping_with(tmp_path, facilities))])
    captured = capsys.readouterr()
    assert code != 0 and "seperator" in captured.err + captured.out


def test_a_registry_value_the_patterns_map_to_nothing_is_named_and_its_row_rejected(store, tmp_path):
    if not GPPD.is_file():
        skip_or_fail(f"{GPPD} is not there")
    engine, settings = store
    frame = pd.read_csv(GPPD, dtype=str, keep_default_na=False)
    frame.loc[0, "primary_fuel"] = "Geothermal"
    path = tmp_path / "gppd_geothermal.csv"
    frame.to_csv(path, index=False)
    report = import_file(path, engine, settings, "mapped", GPPD_MAPPING)
    assert (report.accepted, report.rejected) == (31, 1)
    assert [r["line"] for r in report.rejections if r["column"].startswith("asset_type")] == [2]
    [(column, values)] = report.unmapped.items()
    assert "primary_fuel" in column and [(value.endswith("| Geothermal"), n) for value, n in values.items()] == [
        (True, 1)
    ]
