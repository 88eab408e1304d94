"""The main page's layout: headline totals first, the rest one click away, an empty view that says so.

Through Streamlit's AppTest (no browser); the browser checks of positions are in
tests/test_browser_layout.py.
"""

from __future__ import annotations

from datetime import date

from dashboard.query.totals import Filters, summarize
from dashboard.views.filter_widgets import cleared_state, picked_range, widget_state
from dashboard.views.table import INCIDENT_LABELS, column_labels
from dashboard.views.tiles import facility_rows, split_tiles, tiles
from tests.test_app import app, expected, shown  # noqa: F401  (app is a fixture)

FIRST, LAST = date(2024, 3, 12), date(2024, 3, 14)


def test_headline_row_holds_attacks_casualties_and_the_largest_outage(records):
    totals = summarize(records, Filters())
    totals["people_without_service"] = {"water": 900, "heating": 40_000}
    headline, rest = split_tiles(tiles(totals))
    assert [tile.label for tile in headline] == ["Attacks", "Killed", "Injured", "Without heating"]
    assert "Without water" in [tile.label for tile in rest]
    assert sorted(t.label for t in headline + rest) == sorted(t.label for t in tiles(totals))


def test_facility_breakdown_is_rows_most_first(records):
    rows = facility_rows(summarize(records, Filters()))
    assert rows[0] == ("residential building", 40)
    assert all(count > 0 for _, count in rows) and sum(c for _, c in rows) == 46


def test_an_end_before_the_start_restricts_nothing_and_says_why():
    start, end, message = picked_range((date(2024, 3, 14), date(2024, 3, 12)), FIRST, LAST)
    assert (start, end) == (None, None)
    assert "before the start" in message
    assert picked_range((FIRST, LAST), FIRST, LAST) == (None, None, None)  # all days: no restriction
    assert picked_range((date(2024, 3, 13), LAST), FIRST, LAST) == (date(2024, 3, 13), None, None)


def test_clearing_resets_every_filter_widget():
    linked = widget_state(Filters(cities=("Kherson",), weapons=("drone",), start=date(2024, 3, 13)), FIRST, LAST)
    cleared = cleared_state(FIRST, LAST)
    assert cleared.keys() == linked.keys()
    assert all(key.startswith("filter_") for key in cleared)
    assert cleared["filter_dates"] == (FIRST, LAST)
    assert all(value == [] for key, value in cleared.items() if key != "filter_dates")


def test_every_incident_column_has_a_human_label(records):
    from dashboard.records.schemas import SCHEMAS

    columns = list(SCHEMAS["incidents"].columns)
    assert set(columns) <= set(INCIDENT_LABELS)
    labels = column_labels(columns)
    assert labels["event_date"] == "Date" and labels["weapons"] == "Weapons" and labels["oblast"] == "Oblast"
    assert len(set(labels.values())) == len(columns)


def test_page_shows_headline_tiles_and_the_rest_in_all_totals(app, records):  # noqa: F811
    at = app.run()
    assert not at.exception
    [expander] = [e for e in at.expander if e.label == "All totals"]
    inside = {metric.label for metric in expander.metric}
    assert {"Children killed", "Facilities hit", "Projectiles launched"} <= inside
    assert not {"Attacks", "Killed", "Injured", "Without heating"} & inside
    assert shown(at) == expected(records, Filters())  # every tile is still on the page
    assert all(metric.help for metric in at.metric)
    # The facility breakdown is a table, not a paragraph under a tile.
    assert not any("thermal power plant 1" in caption.value for caption in at.caption)
    assert any(list(frame.value.columns) == ["Type", "Hit"] for frame in at.dataframe)


def test_incident_table_keeps_schema_columns_with_human_labels(app):  # noqa: F811
    at = app.run()
    at.session_state["page_tab"] = "Incidents"  # tabs are built only when opened
    at.run()
    table = next(frame for frame in at.dataframe if "event_date" in frame.value.columns)
    # The data (and the CSV made from it) keep the schema's names; the labels are column_config.
    assert "quote" in table.value.columns
    config = table.proto.columns
    assert '"label": "Date"' in config and '"label": "Weapons"' in config
    # Date, place, oblast, weapons and casualties come first; the sentences are of medium width.
    assert list(table.proto.column_order)[:5] == ["event_date", "place", "oblast", "weapons", "killed"]
    assert '"width": "medium"' in config
    assert table.proto.placeholder == "not reported"  # a missing figure is said, not shown as None


def test_no_match_says_so_and_clear_filters_brings_the_totals_back(app, records):  # noqa: F811
    app.query_params["city"] = ["Khersonn"]
    app.query_params["weapon"] = ["drone"]
    at = app.run()
    assert any(info.value.startswith("No incidents match these filters") for info in at.info)
    assert not at.metric
    [button] = [b for b in at.button if b.label == "Clear filters"]
    at = button.click().run()
    assert shown(at) == expected(records, Filters())
    assert at.sidebar.multiselect[0].value == [] and dict(at.query_params) == {}


def test_a_link_whose_end_is_before_its_start_is_said_beside_the_dates(app, records):  # noqa: F811
    app.query_params["start"] = "2024-03-14"
    app.query_params["end"] = "2024-03-12"
    at = app.run()
    assert any("is after end" in warning.value for warning in at.sidebar.warning)
    assert shown(at) == expected(records, Filters())


def test_popup_font_is_the_pages_and_fetched_from_nowhere_else():
    from dashboard.map.features import PAGE_FONT, PAGE_FONT_JS, POPUP_CSS

    assert PAGE_FONT.startswith('"Source Sans"') and PAGE_FONT.endswith("sans-serif")
    assert f".leaflet-popup-content{{font-family:{PAGE_FONT}" in POPUP_CSS
    # Only the server's own font files: no CDN, no address of another origin.
    assert "http" not in POPUP_CSS + PAGE_FONT_JS and "url.origin === window.location.origin" in PAGE_FONT_JS


def test_an_empty_store_says_so_rather_than_no_match(monkeypatch, tmp_path, boundary_file):
    from streamlit.testing.v1 import AppTest

    from tests.test_app import APP

    (tmp_path / "records").mkdir()
    monkeypatch.setenv("IMPACT_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    monkeypatch.setenv("IMPACT_DATA_DIR", str(tmp_path / "records"))
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(tmp_path / "rejected"))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", str(boundary_file))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [info.value for info in at.info if "no incidents yet" in info.value], [e.value for e in at.error]
    assert not [b for b in at.button if b.label == "Clear filters"]
