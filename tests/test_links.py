"""Linking incidents to registry facilities: ``impact links`` proposes, a user decides, totals follow.

The registry is the Global Power Plant Database extract in ``../shared`` (not copied into the
repository). The incidents are MADE UP here, written into a temporary folder in the canonical
format with a source document of their own; they describe no real events.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dashboard import cli
from dashboard.config import MAPPINGS_DIR, Settings
from dashboard.io.importer import import_file, import_path
from dashboard.io.open import open_store
from dashboard.map.features import incident_features
from dashboard.query.facility_names import name_similarity
from dashboard.query.totals import Filters, impacts_in_view
from dashboard.records.schemas import SCHEMAS
from dashboard.store.sql import read_records
from geo.boundaries import load_boundaries
from tests.conftest import SHARED, skip_or_fail

GPPD = SHARED / "fixtures" / "real" / "gppd_geodb_ukraine_power_plants.csv"
GPPD_MAPPING = MAPPINGS_DIR / "gppd_power_plants.toml"
DNIPRO_HES = "gppd:GEODB0043016"  # Danipro (Dnieper) Hydroelectric Power Plant Ukraine: 47.8694, 35.0861
ZAPORIZHZHIA = (47.8388, 35.1396)  # the city's centre as GeoNames gives it, 5 km from the plant
QUOTE = "A missile struck the DniproHES dam in Zaporizhzhia on 14 March 2026."
VAGUE = "A drone hit a hydroelectric power plant on the river on 15 March 2026."


def incident_folder(folder: Path, *, where=ZAPORIZHZHIA, precision="2", quote=QUOTE, number="1") -> Path:
    """A made-up canonical record folder: one incident hitting an unnamed hydro power plant."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.txt").write_text(f"Made-up report for the tests.\n{QUOTE}\n{VAGUE}\n", encoding="utf-8")
    source = {"source_id": "test-links", "title": "Made-up report (tests)", "path": "report.txt"}
    incident_id = f"links-{number}"
    oblast = {"oblast": "Zaporizhzhia Oblast", "oblast_iso": "UA-23", "geo_precision": precision}
    place = {"place": "Zaporizhzhia" if precision != "3" else "", **oblast}
    location = {**place, "latitude": str(where[0]), "longitude": str(where[1])}
    incident = {
        "incident_id": incident_id, "event_date": "2026-03-14", "date_precision": "day",
        "date_as_stated": "on 14 March 2026", **location, "weapons": "missile",
        "perpetrator_as_reported": "not stated", "description": "A missile hit a hydroelectric plant.",
        "source_id": "test-links", "quote": quote,
    }  # fmt: skip
    asset_id = f"{incident_id}:hydro_power_plant"
    asset = {
        "asset_id": asset_id, "name": "Unnamed hydro power plant, Zaporizhzhia", "asset_type": "hydro_power_plant",
        "service": "electricity", "asset_count": "1", "count_qualifier": "at_least", **location,
        "source_id": "test-links", "quote": quote,
    }  # fmt: skip
    impact = {
        "impact_id": asset_id, "incident_id": incident_id, "asset_id": asset_id, "state_after": "damaged",
        "source_id": "test-links", "quote": quote,
    }  # fmt: skip
    for name, row in {"sources": source, "incidents": incident, "assets": asset, "impacts": impact}.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(SCHEMAS[name].columns), restval="")
            writer.writeheader()
            writer.writerow(row)
    return folder


@pytest.fixture
def linked_store(store_url, tmp_path, boundary_file, monkeypatch):
    """A seeded store on each backend with the GPPD registry imported; the CLI's environment points at it."""
    return registry_store(store_url, tmp_path, boundary_file, monkeypatch)


def registry_store(store_url, tmp_path, boundary_file, monkeypatch):
    if not GPPD.is_file():
        skip_or_fail(f"{GPPD} is not there")
    env = {"IMPACT_DB_URL": store_url, "IMPACT_QUARANTINE_DIR": str(tmp_path / "imports")}
    settings = Settings.from_env(env | {"IMPACT_BOUNDARY_FILE": str(boundary_file)})
    for name, value in {**env, "IMPACT_BOUNDARY_FILE": str(boundary_file)}.items():
        monkeypatch.setenv(name, value)
    engine = open_store(settings)
    report = import_file(GPPD, engine, settings, "mapped", GPPD_MAPPING)
    assert report.accepted == 32, report.rejections[:3]
    return engine, settings


def run_json(capsys, argv: list[str]):
    code = cli.main(argv + ["--json"])
    return code, json.loads(capsys.readouterr().out)


def import_incident(engine, settings, folder: Path):
    reports = import_path(folder, engine, settings, root=folder)
    assert all(r.rejected == 0 for r in reports), [r.rejections for r in reports]
    return reports


def test_a_named_hit_is_proposed_accepted_counted_once_and_named_in_the_popup(linked_store, tmp_path, capsys):
    engine, settings = linked_store
    import_incident(engine, settings, incident_folder(tmp_path / "incident"))
    code, before = run_json(capsys, ["summary"])
    assert before["facilities_hit"]["hydro_power_plant"] == 1  # the unnamed one
    code, pending = run_json(capsys, ["links", "--pending"])
    assert code == 0
    [link] = [p for p in pending if p["impact_id"] == "links-1:hydro_power_plant"]
    assert link["to_asset_id"] == DNIPRO_HES and link["method"] == "name"
    assert "'DniproHES' ~ 'Danipro (Dnieper) Hydroelectric Power Plant' in Zaporizhzhia" in link["reason"]
    assert " km" in link["reason"] and 0 < link["score"] < 1
    # Nothing is linked on a guess: until accepted, the incident still hits the unnamed asset.
    records = read_records(engine)
    assert set(records.impacts.loc[records.impacts["incident_id"] == "links-1", "asset_id"]) == {
        "links-1:hydro_power_plant"
    }
    code, accepted = run_json(capsys, ["links", "--accept", link["link_id"]])
    assert code == 0 and accepted["status"] == "accepted"
    code, after = run_json(capsys, ["summary"])
    assert after["facilities_hit"]["hydro_power_plant"] == 1  # the plant, once; the unnamed one no more
    records = read_records(engine)
    incident = records.incidents[records.incidents["incident_id"] == "links-1"]
    hit = impacts_in_view(records, incident, Filters())
    assert list(hit["asset_id"]) == [DNIPRO_HES]
    [feature] = incident_features(records, incident, hit, load_boundaries(None))
    assert "Danipro (Dnieper) Hydroelectric Power Plant Ukraine" in json.dumps(feature)
    code, pending = run_json(capsys, ["links", "--pending"])
    assert link["link_id"] not in {p["link_id"] for p in pending}
    # The decision is in the impact's history: who, the asset before and after, and the link's reason.
    code, history = run_json(capsys, ["history", "links-1:hydro_power_plant", "--table", "impacts"])
    decided = history["changes"][-1]
    assert (decided["action"], decided["field"]) == ("link accepted", "asset_id")
    assert (decided["old_value"], decided["new_value"]) == ("links-1:hydro_power_plant", DNIPRO_HES)
    assert decided["user_name"].endswith("(command line)") and link["link_id"] in decided["reason"]


def test_an_accepted_link_survives_reimporting_both_files_unchanged(linked_store, tmp_path, capsys):
    engine, settings = linked_store
    import_incident(engine, settings, incident_folder(tmp_path / "incident"))
    code, [link] = run_json(capsys, ["links", "--pending"])
    assert cli.main(["links", "--accept", link["link_id"]]) == 0
    capsys.readouterr()
    code, after = run_json(capsys, ["summary"])
    reports = import_incident(engine, settings, tmp_path / "incident")
    assert all(r.accepted == 0 and r.updated == 0 for r in reports)
    again = import_file(GPPD, engine, settings, "mapped", GPPD_MAPPING)
    assert (again.accepted, again.updated, again.unchanged) == (0, 0, 32)
    code, summary = run_json(capsys, ["summary"])
    assert summary["facilities_hit"] == after["facilities_hit"]
    records = read_records(engine)
    incident = records.incidents[records.incidents["incident_id"] == "links-1"]
    assert list(impacts_in_view(records, incident, Filters())["asset_id"]) == [DNIPRO_HES]
    code, pending = run_json(capsys, ["links", "--pending"])
    assert pending == []


def test_a_rejected_proposal_is_not_proposed_again_even_after_a_reimport(linked_store, tmp_path, capsys):
    engine, settings = linked_store
    folder = incident_folder(tmp_path / "incident")
    import_incident(engine, settings, folder)
    code, pending = run_json(capsys, ["links", "--pending"])
    [link] = pending
    code, rejected = run_json(capsys, ["links", "--reject", link["link_id"]])
    assert code == 0 and rejected["status"] == "rejected"
    import_incident(engine, settings, folder)
    import_file(GPPD, engine, settings, "mapped", GPPD_MAPPING)
    code, pending = run_json(capsys, ["links", "--pending"])
    assert pending == []
    records = read_records(engine)
    assert "links-1:hydro_power_plant" in set(records.impacts["asset_id"])  # still the unnamed asset


def test_an_unknown_link_id_is_refused_with_exit_2(linked_store, capsys):
    assert cli.main(["links", "--accept", "no-such-link"]) == 2
    assert "no proposed link" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("where", "precision", "expected"),
    [
        (ZAPORIZHZHIA, "3", None),  # oblast-level: its point is a centroid, never linked
        ((47.8694 + 0.027, 35.0861), "1", None),  # a site 3 km from the plant: too far for a site
        ((47.8694 + 0.0045, 35.0861), "1", "nearest"),  # a site 500 m from it
    ],
)
def test_how_far_a_link_reaches_depends_on_the_precision(linked_store, tmp_path, capsys, where, precision, expected):
    engine, settings = linked_store
    import_incident(
        engine, settings, incident_folder(tmp_path / "incident", where=where, precision=precision, quote=VAGUE)
    )
    code, pending = run_json(capsys, ["links", "--pending"])
    assert code == 0
    if expected is None:
        assert pending == []
        return
    [link] = pending
    assert link["method"] == expected and link["to_asset_id"] == DNIPRO_HES
    assert "0.5 km" in link["reason"] and "within 1 km of the site" in link["reason"]


def test_an_id_in_the_record_links_without_review(linked_store, tmp_path, capsys):
    engine, settings = linked_store
    quote = "Facility GEODB0043016 was hit."
    folder = incident_folder(tmp_path / "incident", quote=quote)
    (folder / "report.txt").write_text(quote + "\n", encoding="utf-8")
    import_incident(engine, settings, folder)
    code, pending = run_json(capsys, ["links", "--pending"])
    assert pending == []
    incident = read_records(engine).incidents.query("incident_id == 'links-1'")
    assert list(impacts_in_view(read_records(engine), incident, Filters())["asset_id"]) == [DNIPRO_HES]


@pytest.mark.parametrize(
    "spelling", ["DniproHES", "Dnipro HPP", "Dnieper Hydroelectric Power Plant", "ДніпроГЕС", "Дніпровська ГЕС"]
)
def test_spellings_of_one_plant_match(spelling):
    names = [
        "DniproHES",
        "Dnipro HPP",
        "Dnieper Hydroelectric Power Plant",
        "Danipro (Dnieper) Hydroelectric Power Plant Ukraine",
    ]
    for other in names:
        assert name_similarity(spelling, other) >= 0.8, (spelling, other)


def test_different_plants_do_not_match():
    assert name_similarity("Kyiv CHP-5", "Kyiv CHP-6") < 0.8
    assert name_similarity("Kyiv CHP-5", "Kyiv TETs-5") >= 0.8
    assert name_similarity("Dniester HPP", "Dnipro HPP") < 0.8
    assert name_similarity("Dniprodzerzhynsk Hydroelectric Power Plant", "DniproHES") < 0.8


@pytest.mark.slow  # the page's first run in AppTest takes about 10 s
def test_the_import_page_lists_the_links_waiting_and_accepts_one(tmp_path, boundary_file, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboard.config import PROJECT_ROOT
    from dashboard.store.links import read_links

    engine, settings = registry_store(f"sqlite:///{tmp_path / 'page.sqlite'}", tmp_path, boundary_file, monkeypatch)
    import_incident(engine, settings, incident_folder(tmp_path / "incident"))
    monkeypatch.setenv("IMPACT_ALLOW_WRITES", "1")
    at = AppTest.from_file(str(PROJECT_ROOT / "dashboard" / "ui" / "app.py"), default_timeout=60).run()
    at.switch_page("import_page.py").run()
    assert not at.exception
    assert "Links waiting for review" in [h.value for h in at.subheader]
    table = at.dataframe[0].value
    assert list(table["method"]) == ["name"] and "DniproHES" in table["reason"].iloc[0]
    [accept] = [b for b in at.button if b.label == "Accept link"]
    accept.click().run()
    assert not at.exception
    assert list(read_links(engine, "accepted")["to_asset_id"]) == [DNIPRO_HES]
    assert "Links waiting for review" not in [h.value for h in at.subheader]


def test_a_linked_hit_gets_no_new_proposals_when_the_registry_grows(linked_store, tmp_path, capsys):
    engine, settings = linked_store
    import_incident(engine, settings, incident_folder(tmp_path / "incident"))
    code, [link] = run_json(capsys, ["links", "--pending"])
    assert cli.main(["links", "--accept", link["link_id"]]) == 0
    capsys.readouterr()
    # A made-up second entry for the same plant, as another registry's version might spell it.
    rows = list(csv.DictReader(GPPD.open(encoding="utf-8", newline="")))
    twin = {**rows[2], "name": "Dnipro Hydroelectric Power Plant Ukraine", "gppd_idnr": "TEST0000001"}
    path = tmp_path / "twin.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(twin))
        writer.writeheader()
        writer.writerow(twin)
    assert import_file(path, engine, settings, "mapped", GPPD_MAPPING).accepted == 1
    code, pending = run_json(capsys, ["links", "--pending"])
    assert pending == []
