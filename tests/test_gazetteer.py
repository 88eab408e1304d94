"""The offline GeoNames gazetteer: spellings, ambiguity, coordinates and point-in-oblast."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

from geo import gazetteer
from geo.boundaries import Boundaries, load_boundaries
from geo.distance import great_circle_km
from geo.gazetteer import (
    GEONAMES_ATTRIBUTION,
    all_places,
    assign_oblast,
    assign_oblasts,
    geocode,
)
from geo.oblasts import OBLASTS, UnknownOblastError

SHARED_GEO = Path(__file__).resolve().parents[2] / "shared" / "geo"
BOUNDARY_FILES = ("ukr_adm1_geoboundaries_simplified.geojson", "ukr_adm1_ocha_cod_2017.geojson")
IN_CI = os.environ.get("CI", "").lower() == "true"
ISO_CODES = {oblast.iso for oblast in OBLASTS}


@pytest.fixture(scope="module", params=BOUNDARY_FILES)
def boundaries(request) -> Boundaries:
    path = SHARED_GEO / request.param
    if not path.is_file():
        reason = f"boundary file {path} not found (../shared beside the project)"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: a skip counts as a failure)")
        pytest.skip(reason)
    loaded = load_boundaries(path)
    assert loaded.available, loaded.note
    return loaded


# ---------------------------------------------------------------- spellings


@pytest.mark.parametrize(
    ("spellings", "oblast_iso"),
    [
        (["Odesa", "Odessa", "ODESSA", " odesa ", "Одеса", "Одесса"], "UA-51"),
        (["Kyiv", "Kiev", "KYIV", "Київ", "Киев"], "UA-30"),
        (["Kryvyi Rih", "Kryvyy Rih", "Kryvyi-Rih", "kryvyi  rih", "Кривий Ріг"], "UA-12"),
        (["Kharkiv", "Kharkov", "Харків", "Харьков"], "UA-63"),
        (["Zaporizhzhia", "Zaporizhzhya", "Zaporozhye", "Запоріжжя"], "UA-23"),
        (["Mykolaiv", "Mykolayiv", "Nikolaev"], "UA-48"),
        (["Kamianske", "Kamyanske", "Kam'yanske", "Kam’ianske"], "UA-12"),
        (["Lviv", "Lvov", "L'viv", "Lemberg", "Львів"], "UA-46"),
    ],
)
def test_every_spelling_of_a_city_finds_the_same_place(spellings, oblast_iso):
    results = [geocode(spelling) for spelling in spellings]
    assert [r.status for r in results] == ["found"] * len(spellings), [r.message for r in results]
    assert {r.place.geonames_id for r in results} == {results[0].place.geonames_id}
    assert results[0].place.oblast_iso == oblast_iso
    assert all(r.candidates[0] == r.place for r in results)


def test_the_query_is_kept_as_typed():
    result = geocode("  ODESSA ")
    assert result.query == "  ODESSA "
    assert "Odesa" in result.message


# ---------------------------------------------------------------- ambiguity


def test_a_village_name_in_several_oblasts_is_ambiguous_until_the_oblast_is_given():
    result = geocode("Lyman")
    assert result.status == "ambiguous"
    assert result.place is None
    oblasts = {place.oblast_iso for place in result.candidates}
    assert {"UA-14", "UA-63"} <= oblasts and len(oblasts) >= 3
    assert "oblast" in result.message.lower()

    for spelling in ("Donetsk", "Donetsk Oblast", "UA-14", "UA14", "Донецька"):
        narrowed = geocode("Lyman", oblast=spelling)
        assert narrowed.status == "found", narrowed.message
        assert narrowed.place.oblast_iso == "UA-14"
        assert narrowed.place in result.candidates
    assert geocode("Lyman", oblast="Kharkivska").place.oblast_iso == "UA-63"


def test_a_common_village_name_lists_every_candidate():
    result = geocode("Ivanivka")
    assert result.status == "ambiguous"
    assert len(result.candidates) >= 10
    assert len({place.geonames_id for place in result.candidates}) == len(result.candidates)
    assert len({place.oblast_iso for place in result.candidates}) >= 5


def test_a_town_is_not_picked_over_villages_by_population():
    # Avdiivka (Donetsk Oblast, ~35,000) and two villages in Chernihiv Oblast.
    result = geocode("Avdiivka")
    assert result.status == "ambiguous"
    assert {place.oblast_iso for place in result.candidates} == {"UA-14", "UA-74"}
    assert geocode("Avdiivka", oblast="Donetsk").place.oblast_iso == "UA-14"
    within_chernihiv = geocode("Avdiivka", oblast="Chernihiv")
    assert within_chernihiv.status == "ambiguous"
    assert "only coordinates" in within_chernihiv.message


def test_a_big_city_wins_over_villages_of_the_same_name_but_they_are_still_listed():
    result = geocode("Rivne")
    assert result.status == "found"
    assert result.place.oblast_iso == "UA-56"
    assert result.place.population >= gazetteer.BIG_CITY_POPULATION
    others = result.candidates[1:]
    assert others and all(place.population < result.place.population for place in others)
    assert "Kirovohrad Oblast" in result.message

    village = geocode("Rivne", oblast="Kirovohrad")
    assert village.status == "found"
    assert village.place.oblast_iso == "UA-35"
    assert village.place in others


def test_the_oblast_picks_the_village_over_the_big_city_of_that_name():
    city = geocode("Kamianske")
    assert city.place.oblast_iso == "UA-12"
    village = geocode("Kamianske", oblast="Zaporizhzhia")
    assert village.status == "found"
    assert village.place.oblast_iso == "UA-23"
    assert village.place.population < 10_000


def test_a_former_name_of_a_city_does_not_override_villages_called_so_today():
    # Melitopol was once Novooleksandrivka; many villages still are.
    result = geocode("Novooleksandrivka")
    assert result.status == "ambiguous"
    assert len(result.candidates) > 3


def test_a_city_district_is_not_a_big_city():
    # GeoNames lists Kyiv's Desnianskyi district as "Desna" (368,500 people); the
    # village of Desna in Chernihiv Oblast must not disappear behind it.
    result = geocode("Desna")
    assert result.status == "ambiguous"
    assert "UA-74" in {place.oblast_iso for place in result.candidates}


# ---------------------------------------------------------------- unknown names


@pytest.mark.parametrize("name", ["Atlantis", "Qwertyuiopivka", "", "   "])
def test_an_unknown_name_is_reported_as_unknown(name):
    result = geocode(name)
    assert result.status == "unknown"
    assert result.place is None
    assert result.candidates == ()
    assert result.message


def test_the_message_for_an_unknown_name_repeats_it():
    assert "Atlantis" in geocode("Atlantis").message


def test_a_name_outside_the_given_oblast_is_unknown_and_says_where_it_is():
    result = geocode("Odesa", oblast="Lviv")
    assert result.status == "unknown"
    assert result.place is None
    assert "Lviv Oblast" in result.message and "Odesa Oblast" in result.message
    assert [place.oblast_iso for place in result.candidates] == ["UA-51"]


def test_an_unknown_oblast_is_an_error():
    with pytest.raises(UnknownOblastError):
        geocode("Odesa", oblast="Narnia")


# ---------------------------------------------------------------- coordinates


@pytest.mark.parametrize(
    ("name", "latitude", "longitude"),
    [  # city centres as published, independent of GeoNames
        ("Kyiv", 50.4500, 30.5236),
        ("Odesa", 46.4775, 30.7326),
        ("Kharkiv", 49.9925, 36.2311),
        ("Lviv", 49.8425, 24.0322),
        ("Kherson", 46.6353, 32.6169),
        ("Mariupol", 47.0958, 37.5494),
    ],
)
def test_a_city_lies_within_10_km_of_its_true_position(name, latitude, longitude):
    place = geocode(name).place
    assert great_circle_km(place.latitude, place.longitude, latitude, longitude) < 10


# ---------------------------------------------------------------- the place list


def test_every_place_has_a_valid_oblast_code_and_sane_values():
    places = all_places()
    assert len(places) > 5000
    assert {place.oblast_iso for place in places} == ISO_CODES
    assert len({place.geonames_id for place in places}) == len(places)
    for place in places:
        assert place.name
        assert 44.0 < place.latitude < 52.5 and 22.0 < place.longitude < 40.5, place
        assert place.population >= 0


def test_all_places_is_loaded_once():
    assert all_places() is all_places()


def test_geonames_is_credited():
    assert "GeoNames" in GEONAMES_ATTRIBUTION and "CC BY 4.0" in GEONAMES_ATTRIBUTION
    assert "CC BY 4.0" in gazetteer.__doc__


def test_loading_takes(capsys):
    started = time.perf_counter()
    fresh = gazetteer._load()
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[gazetteer] cold load of {len(fresh.places)} places: {seconds:.2f} s")
    assert len(fresh.places) == len(all_places())


# ---------------------------------------------------------------- point in oblast


@pytest.mark.parametrize(("city", "oblast_iso"), [("Kherson", "UA-65"), ("Kyiv", "UA-30"), ("Lviv", "UA-46")])
def test_a_city_is_assigned_to_its_oblast(boundaries, city, oblast_iso):
    place = geocode(city).place
    assert assign_oblast(place.latitude, place.longitude, boundaries) == oblast_iso


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(52.2297, 21.0122), (50.0647, 19.9450), (43.5, 34.0), (float("nan"), 30.0)],
    ids=["Warsaw", "Krakow", "Black Sea", "missing"],
)
def test_a_point_outside_ukraine_has_no_oblast(boundaries, latitude, longitude):
    assert assign_oblast(latitude, longitude, boundaries) is None


def test_without_boundaries_no_oblast_is_assigned():
    off = load_boundaries(None)
    assert assign_oblast(50.45, 30.52, off) is None
    frame = pd.DataFrame({"latitude": [50.45, 46.48], "longitude": [30.52, 30.73]}, index=[7, 3])
    series = assign_oblasts(frame, off)
    assert series.index.tolist() == [7, 3]
    assert series.isna().all()


def test_the_gazetteer_oblasts_match_the_polygons(boundaries):
    # An independent check of the GeoNames-to-ISO code table: nearly every place
    # lies inside the polygon of the unit it is coded to (border villages aside).
    places = pd.DataFrame([vars(place) for place in all_places()])
    assigned = assign_oblasts(places, boundaries)
    agree = (assigned == places["oblast_iso"]).groupby(places["oblast_iso"]).mean()
    assert (agree > 0.95).all(), agree[agree <= 0.95]


def test_the_vectorised_assignment_agrees_with_the_scalar_one(boundaries):
    places = all_places()[::15]
    rows = [(place.latitude, place.longitude) for place in places]
    rows += [(52.2297, 21.0122), (43.5, 34.0), (float("nan"), 30.0), (48.0, None)]
    frame = pd.DataFrame(rows, columns=["latitude", "longitude"])
    frame.index = [i // 2 for i in range(len(frame))]  # repeated labels must not matter
    vectorised = assign_oblasts(frame, boundaries)
    scalar = [assign_oblast(lat, lon, boundaries) for lat, lon in rows]
    assert vectorised.name == "oblast_iso"
    assert vectorised.index.equals(frame.index)
    assert vectorised.tolist() == scalar
    assert scalar[-4:] == [None, None, None, None]
    assert sum(code is not None for code in scalar) > 0.95 * len(places)


def test_the_vectorised_assignment_takes_other_column_names(boundaries):
    frame = pd.DataFrame({"lat": [49.8383], "lon": [24.0232]})
    assert assign_oblasts(frame, boundaries, latitude="lat", longitude="lon").tolist() == ["UA-46"]
