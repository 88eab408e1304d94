"""Every total on the seed records, unfiltered and under city, oblast, date, weapon and asset filters."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.query.totals import TOTAL_KEYS, Filters, filter_incidents, summarize, timeline
from dashboard.records.load import load_records
from geo.oblasts import UnknownOblastError
from tests.builders import append_rows, record_folder

ALL = {
    "attacks": 5,
    "killed": 3,
    "injured": 13,
    "children_killed": 1,
    "children_injured": 1,
    "people_without_service": {"heating": 40000},
    "facilities_hit": {
        "civilian_infrastructure": 1,
        "energy_infrastructure": 1,
        "gas_pipeline": 2,
        "residential_building": 40,
        "school": 1,
        "thermal_power_plant": 1,
    },
    "projectiles_launched": 140,
    # How many of the attacks give each casualty figure (a blank is "not reported", not 0).
    "reported": {"killed": 2, "injured": 3, "children_killed": 2, "children_injured": 2},
    # The power plant, out on the records' last day, restoration not stated.
    "people_cut_off": {"heating": {"at_peak": 40000, "on_end_date": 40000, "person_days": 40000}},
    "open_outages": 1,
    "registry_facilities": {},  # no facility registry in the seed
}


def test_unfiltered_totals(records):
    assert summarize(records) == ALL
    assert tuple(summarize(records)) == TOTAL_KEYS


@pytest.mark.parametrize("spelling", ["Kherson", "kherson", " KHERSON "])
def test_city_kherson(records, spelling):
    totals = summarize(records, Filters(cities=(spelling,)))
    # The girl killed by shelling and the thermal power plant; the oblast-level strike has no city.
    assert totals["attacks"] == 2
    assert (totals["killed"], totals["children_killed"], totals["injured"]) == (1, 1, 0)
    assert totals["people_without_service"] == {"heating": 40000}
    assert totals["facilities_hit"] == {"thermal_power_plant": 1}
    # Neither Kherson incident gives an injured figure: 0 is a sum over nothing, not a count.
    assert totals["reported"] == {"killed": 1, "injured": 0, "children_killed": 1, "children_injured": 0}


def test_not_reported_is_not_shown_as_zero(records):
    """The tiles say "not reported" where no incident in view gives a figure, and give the coverage."""
    from dashboard.views.tiles import tiles

    shown = {tile.label: (tile.shown, tile.detail) for tile in tiles(summarize(records, Filters(cities=("Kherson",))))}
    assert shown["Injured"] == ("not reported", "no figure in 2 attacks")
    assert shown["Killed"] == ("1", "reported for 1 of 2 attacks")
    everything = {tile.label: (tile.shown, tile.detail) for tile in tiles(summarize(records))}
    assert everything["Injured"] == ("13", "reported for 3 of 5 attacks")
    # No attack in view: nothing to report, and 0 is the true count.
    empty = {tile.label: tile.shown for tile in tiles(summarize(records, Filters(cities=("Lviv",))))}
    assert empty["Killed"] == "0" and empty["Attacks"] == "0"


@pytest.mark.parametrize("spelling", ["Kryvyi Rih", "Kryvyy Rih", "Krivoy Rog"])
def test_city_kryvyi_rih_spellings(records, spelling):
    totals = summarize(records, Filters(cities=(spelling,)))
    assert (totals["attacks"], totals["injured"], totals["children_injured"]) == (1, 6, 1)
    assert totals["facilities_hit"] == {"gas_pipeline": 2, "residential_building": 40, "school": 1}
    assert totals["people_without_service"] == {}


def test_city_odessa_spelling(records):
    assert summarize(records, Filters(cities=("Odessa",)))["injured"] == 6
    assert summarize(records, Filters(cities=("Odesa", "Kherson")))["attacks"] == 3


@pytest.mark.parametrize("spelling", ["Kherson Oblast", "Khersonska", "UA-65", "UA65", "kherson"])
def test_oblast_kherson(records, spelling):
    totals = summarize(records, Filters(oblasts=(spelling,)))
    assert (totals["attacks"], totals["killed"], totals["injured"]) == (3, 3, 1)
    assert totals["children_killed"] == 1


def test_unknown_oblast_is_an_error(records):
    with pytest.raises(UnknownOblastError, match="Narnia"):
        summarize(records, Filters(oblasts=("Narnia",)))


def test_date_range_one_night(records):
    totals = summarize(records, Filters(start=date(2024, 3, 13), end=date(2024, 3, 13)))
    assert (totals["attacks"], totals["injured"], totals["projectiles_launched"]) == (1, 6, 0)


def test_date_range_from_the_14th(records):
    totals = summarize(records, Filters(start=date(2024, 3, 14)))
    assert (totals["attacks"], totals["killed"], totals["injured"]) == (3, 2, 7)
    assert totals["projectiles_launched"] == 140


def test_place_filters_do_not_narrow_launch_counts(records):
    assert summarize(records, Filters(cities=("Kyiv",)))["projectiles_launched"] == 140
    assert summarize(records, Filters(cities=("Kyiv",)))["attacks"] == 0


def test_weapon_filter_narrows_incidents_and_salvos(records):
    totals = summarize(records, Filters(weapons=("drone",)))
    assert totals["attacks"] == 3  # thermal plant, Odesa, oblast-level Kherson
    assert totals["projectiles_launched"] == 138


def test_asset_type_filter(records):
    totals = summarize(records, Filters(asset_types=("school",)))
    assert totals["attacks"] == 1
    assert totals["facilities_hit"] == {"school": 1}


def test_salvos_are_not_attacks(records):
    assert summarize(records)["attacks"] == len(records.incidents)


def test_facility_hit_twice_counts_its_people_once(tmp_path):
    second_strike = (
        'inc-006,2024-03-15,day,,Kherson,Kherson Oblast,UA-65,46.6354,32.6169,2,drone,Russian forces,,,,,,"x",src-000,'
        '"Further compounding the humanitarian crisis, the Kherson Thermal Power Plant, which provides heating for over '
        '40,000 residents, was rendered inoperative after being targeted by Russian drones and artillery."'
    )
    second_impact = (
        'imp-007,inc-006,ast-004,out_of_service,40000,at_least,src-000,"Further compounding the humanitarian crisis, '
        "the Kherson Thermal Power Plant, which provides heating for over 40,000 residents, was rendered inoperative "
        'after being targeted by Russian drones and artillery."'
    )
    folder = record_folder(tmp_path, incidents_edit=append_rows(second_strike), impacts_edit=append_rows(second_impact))
    report = load_records(folder)
    assert report.failures.empty, report.failures
    totals = summarize(report.records)
    assert totals["attacks"] == 6
    assert totals["people_without_service"] == {"heating": 40000}
    assert totals["facilities_hit"]["thermal_power_plant"] == 1


def test_people_served_count_when_service_lost_but_no_figure_given(tmp_path):
    folder = record_folder(tmp_path, impacts_edit=lambda t: t.replace("out_of_service,40000,at_least", "destroyed,,"))
    totals = summarize(load_records(folder).records)
    assert totals["people_without_service"] == {"heating": 40000}


def test_damaged_facility_without_figure_adds_no_people(records):
    assert "housing" not in summarize(records)["people_without_service"]


def test_timeline_has_every_day(records):
    per_day = timeline(filter_incidents(records, Filters()))
    assert [d.strftime("%Y-%m-%d") for d in per_day.index] == [
        "2024-03-12",
        "2024-03-13",
        "2024-03-14",
    ]
    assert per_day["attacks"].tolist() == [1, 1, 3]
    assert per_day["killed"].sum() == 3 and per_day["injured"].sum() == 13
