"""Synthetic record folders: they load clean, are reproducible, and look roughly like the design says."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.io.synth import END, START, main, synthesize, write_synth
from dashboard.records.load import load_records
from dashboard.records.schemas import SCHEMAS

N = 2_000
FRONT = {"UA-14", "UA-09", "UA-23", "UA-65", "UA-63"}
WEST = {"UA-07", "UA-21", "UA-26", "UA-46", "UA-56", "UA-61", "UA-68", "UA-77"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_synth(N, seed=11, out=tmp_path_factory.mktemp("synth") / "data")


@pytest.fixture(scope="module")
def report(folder):
    return load_records(folder, root=folder.parent)


@pytest.fixture(scope="module")
def frames():
    return synthesize(N, seed=11)


def test_folder_loads_without_failures_and_every_row_is_accepted(folder, report, frames):
    assert report.failures.empty, report.failures.head(20)
    assert report.rejected_count == 0
    for table, frame in frames.items():
        assert len(report.records.table(table)) == len(frame), table
    assert len(frames["incidents"]) == N
    assert {p.name for p in folder.iterdir()} == {schema.file for schema in SCHEMAS.values()}


def test_frames_are_text_with_exactly_the_schema_columns(frames):
    for table, frame in frames.items():
        assert list(frame.columns) == list(SCHEMAS[table].columns), table
        assert frame.notna().all().all(), table  # blank is "", never NaN
        assert all(isinstance(cell, str) for cell in frame.iloc[0]), table
    counts = frames["incidents"][["killed", "injured", "children_killed", "children_injured"]]
    assert counts.apply(lambda column: column.str.fullmatch(r"\d*")).all().all()  # no "1.0"
    latitude = frames["incidents"]["latitude"]
    assert latitude.str.fullmatch(r"\d{2}\.\d{4,5}").all()


def test_the_source_says_the_records_are_synthetic(frames):
    source = frames["sources"].iloc[0]
    assert source["source_id"] == "synth-11"
    assert source["title"] == f"Synthetic incidents (seed 11, {N} incidents) — not real events"
    assert "synthetic" in source["notes"].lower() and source["path"] == ""
    for table in ("incidents", "assets", "impacts", "salvos"):
        assert (frames[table]["source_id"] == "synth-11").all()
        assert frames[table]["quote"].str.len().gt(0).all()
    assert frames["incidents"]["incident_id"].iloc[0] == "syn-11-0000001"
    assert frames["assets"]["asset_id"].iloc[0] == "syn-11-a0000001"
    assert frames["impacts"]["impact_id"].iloc[0] == "syn-11-h0000001"


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, folder):
    again = write_synth(N, seed=11, out=tmp_path / "again")
    other = write_synth(N, seed=12, out=tmp_path / "other")
    for schema in SCHEMAS.values():
        assert (again / schema.file).read_bytes() == (folder / schema.file).read_bytes(), schema.file
    assert (other / "incidents.csv").read_bytes() != (folder / "incidents.csv").read_bytes()
    assert (other / "salvos.csv").read_bytes() != (folder / "salvos.csv").read_bytes()


def test_front_line_oblasts_have_more_incidents_than_western_ones(frames):
    by_oblast = frames["incidents"]["oblast_iso"].value_counts()
    front, west = by_oblast.reindex(sorted(FRONT), fill_value=0), by_oblast.reindex(sorted(WEST), fill_value=0)
    assert front.min() > west.max()
    assert front.sum() > 0.4 * N and west.sum() < 0.05 * N


def test_about_five_percent_are_oblast_level_with_no_place(frames):
    incidents = frames["incidents"]
    oblast_level = incidents["geo_precision"] == "3"
    assert 0.03 < oblast_level.mean() < 0.07
    assert (incidents.loc[oblast_level, "place"] == "").all()
    assert (incidents.loc[~oblast_level, "place"] != "").all()
    # Every oblast-level record of one oblast sits on the same centroid.
    centroids = incidents[oblast_level].groupby("oblast_iso")[["latitude", "longitude"]].nunique()
    assert (centroids == 1).all().all()
    assert (incidents["date_precision"] == "day").mean() > 0.85


def test_dates_fall_within_the_period(frames):
    dates = pd.to_datetime(frames["incidents"]["event_date"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp(str(START)) and dates.max() <= pd.Timestamp(str(END))
    launches = pd.to_datetime(frames["salvos"]["launch_date"], format="%Y-%m-%d")
    assert launches.min() >= pd.Timestamp(str(START)) and launches.max() <= pd.Timestamp(str(END))
    assert dates.dt.year.nunique() == 5


def test_perpetrators_and_weapons_are_in_plausible_proportions(frames):
    incidents = frames["incidents"]
    shares = incidents["perpetrator_as_reported"].value_counts(normalize=True)
    assert shares["Russian forces"] > 0.75 and 0 < shares["Ukrainian forces"] < 0.12 and shares["not stated"] > 0
    ukrainian = incidents[incidents["perpetrator_as_reported"] == "Ukrainian forces"]
    assert ukrainian["reported_by"].str.contains("installed").all()
    first_weapon = incidents["weapons"].str.split(";").str[0].value_counts(normalize=True)
    assert first_weapon.index[0] in ("drone", "artillery") and first_weapon.get("missile", 0) > 0


def test_every_impact_points_at_an_existing_incident_and_asset(frames):
    impacts = frames["impacts"]
    assert impacts["incident_id"].isin(frames["incidents"]["incident_id"]).all()
    assert impacts["asset_id"].isin(frames["assets"]["asset_id"]).all()
    assert frames["assets"]["asset_id"].isin(impacts["asset_id"]).all()  # no asset without a hit
    assert not impacts.duplicated(["incident_id", "asset_id"]).any()
    hit_share = impacts["incident_id"].nunique() / N
    assert 0.4 <= hit_share <= 0.6


def test_some_assets_are_hit_by_more_than_one_incident(frames):
    hits = frames["impacts"].groupby("asset_id")["incident_id"].nunique()
    assert (hits >= 2).sum() >= 1


def test_services_match_asset_types_and_figures_only_for_utilities(frames):
    assets = frames["assets"]
    expected = {
        "thermal_power_plant": "heating",
        "power_plant": "electricity",
        "substation": "electricity",
        "gas_pipeline": "gas",
        "water_facility": "water",
        "school": "education",
        "hospital": "health",
        "residential_building": "housing",
    }
    for asset_type, service in expected.items():
        assert (assets.loc[assets["asset_type"] == asset_type, "service"] == service).all(), asset_type
    served = assets["people_served"] != ""
    assert assets.loc[served, "service"].isin(["heating", "electricity", "energy", "gas", "water"]).all()
    assert assets.loc[served, "people_served"].astype(int).max() <= 450_000
    outages = frames["impacts"]["people_without_service"] != ""
    assert outages.any()
    assert frames["impacts"].loc[outages, "state_after"].isin(["out_of_service", "destroyed", "damaged"]).all()


def test_children_never_exceed_the_totals(frames):
    incidents = frames["incidents"]
    for part in ("killed", "injured"):
        children = incidents[f"children_{part}"]
        shown = children != ""
        assert (incidents.loc[shown, part] != "").all()
        assert (children[shown].astype(int) <= incidents.loc[shown, part].astype(int)).all()
    killed = incidents["killed"].replace("", None).dropna().astype(int)
    assert (killed == 0).mean() > 0.5  # most incidents kill no one (or the figure is blank)


def test_salvos_are_nightly_launch_counts(frames):
    salvos = frames["salvos"]
    assert set(salvos["weapon"]) <= {"drone", "missile", "ballistic_missile", "cruise_missile"}
    assert salvos["launched"].astype(int).min() >= 1
    assert not salvos.duplicated(["launch_date", "weapon"]).any()


def test_negative_arguments_are_refused(capsys):
    with pytest.raises(ValueError):
        synthesize(-1)
    with pytest.raises(SystemExit):
        main(["--incidents", "10", "--seed", "-1", "--out", "unused"])


def test_main_writes_a_folder_that_loads(tmp_path, capsys):
    assert main(["--incidents", "50", "--seed", "3", "--out", str(tmp_path / "cli")]) == 0
    assert "wrote 50 synthetic incidents" in capsys.readouterr().out
    assert load_records(tmp_path / "cli").failures.empty
