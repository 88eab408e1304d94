"""ACLED exports translate to canonical incidents, and every row that cannot is reported by line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from dashboard.io.formats.acled import FATALITIES_CAVEAT, REQUIRED_COLUMNS, translate_acled
from dashboard.records.load import read_text_csv, validate_frame, validate_texts
from dashboard.records.schemas import IncidentSchema, SourceSchema

FILES = Path(__file__).parent / "files" / "acled"
GOOD_V1 = {f"UKR1500{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 11, 12)}
# Line of each bad row in acled_v1.csv: (ACLED column, value as written).
BAD_V1 = {
    9: ("country", "Russia"),
    10: ("notes", ""),
    11: ("event_date", "03/14/2024"),
}


def _read(name: str) -> pd.DataFrame:
    raw, failures = read_text_csv((FILES / name).read_bytes(), name)
    assert failures == []
    return raw


def _translate(name: str):
    return translate_acled(_read(name), name)


@pytest.fixture(scope="module")
def v1():
    return _translate("acled_v1.csv")


@pytest.fixture(scope="module")
def v2():
    return _translate("acled_v2.csv")


def _by_event(translation) -> pd.DataFrame:
    return translation.tables["incidents"].set_index("source_record_id", drop=False)


def _raw_notes(event_id: str) -> str:
    rows = csv.DictReader(io.StringIO((FILES / "acled_v1.csv").read_text(encoding="utf-8")))
    return next(row["notes"] for row in rows if row["event_id_cnty"] == event_id)


def test_every_good_row_is_translated_in_canonical_columns(v1):
    frame = v1.tables["incidents"]
    assert list(frame.columns) == list(IncidentSchema.columns)
    assert set(frame["source_record_id"]) == GOOD_V1
    assert not set(frame.index) & set(BAD_V1)


def test_index_is_the_input_line(v1):
    frame = v1.tables["incidents"]
    assert frame.loc[2, "source_record_id"] == "UKR150001"
    assert frame.loc[13, "source_record_id"] == "UKR150012"


def test_a_shelling_row_carries_every_field(v1):
    row = _by_event(v1).loc["UKR150001"]
    assert row.to_dict() == {
        "incident_id": "acled:UKR150001",
        "event_date": "2024-03-14",
        "date_precision": "day",
        "date_as_stated": "2024-03-14",
        "place": "Kherson",
        "oblast": "Kherson Oblast",
        "oblast_iso": "UA-65",
        "latitude": "46.6354",
        "longitude": "32.6169",
        "geo_precision": "2",
        "weapons": "artillery",
        "perpetrator_as_reported": "Military Forces of Russia (2000-)",
        "reported_by": "ACLED, citing Kherson Regional Military Administration; Ukrinform",
        "killed": "1",
        "injured": "",
        "children_killed": "",
        "children_injured": "",
        "description": "Explosions/Remote violence: Shelling/artillery/missile attack",
        "event_type": "Explosions/Remote violence / Shelling/artillery/missile attack",
        "source_id": "acled",
        "source_record_id": "UKR150001",
        "source_url": "",
        "quote": _raw_notes("UKR150001"),
        "notes": FATALITIES_CAVEAT,
    }


def test_source_id_is_used_in_identity_and_records():
    translation = translate_acled(_read("acled_v1.csv"), "acled_v1.csv", source_id="acled-ua")
    frame = translation.tables["incidents"]
    assert frame["incident_id"].str.startswith("acled-ua:").all()
    assert set(frame["source_id"]) == {"acled-ua"}
    assert translation.source["source_id"] == "acled-ua"


@pytest.mark.parametrize(("line", "column", "value"), [(line, *cell) for line, cell in BAD_V1.items()])
def test_each_bad_row_is_reported_with_line_column_and_value(v1, line, column, value):
    found = [f for f in v1.failures if f["line"] == line]
    assert [(f["column"], f["value"]) for f in found] == [(column, value)]
    assert found[0]["file"] == "acled_v1.csv" and found[0]["rule"]


def test_only_the_bad_rows_fail(v1):
    assert {f["line"] for f in v1.failures} == set(BAD_V1)


def test_every_date_format_parses_to_the_same_day(v1):
    frame = _by_event(v1)
    stated = frame.loc[[f"UKR1500{n:02d}" for n in range(1, 7)], "date_as_stated"].str.replace(
        r" \(.*\)$", "", regex=True
    )
    assert stated.tolist() == [
        "2024-03-14",
        "14 March 2024",
        "14-March-2024",
        "March 14, 2024",
        "14/03/2024",
        "2024-03-14T00:00:00",
    ]
    assert set(frame.loc[stated.index, "event_date"]) == {"2024-03-14"}


def test_slash_dates_are_day_first_and_never_guessed():
    raw = _read("acled_v1.csv").loc[[6]].copy()
    raw["event_date"] = ["04/03/2024"]  # 4 March, not 3 April
    assert translate_acled(raw, "x.csv").tables["incidents"]["event_date"].tolist() == ["2024-03-04"]
    raw["event_date"] = ["2024-13-01"]
    failures = translate_acled(raw, "x.csv").failures
    assert [(f["line"], f["column"], f["value"]) for f in failures] == [(6, "event_date", "2024-13-01")]


def test_time_precision_becomes_date_precision(v1):
    frame = _by_event(v1)
    assert frame.loc["UKR150004", "date_precision"] == "approximate"
    assert "ACLED time_precision 2: within the week" in frame.loc["UKR150004", "date_as_stated"]
    assert frame.loc["UKR150007", "date_precision"] == "month"


def test_geo_precision_mapping(v1):
    frame = _by_event(v1)
    # ACLED 1 (the named town's coordinates) is our settlement level.
    assert frame.loc["UKR150002", "geo_precision"] == "2"
    # ACLED 2 (near a town) is kept at settlement level, with a note saying so.
    assert frame.loc["UKR150004", "geo_precision"] == "2"
    assert "near Kryvyi Rih" in frame.loc["UKR150004", "notes"]
    # ACLED 3 (a larger region) is oblast only, with no place.
    crimea = frame.loc["UKR150007"]
    assert (crimea["geo_precision"], crimea["place"]) == ("3", "")
    assert (crimea["oblast"], crimea["oblast_iso"]) == ("Autonomous Republic of Crimea", "UA-43")


def test_acled_kyiv_is_the_oblast_and_kyiv_city_the_city(v1):
    frame = _by_event(v1)
    assert frame.loc["UKR150006", ["oblast", "oblast_iso"]].tolist() == ["Kyiv Oblast", "UA-32"]
    assert frame.loc["UKR150012", ["oblast", "oblast_iso"]].tolist() == ["Kyiv", "UA-30"]


def test_blank_coordinates_are_geocoded_from_the_location(v1):
    row = _by_event(v1).loc["UKR150011"]
    assert row["place"] == "Nikopol" and row["geo_precision"] == "2"
    assert float(row["latitude"]) == pytest.approx(47.57, abs=0.05)
    assert float(row["longitude"]) == pytest.approx(34.39, abs=0.05)
    assert "GeoNames" in row["notes"] and "GeoNames" in v1.source["attribution"]


def test_blank_coordinates_with_an_unknown_location_fail():
    raw = _read("acled_v1.csv").loc[[12]].copy()
    raw["location"] = ["Atlantis"]
    translation = translate_acled(raw, "x.csv")
    assert translation.tables["incidents"].empty
    assert [(f["line"], f["column"], f["value"]) for f in translation.failures] == [(12, "latitude", "")]
    assert "Atlantis" in translation.failures[0]["rule"]


@pytest.mark.parametrize(
    ("event_id", "weapons"),
    [
        ("UKR150001", "artillery"),  # shelling, notes name artillery only
        ("UKR150002", "missile"),  # shelling category, notes name ballistic missiles
        ("UKR150003", "drone"),  # air/drone strike with Shahed drones
        ("UKR150004", "air_strike"),  # air/drone strike with bombs, no drone named
        ("UKR150005", "mine"),
        ("UKR150006", "missile;drone"),
        ("UKR150011", "artillery"),
    ],
)
def test_weapons_are_derived_conservatively(v1, event_id, weapons):
    assert _by_event(v1).loc[event_id, "weapons"] == weapons


def test_other_event_types_have_unknown_weapons():
    raw = _read("acled_v1.csv").loc[[2]].copy()
    raw["event_type"], raw["sub_event_type"] = ["Battles"], ["Armed clash"]
    assert translate_acled(raw, "x.csv").tables["incidents"]["weapons"].tolist() == ["unknown"]


def test_fatalities_caveat_is_on_every_record(v1, v2):
    for translation in (v1, v2):
        assert translation.tables["incidents"]["notes"].str.startswith(FATALITIES_CAVEAT).all()
    assert "do not separate civilians" in v1.source["notes"]
    assert "deletes" in v1.source["notes"]


def test_identity_is_stable_between_versions(v1, v2):
    old, new = _by_event(v1), _by_event(v2)
    common = old.index.intersection(new.index)
    assert len(common) == len(GOOD_V1) - 1
    assert (old.loc[common, "incident_id"] == new.loc[common, "incident_id"]).all()
    assert old.loc["UKR150001", "killed"] == "1" and new.loc["UKR150001", "killed"] == "2"
    assert "UKR150003" not in new.index  # deleted by ACLED in the later export
    assert new.loc["UKR150013", "incident_id"] == "acled:UKR150013"
    assert new.loc["UKR150013", "weapons"] == "missile;drone"
    assert "event_id_cnty" in v1.identity_note


@pytest.mark.parametrize("name", ["acled_v1.csv", "acled_v2.csv"])
def test_output_passes_the_canonical_schema(name):
    translation = _translate(name)
    assert validate_frame(IncidentSchema, translation.tables["incidents"].copy(), "x.csv") == []
    source = pd.DataFrame([translation.source], dtype="str")
    assert list(source.columns) == list(SourceSchema.columns)
    assert validate_frame(SourceSchema, source, "sources.csv") == []


def test_output_loads_with_its_source_row(v1, tmp_path):
    texts = {"sources": pd.DataFrame([v1.source], dtype="str"), "incidents": v1.tables["incidents"]}
    report = validate_texts(texts, tmp_path)
    assert report.failures.empty, report.failures
    assert len(report.records.incidents) == len(GOOD_V1)


def test_origins_name_acled_columns(v1):
    assert v1.origins["event_date"] == "event_date"
    assert v1.origins["killed"] == "fatalities"
    assert v1.origins["quote"] == "notes"
    assert v1.origins["oblast"] == "admin1"
    assert v1.origins["latitude"] == "latitude"
    assert v1.origins["incident_id"] == "event_id_cnty"


def test_missing_header_columns_fail_at_line_one_and_translate_nothing():
    raw = _read("acled_v1.csv").drop(columns=["fatalities", "admin1"])
    translation = translate_acled(raw, "x.csv")
    assert translation.tables["incidents"].empty
    assert list(translation.tables["incidents"].columns) == list(IncidentSchema.columns)
    assert sorted((f["line"], f["column"]) for f in translation.failures) == [(1, "admin1"), (1, "fatalities")]


def test_extra_columns_are_ignored(v1):
    raw = _read("acled_v1.csv").assign(my_column="anything")
    translation = translate_acled(raw, "x.csv")
    assert translation.tables["incidents"].equals(v1.tables["incidents"])
    assert len(translation.failures) == len(v1.failures)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("event_id_cnty", ""),
        ("event_id_cnty", "UKR 1"),
        ("time_precision", "4"),
        ("geo_precision", ""),
        ("admin1", "Atlantis"),
        ("latitude", "north"),
        ("longitude", "200"),
        ("fatalities", "3-5"),
        ("event_type", ""),
    ],
)
def test_a_bad_cell_fails_its_row_without_raising(column, value):
    raw = _read("acled_v1.csv").loc[[2, 3]].copy()
    raw.loc[3, column] = value
    translation = translate_acled(raw, "x.csv")
    assert translation.tables["incidents"].index.tolist() == [2]
    assert [(f["line"], f["column"], f["value"]) for f in translation.failures] == [(3, column, value)]


def test_a_repeated_event_id_keeps_the_first_row():
    raw = _read("acled_v1.csv").loc[[2, 3]].copy()
    raw.loc[3, "event_id_cnty"] = "UKR150001"
    translation = translate_acled(raw, "x.csv")
    assert translation.tables["incidents"].index.tolist() == [2]
    assert [(f["line"], f["column"]) for f in translation.failures] == [(3, "event_id_cnty")]
    assert "line 2" in translation.failures[0]["rule"]


def test_blank_fatalities_mean_not_reported():
    raw = _read("acled_v1.csv").loc[[2]].copy()
    raw["fatalities"] = [""]
    assert translate_acled(raw, "x.csv").tables["incidents"]["killed"].tolist() == [""]


def test_an_empty_export_translates_to_nothing():
    raw = _read("acled_v1.csv").iloc[0:0]
    translation = translate_acled(raw, "x.csv")
    assert translation.tables["incidents"].empty and translation.failures == []


def test_required_columns_cover_the_brief():
    for name in ("event_id_cnty", "event_date", "admin1", "latitude", "longitude", "notes", "fatalities", "country"):
        assert name in REQUIRED_COLUMNS
