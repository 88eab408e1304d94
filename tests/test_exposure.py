"""Viewers never get an exact site: every output path (map, table, downloads, CLI) coarsens it; analysts see it."""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cli
from dashboard.config import PROJECT_ROOT, SEED_DATA_DIR
from dashboard.io.csv_writer import export_frame, to_csv_bytes
from dashboard.io.extract import export_metadata, geojson_bytes, hxl_csv_bytes
from dashboard.map.view import base_map, build_map, layers_for_mask
from dashboard.query.exposure import records_for_role
from dashboard.query.totals import Filters, incident_mask
from dashboard.records.load import load_records
from geo.boundaries import load_boundaries
from geo.place_ids import place_point

APP = str(PROJECT_ROOT / "dashboard" / "ui" / "app.py")
# Exact sites, as the record files hold them: an incident in Kryvyi Rih (a GeoNames place), one whose
# place GeoNames lacks (a grid cell then), an asset in Kryvyi Rih.
SITES = {"inc-001": ("47.8694", "33.4011"), "inc-002": ("46.6412", "32.6055")}
ASSET_SITE = ("47.8812", "33.3456")
SECRET_NOTE = "Witness Ivan K. at the corner shop"
SECRET_ID = "WHO-SSA-774411"


def exact_pairs() -> list[tuple[str, str]]:
    """Each exact site as stored, and rounded to 3 decimals (what a table or a payload may show)."""
    pairs = [*SITES.values(), ASSET_SITE]
    return pairs + [(f"{float(lat):.3f}", f"{float(lon):.3f}") for lat, lon in pairs]


def _rewrite(path, edit) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows, fields = list(reader), list(reader.fieldnames)
    for extra in ("notes", "source_record_id"):
        if path.name == "incidents.csv" and extra not in fields:
            fields.append(extra)
    rows = [edit(dict(row)) for row in rows]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def site_folder(tmp_path):
    """The seed records with two incidents and one asset located at the site (geo_precision 1)."""
    folder = tmp_path / "data"  # source paths are relative to its parent: the seeds go beside it
    shutil.copytree(SEED_DATA_DIR, folder, ignore=shutil.ignore_patterns("README.md"))
    shutil.copytree(PROJECT_ROOT / "seeds", tmp_path / "seeds")

    def incident(row):
        if row["incident_id"] in SITES:
            row["latitude"], row["longitude"] = SITES[row["incident_id"]]
            row["geo_precision"] = "1"
            row["notes"], row["source_record_id"] = SECRET_NOTE, SECRET_ID
        if row["incident_id"] == "inc-002":
            row["place"] = "Khersonn"  # not one GeoNames place: the site goes to a grid cell's centre
        return row

    first_asset = []

    def asset(row):
        if not first_asset:
            first_asset.append(row["asset_id"])
            row["latitude"], row["longitude"], row["geo_precision"] = *ASSET_SITE, "1"
            row["place"], row["oblast"], row["oblast_iso"] = "Kryvyi Rih", "Dnipropetrovsk Oblast", "UA-12"
        return row

    _rewrite(folder / "incidents.csv", incident)
    _rewrite(folder / "assets.csv", asset)
    report = load_records(folder)
    assert report.failures.empty, report.failures.to_dict("records")
    return folder


@pytest.fixture
def site_records(site_folder):
    return load_records(site_folder).records


def leaks(text: str) -> list[str]:
    """Exact sites (latitude and longitude close together, in either order) and withheld text found in ``text``.

    A pair, not a lone number: the oblast outlines on the map hold thousands of coordinates, some
    of them equal to a site's latitude or longitude by chance.
    """
    found = []
    for lat, lon in exact_pairs():
        a, b = re.escape(lat), re.escape(lon)
        if re.search(rf"{a}\d*\D{{1,80}}?{b}|{b}\d*\D{{1,80}}?{a}", text):
            found.append(f"{lat}, {lon}")
    return found + [s for s in (SECRET_NOTE, SECRET_ID) if s in text]


def library_outputs(records, boundary_file) -> dict[str, str]:
    """Every output the page and the CLI build from records: map payload and HTML, table, downloads, metadata."""
    boundaries = load_boundaries(str(boundary_file))
    filters = Filters()
    mask = incident_mask(records, filters)
    incidents = records.incidents[mask]
    layers = layers_for_mask(records, mask, boundaries)
    page_map = base_map(boundaries)  # st_folium adds the layers to the base map so; render them so too
    layers.add_to(page_map)
    whole = build_map(records, incidents, boundaries)
    return {
        "map payload": page_map.get_root().render(),
        "map html": whole.get_root().render(),
        "table": export_frame(incidents).to_csv(),
        "csv": to_csv_bytes(incidents).decode(),
        "hxl": hxl_csv_bytes(incidents).decode(),
        "geojson": geojson_bytes(incidents, records).decode(),
        "metadata": json.dumps(export_metadata(records, filters, incidents=incidents), default=str),
    }


def test_a_viewer_gets_the_settlement_or_a_grid_cell_never_the_site(site_records):
    viewer = records_for_role(site_records, "viewer", grid_km=10)
    rows = viewer.incidents.set_index("incident_id")
    kryvyi_rih = rows.loc["inc-001"]
    centre = place_point(kryvyi_rih.place_key)  # GeoNames' centre of Kryvyi Rih
    assert kryvyi_rih.geo_precision == "2" and (kryvyi_rih.latitude, kryvyi_rih.longitude) == pytest.approx(centre)
    assert "settlement" in kryvyi_rih.notes and SECRET_NOTE not in kryvyi_rih.notes
    grid = rows.loc["inc-002"]
    assert grid.geo_precision == "2" and "10 km grid" in grid.notes
    assert abs(grid.latitude - 46.6412) < 0.1 and (grid.latitude, grid.longitude) != (46.6412, 32.6055)
    assert (rows["source_record_id"].fillna("") == "").all()
    assert (viewer.assets["geo_precision"] != "1").all()
    # The loaded records are untouched, and an analyst gets them as they are.
    assert site_records.incidents.set_index("incident_id").loc["inc-001", "geo_precision"] == "1"
    assert records_for_role(site_records, "analyst") is site_records


def test_no_library_output_for_a_viewer_holds_an_exact_site(site_records, boundary_file):
    viewer_outputs = library_outputs(records_for_role(site_records, "viewer"), boundary_file)
    assert {name: leaks(text) for name, text in viewer_outputs.items() if leaks(text)} == {}
    analyst_outputs = library_outputs(records_for_role(site_records, "analyst"), boundary_file)
    # The analyst's files hold the sites and the notes exactly (so the check above can see a leak).
    for name in ("map payload", "map html", "table", "csv", "hxl", "geojson"):
        assert "47.8694, 33.4011" in leaks(analyst_outputs[name]), name
    assert SECRET_NOTE in analyst_outputs["csv"]


@pytest.fixture
def site_store(site_folder, settings, store_url, monkeypatch, boundary_file):
    """A fresh store (SQLite and PostgreSQL) filled from the site records: categories as the store gives them."""
    monkeypatch.setenv("IMPACT_DB_URL", store_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", str(boundary_file))
    monkeypatch.setenv("IMPACT_DATA_DIR", str(site_folder))  # fills the empty store
    return settings


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_cli_export_as_viewer_and_under_public_auth_holds_no_site(site_store, capsys, monkeypatch, fmt):
    assert cli.main(["export", "--format", fmt, "--as-role", "viewer"]) == 0
    assert leaks(capsys.readouterr().out) == []
    assert cli.main(["summary", "--json", "--as-role", "viewer"]) == 0
    assert leaks(capsys.readouterr().out) == []
    assert cli.main(["export", "--format", fmt]) == 0  # the shell's user is the operator: exact
    assert "47.8694, 33.4011" in leaks(capsys.readouterr().out)
    monkeypatch.setenv("IMPACT_AUTH", "public")
    assert cli.main(["export", "--format", fmt]) == 0  # a public server's CLI is a viewer too
    assert leaks(capsys.readouterr().out) == []


def table_text(at: AppTest) -> str:
    at.session_state["page_tab"] = "Incidents"  # what a click on the tab does
    at.run()
    return "\n".join(frame.value.to_csv() for frame in at.tabs[2].dataframe)


@pytest.mark.parametrize("auth, exact", [("public", False), ("none", True)])
def test_the_page_table_shows_sites_only_to_the_operator(site_store, monkeypatch, auth, exact):
    monkeypatch.setenv("IMPACT_AUTH", auth)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    text = table_text(at)
    assert "inc-001" in text
    if exact:
        assert "47.8694, 33.4011" in leaks(text) and SECRET_NOTE in text
    else:
        assert leaks(text) == []
