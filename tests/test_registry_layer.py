"""Registered facilities on the map and in the counts: drawn whether hit or not, counted in view.

Uses tests/files/facilities/registry_three.csv (three made-up plants in the Global Power Plant
Database's layout, one with a hostile name) and the GPPD mapping; the real GPPD extract is read
from ``../shared`` by the browser test only.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import cli
from dashboard.config import MAPPINGS_DIR
from dashboard.io.importer import import_file
from dashboard.map.registry import REGISTRY_MARKER_LIMIT, registry_features
from dashboard.map.view import build_map
from dashboard.query.aggregate import MapView
from dashboard.query.registry import facilities_in_view
from dashboard.query.totals import Filters, incident_mask, summarize
from dashboard.records.load import Records
from dashboard.store.sql import read_records
from dashboard.views.facility_table import facility_table
from geo.boundaries import load_boundaries

FILES = Path(__file__).parent / "files" / "facilities"
THREE = FILES / "registry_three.csv"
GPPD_MAPPING = MAPPINGS_DIR / "gppd_power_plants.toml"
AREAS = FILES / "monitoring_area_types.csv"
AREAS_MAPPING = MAPPINGS_DIR / "monitoring_area_types.toml"
CHP = "gppd:TEST0000002"  # the made-up Kharkiv CHP, which the hit file names
KHARKIV = MapView(10, 49.8, 36.0, 50.1, 36.6)


def with_registry(store, tmp_path: Path, hit: bool = False) -> Records:
    """The seed, the three registered plants and, with ``hit``, a Kharkiv strike naming the CHP."""
    engine, settings = store
    report = import_file(THREE, engine, settings, "mapped", GPPD_MAPPING)
    assert (report.accepted, report.rejected) == (3, 0), report.rejections[:3]
    if hit:
        rows = list(csv.reader(AREAS.open(encoding="utf-8", newline="")))[:2]
        rows[0].append("facility id")
        rows[1].append(CHP.removeprefix("gppd:"))
        path = tmp_path / "named.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
        text = AREAS_MAPPING.read_text(encoding="utf-8").split("[facilities]")[0]
        text += '[facilities]\ncolumn = "type of area"\nasset_column = "facility id"\nasset_prefix = "gppd:"\n'
        mapping = tmp_path / "mapping.toml"
        mapping.write_text(text, encoding="utf-8")
        report = import_file(path, engine, settings, "mapped", mapping)
        assert (report.accepted, report.rejected) == (1, 0), report.rejections[:3]
    return read_records(engine)


def everything(records: Records) -> np.ndarray:
    return incident_mask(records, Filters())


def registry_json(records: Records, mask: np.ndarray, view=None, asset_types=()) -> list[dict]:
    """The registry layer's features as the browser receives them (JSON inside the page)."""
    return json.loads(json.dumps(registry_features(records, mask, view, asset_types)))


def test_registered_facilities_are_drawn_grey_when_not_hit_with_an_escaped_popup(store, tmp_path):
    records = with_registry(store, tmp_path)
    mask = everything(records)
    features = registry_json(records, mask)
    assert len(features) == 3
    assert {f["properties"]["className"] for f in features} == {"impact-registry-not-hit"}
    assert {f["properties"]["fill"] for f in features} == {"#9e9e9e"}
    popups = " ".join(f["properties"]["popup"] for f in features)
    assert "Test Kyiv Hydroelectric Power Plant" in popups and "hydro power plant" in popups
    assert "people served: not stated" in popups and "Hydro, 408.0" in popups  # the registry's words: capacity
    assert "<img" not in popups and "&lt;img src=x onerror=alert(1)&gt;" in popups and "${x}" not in popups
    html = build_map(records, records.incidents[mask], load_boundaries(None)).get_root().render()
    assert "Global Power Plant Database, WRI" in html  # the credit, sent once with the layer
    assert "Registered facility (not hit / hit)" in html  # the legend row


def test_a_hit_facility_is_coloured_and_counted_and_the_type_filter_narrows_the_layer(store, tmp_path):
    records = with_registry(store, tmp_path, hit=True)
    mask = everything(records)
    features = registry_json(records, mask)
    hit = [f for f in features if f["properties"]["className"] == "impact-registry-hit"]
    assert len(features) == 3 and len(hit) == 1
    assert hit[0]["properties"]["fill"] == "#d95f02"  # heating: the colour of what was hit
    assert "hit 1 time(s)" in hit[0]["properties"]["popup"]
    counts = facilities_in_view(records, mask)
    assert counts == {
        "combined_heat_and_power_plant": {"in_view": 1, "hit": 1},
        "hydro_power_plant": {"in_view": 1, "hit": 0},
        "thermal_power_plant": {"in_view": 1, "hit": 0},
    }
    # Only Kharkiv in view: the Kyiv and Mykolaiv plants are out of it, and counted as 0.
    assert facilities_in_view(records, mask, view=KHARKIV)["hydro_power_plant"] == {"in_view": 0, "hit": 0}
    assert facilities_in_view(records, mask, view=KHARKIV)["combined_heat_and_power_plant"]["in_view"] == 1
    # A date range without the strike: still drawn, now grey, and not counted as hit.
    before = incident_mask(records, Filters(end=pd.Timestamp("2023-12-31").date()))
    assert facilities_in_view(records, before)["combined_heat_and_power_plant"] == {"in_view": 1, "hit": 0}
    # The asset-type filter narrows the layer and the counts to that type.
    hydro = ("hydro_power_plant",)
    drawn = registry_json(records, incident_mask(records, Filters(asset_types=hydro)), asset_types=hydro)
    assert len(drawn) == 1 and "Kyiv Hydroelectric" in drawn[0]["properties"]["popup"]
    assert list(facilities_in_view(records, mask, hydro)) == ["hydro_power_plant"]
    table = facility_table(facilities_in_view(records, mask))
    assert list(table.columns) == ["Facility type", "Registered in view", "Of which hit"]
    assert table.iloc[0].tolist() == ["combined heat and power plant", 1, 1]


def test_summary_json_adds_the_registry_counts_the_page_shows_for_the_country(store, tmp_path, monkeypatch, capsys):
    engine, settings = store
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", settings.boundary_file)
    assert cli.main(["summary", "--json"]) == 0
    seed = json.loads(capsys.readouterr().out)
    assert seed["registry_facilities"] == {}  # no registry: the key is there, empty
    records = with_registry(store, tmp_path, hit=True)
    assert cli.main(["summary", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    page = facilities_in_view(records, everything(records))  # the page before any pan: the whole country
    assert printed["registry_facilities"] == {k: {"registered": v["in_view"], "hit": v["hit"]} for k, v in page.items()}
    assert printed["registry_facilities"]["combined_heat_and_power_plant"] == {"registered": 1, "hit": 1}
    assert set(printed) - set(seed) == set()  # no other key appears
    assert cli.main(["summary"]) == 0
    assert "combined_heat_and_power_plant" in capsys.readouterr().out


def test_an_oblast_level_registry_facility_is_not_a_point(store, tmp_path):
    records = with_registry(store, tmp_path)
    assets = records.assets.copy()
    assets.loc[assets["asset_id"] == CHP, "geo_precision"] = "3"
    changed = Records(records.sources, records.incidents, assets, records.impacts, records.salvos)
    mask = everything(changed)
    assert len(registry_features(changed, mask)) == 2
    assert "combined_heat_and_power_plant" not in facilities_in_view(changed, mask)


def test_a_registry_of_thousands_is_summed_into_cells_and_the_payload_stays_small(store, tmp_path):
    records = with_registry(store, tmp_path)
    rng = np.random.default_rng(3)
    count = 5_000
    template = records.assets[records.assets["asset_id"] == CHP].iloc[[0] * count].reset_index(drop=True)
    template["asset_id"] = [f"gppd:SYN{i:06d}" for i in range(count)]
    template["latitude"] = rng.uniform(46.0, 51.5, count)
    template["longitude"] = rng.uniform(23.0, 39.5, count)
    many = Records(
        records.sources, records.incidents, pd.concat([records.assets, template]), records.impacts, records.salvos
    )
    mask = everything(many)
    country = MapView(6, 44.3, 22.1, 52.4, 40.2)
    cells = registry_features(many, mask, country)
    assert 0 < len(cells) < 1_000  # bounded by the map's size
    assert sum(int(f["properties"]["label"].replace(",", "")) for f in cells) == count + 3
    payload = len(json.dumps(cells))
    # A regional view at zoom 9 full of facilities: still one square per cell, a bounded payload.
    region = registry_features(many, mask, MapView(9, 47.6, 36.6, 49.2, 39.4))
    assert len(json.dumps(region)) < 80_000 and "popup" not in region[0]["properties"]
    page = len(build_map(many, many.incidents[mask], load_boundaries(None), view=country).get_root().render())
    assert payload < 200_000, payload
    # Zoomed in on a city: few enough to draw one by one, each with its popup.
    close = registry_features(many, mask, MapView(12, 49.95, 36.2, 50.05, 36.35))
    assert 0 < len(close) <= REGISTRY_MARKER_LIMIT and all("popup" in f["properties"] for f in close)
    assert page < 512_000, page


@pytest.mark.slow  # the whole page through AppTest, after two imports: over 10 s on a shared machine
def test_the_page_table_gives_the_clis_numbers_for_the_whole_country(store, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboard.config import PROJECT_ROOT

    records = with_registry(store, tmp_path, hit=True)
    _, settings = store
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", settings.boundary_file)
    at = AppTest.from_file(str(PROJECT_ROOT / "dashboard" / "ui" / "app.py"), default_timeout=60).run()
    assert not at.exception
    tables = [frame.value for frame in at.dataframe if "Registered in view" in frame.value.columns]
    assert len(tables) == 1
    cli_counts = summarize(records)["registry_facilities"]
    shown = {row["Facility type"]: (row["Registered in view"], row["Of which hit"]) for _, row in tables[0].iterrows()}
    assert shown == {k.replace("_", " "): (v["registered"], v["hit"]) for k, v in cli_counts.items()}
    assert shown["combined heat and power plant"] == (1, 1)
