"""The page through Streamlit's AppTest: tiles show the same totals as the CLI; filters change them."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.config import PROJECT_ROOT
from dashboard.query.totals import Filters, summarize
from dashboard.ui.shared import UNEXPECTED_ERROR
from dashboard.views.tiles import tiles

APP = str(PROJECT_ROOT / "dashboard" / "ui" / "app.py")


@pytest.fixture
def app(settings, monkeypatch, boundary_file):
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", str(boundary_file))
    at = AppTest.from_file(APP, default_timeout=60)
    yield at
    # The page's catch-all turns an exception into a message (not at.exception): a test's last
    # run must not have ended in one (the traceback is in the captured log).
    assert not [e.value for e in at.error if UNEXPECTED_ERROR in e.value]


def shown(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def expected(records, filters: Filters) -> dict[str, str]:
    return {tile.label: tile.shown for tile in tiles(summarize(records, filters))}


def test_tiles_show_the_seed_totals(app, records):
    at = app.run()
    assert not at.exception
    assert shown(at) == expected(records, Filters())
    assert shown(at)["Without heating"] == "40,000"
    # Peak on the tile, the end-date figure and person-days beside it (the same numbers as the CLI's).
    assert "on the end date 40,000; 40,000 person-days" in [caption.value for caption in at.caption]
    assert any(caption.value.startswith("1 outage has no stated restoration") for caption in at.caption)
    assert shown(at)["Attacks"] == "5" and shown(at)["Projectiles launched"] == "140"


def test_every_tile_has_help(app):
    at = app.run()
    assert all(metric.help for metric in at.metric)


def test_city_filter_changes_tiles(app, records):
    at = app.run()
    at.sidebar.multiselect[0].select("Kherson").run()
    assert shown(at) == expected(records, Filters(cities=("Kherson",)))
    assert shown(at)["Attacks"] == "2"
    # No Kherson incident gives an injured figure: the page says so rather than showing 0.
    assert shown(at)["Injured"] == "not reported"
    assert "reported for 1 of 2 attacks" in [caption.value for caption in at.caption]
    assert at.query_params["city"] in ("Kherson", ["Kherson"])


def test_oblast_filter_changes_tiles(app, records):
    at = app.run()
    oblast = next(w for w in at.sidebar.multiselect if w.label == "Oblast")
    oblast.select("Kherson Oblast").run()
    assert shown(at) == expected(records, Filters(oblasts=("Kherson Oblast",)))
    assert shown(at)["Killed"] == "3"


def test_date_range_changes_tiles(app, records):
    at = app.run()
    at.sidebar.date_input[0].set_value((date(2024, 3, 13), date(2024, 3, 13))).run()
    assert shown(at) == expected(records, Filters(start=date(2024, 3, 13), end=date(2024, 3, 13)))
    assert shown(at)["Projectiles launched"] == "0"
    assert at.query_params["start"] in ("2024-03-13", ["2024-03-13"])


def test_link_with_query_string_reopens_the_view(app, records):
    app.query_params["city"] = ["Odesa"]
    app.query_params["start"] = "2024-03-14"
    at = app.run()
    assert shown(at) == expected(records, Filters(cities=("Odesa",), start=date(2024, 3, 14)))
    assert at.sidebar.multiselect[0].value == ["Odesa"]


def test_a_linked_city_geonames_does_not_know_is_said_on_the_page(app):
    app.query_params["city"] = ["Khersonn"]
    at = app.run()
    # No record matches: the page says so (a row of zeros would read as "no attacks").
    assert any(info.value.startswith("No incidents match these filters") for info in at.info)
    # The name is escaped and isolated (record text shows as text), the note still names it.
    assert any("Khersonn" in caption.value and "GeoNames" in caption.value for caption in at.caption)


def test_download_and_sources_are_on_the_page(app):
    at = app.run()
    assert any("incidents" in caption.value for caption in at.caption)
    assert [tab.label for tab in at.tabs] == ["Map", "Timeline", "Incidents", "Sources"]
    at.session_state["page_tab"] = "Sources"  # what a click on the tab does
    at.run()
    sources_tab = at.tabs[3]
    assert any("descriptive title" in h.value for h in sources_tab.subheader)


def test_a_tab_is_built_only_once_opened(app):
    """The first page sends the map, not the charts and tables of the tabs behind it."""
    at = app.run()
    assert not at.exception
    timeline, table = at.tabs[1], at.tabs[2]
    assert not timeline.subheader and not table.dataframe and not table.get("download_button")
    # The only table on the first page is the facilities-by-type one beside the map (the map tab's).
    assert at.get("vega_lite_chart") == [] and at.tabs[3].dataframe.len == 0 and at.tabs[0].dataframe.len == 1
    at.session_state["page_tab"] = "Timeline"
    at.run()
    assert [h.value for h in at.tabs[1].subheader][:1] == ["Attacks per day"]
    assert len(at.tabs[1].get("vega_lite_chart")) == 3
    at.session_state["page_tab"] = "Incidents"
    at.run()
    assert at.tabs[2].dataframe.len == 1 and len(at.tabs[2].get("download_button")) == 4
    # The map runs whichever tab is open, so it stays mounted with its view.
    assert len(at.tabs[0].get("component_instance")) == 1


def test_import_page_states_limits_and_formats(app, monkeypatch):
    monkeypatch.setenv("IMPACT_ALLOW_WRITES", "1")
    at = app.run()
    at.switch_page("import_page.py").run()
    assert not at.exception
    assert at.title[0].value == "Import data"
    assert "up to 100 MB" in at.caption[0].value
    assert at.radio[0].options == [
        "This project's record files (or an export of this dashboard)",
        "ACLED export",
        "Any CSV, through a mapping file",
    ]


def test_successive_filter_changes_all_take_effect(app, records):
    # Regression: widgets seeded from the URL as `default` lost every second change.
    at = app.run()
    city = at.sidebar.multiselect[0]
    city.select("Kherson").run()
    at.sidebar.multiselect[0].select("Odesa").run()
    assert shown(at) == expected(records, Filters(cities=("Kherson", "Odesa")))
    at.sidebar.multiselect[0].unselect("Kherson").run()
    assert shown(at) == expected(records, Filters(cities=("Odesa",)))
    oblast = next(w for w in at.sidebar.multiselect if w.label == "Oblast")
    oblast.select("Odesa Oblast").run()
    assert shown(at)["Attacks"] == "1"


def test_only_in_view_lists_the_filtered_incidents_in_the_maps_reported_view(app, records):
    """The switch above the table narrows it to the bounds the map reported; the totals stay the filters'."""
    at = app.run()
    at.session_state["page_tab"] = "Incidents"
    # What st_folium stores once the map reports its view: here, Kherson oblast and Kryvyi Rih, not Odesa.
    at.session_state["incident_map"] = {
        "zoom": 8,
        "bounds": {"_southWest": {"lat": 46.0, "lng": 31.5}, "_northEast": {"lat": 48.2, "lng": 35.0}},
    }
    at.run()
    assert len(at.tabs[2].dataframe[0].value) == 5  # switched off: every filtered incident
    at.toggle(key="table_in_view_switch").set_value(True).run()
    table = at.tabs[2].dataframe[0].value
    assert sorted(table["incident_id"]) == ["inc-001", "inc-002", "inc-003", "inc-005"]
    assert "4 of the 5 filtered incidents are in the map's view." in [caption.value for caption in at.caption]
    assert shown(at) == expected(records, Filters())  # the totals are those of the filters, as the CLI's
    # The choice holds while another tab is open (the switch is not drawn there) and back.
    at.session_state["page_tab"] = "Map"
    at.run()
    at.session_state["page_tab"] = "Incidents"
    at.run()
    assert len(at.tabs[2].dataframe[0].value) == 4
